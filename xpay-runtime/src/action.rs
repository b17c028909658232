//! The traits generated code implements: [`Action`] for every request, [`PaymentSpec`] for the
//! payment orders, [`EventSet`] for the push events. They tie each generated type to the tables
//! of the spec it came from, so the runtime works the same for the built-in spec and for a
//! spec expanded in a user's crate.

use crate::meta::{ActionMeta, PaymentMeta, SpecMeta};
use crate::{Env, Error};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What the client fills unset request fields from. Not a public API: generated code receives
/// it from the client.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct FillContext<'a> {
    /// The client's env.
    pub env: Env,
    /// The client's offer id, if configured.
    pub offer_id: Option<&'a str>,
}

impl<'a> FillContext<'a> {
    /// The offer id, or an error naming what needs it.
    pub fn offer_id(&self, context: &str) -> Result<&'a str, Error> {
        self.offer_id
            .ok_or_else(|| Error::missing_setting(crate::error::Setting::OfferId, context))
    }
}

/// A request of one WeChat xpay action, generated from a spec.
///
/// Send it with [`Client::send`](crate::Client::send) (actions signed with `pay_sig` only) or
/// [`Client::send_user`](crate::Client::send_user) (actions that also carry the user
/// `signature`, which need the user's session key). Which of the two applies is
/// [`Action::Signing`], so a `pay+user` action sent without a session key does not compile.
///
/// The client serializes the request once, signs those bytes and sends them; the answer is
/// parsed once into [`Action::Response`].
pub trait Action: Serialize + Send + Sync {
    /// The response type.
    type Response: DeserializeOwned + Send;

    /// How the action is signed: [`signing::Pay`](crate::signing::Pay) or
    /// [`signing::PayUser`](crate::signing::PayUser).
    type Signing: crate::signing::SigningKind;

    /// Everything the spec says about the action.
    const META: &'static ActionMeta;

    /// The tables of the spec the action comes from (its errcode meanings, for errors).
    fn spec() -> &'static SpecMeta;

    /// Fills fields the spec marks `fill:` or `default:` that the caller left unset.
    #[doc(hidden)]
    fn __fill(&mut self, ctx: &FillContext<'_>) -> Result<(), Error> {
        let _ = ctx;
        Ok(())
    }

    /// The body's `env`, which picks the AppKey; `None` signs with the production AppKey.
    #[doc(hidden)]
    fn __env(&self) -> Option<Env> {
        None
    }

    /// Checks the spec's rules (lengths, character sets, bounds).
    #[doc(hidden)]
    fn __validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// A client-side payment order of a spec (generated as `PaymentOrder` and one struct per mode):
/// what [`Client::payment_params`](crate::Client::payment_params) signs.
pub trait PaymentSpec {
    /// The payment kind's tables: its URI, modes and signData fields.
    const META: &'static PaymentMeta;

    /// The `mode` value passed beside signData (`short_series_goods`), if the kind has modes.
    fn mode(&self) -> Option<&'static str>;

    /// Checks the order against the spec's rules.
    #[doc(hidden)]
    fn __validate(&self) -> Result<(), Error>;

    /// The signData JSON text, in the spec's field order, with the client's offer id and env
    /// filled in. Returns the env written into it, which picks the AppKey.
    #[doc(hidden)]
    fn __sign_data(&self, ctx: &FillContext<'_>) -> Result<(String, Env), Error>;
}

/// The typed push events of a spec (generated as `Event`).
pub trait EventSet: Sized {
    /// The common envelope type.
    type Envelope: DeserializeOwned + crate::de::Fields;

    /// Reads one listed event in the one-pass typed decoding of a push.
    #[doc(hidden)]
    type __Reader: crate::de::EventReader<Self>;

    /// The spec's tables, for typing XML values.
    fn spec() -> &'static SpecMeta;

    /// Types a decoded message (`Event` decides the variant; unknown events stay raw).
    fn from_message(message: &serde_json::Value) -> Result<Self, serde_json::Error>;

    /// The value that identifies the push across WeChat's retries, if the event has one.
    fn dedup_key(&self) -> Option<String>;

    /// Whether WeChat expects an answer composed by the handler (not just success).
    fn needs_custom_reply(&self) -> bool;

    /// The reader of the event named `name`, if the spec lists it.
    #[doc(hidden)]
    fn __reader(name: &str) -> Option<Self::__Reader>;
}
