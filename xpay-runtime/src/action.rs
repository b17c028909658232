//! The traits generated code implements: [`Action`] for every request, [`PaymentSpec`] for the
//! payment order, [`EventSet`] for the push events; and [`FillContext`], what the client lends
//! them to fill fields from its configuration.

use crate::meta::{ActionMeta, FieldMeta, SpecMeta};
use crate::{Env, Error};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What the client fills unset request fields from.
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
        self.offer_id.ok_or_else(|| {
            Error::Config(format!(
                "{context} needs an offer id (offerId, from MP → 虚拟支付 → 基本配置); set it on the client (XPAY_OFFER_ID)"
            ))
        })
    }
}

/// A request of one WeChat xpay action, generated from the spec.
///
/// The client serializes the request once, signs those bytes and sends them; the response is
/// parsed into [`Action::Response`].
pub trait Action: Serialize + Send + Sync {
    /// The response type.
    type Response: DeserializeOwned + Send;

    /// Everything the spec says about the action.
    const META: &'static ActionMeta;

    /// Fills fields the spec marks `fill:` or `default:` that the caller left unset.
    fn fill(&mut self, ctx: &FillContext<'_>) -> Result<(), Error> {
        let _ = ctx;
        Ok(())
    }

    /// The body's `env`, which picks the AppKey; `None` signs with the production AppKey.
    fn env(&self) -> Option<Env> {
        None
    }

    /// Checks the spec's rules (lengths, character sets, bounds, exactly-one-of groups).
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// The `wx.requestVirtualPayment` order of a spec (generated as `PaymentOrder`).
pub trait PaymentSpec {
    /// The URI signed before signData (`requestVirtualPayment`).
    const URI: &'static str;
    /// Every signData field, in order.
    const FIELDS: &'static [FieldMeta];

    /// The `mode` value (`short_series_coin`, `short_series_goods`).
    fn mode(&self) -> &'static str;

    /// Checks the order: mode-specific required fields and the spec's rules.
    fn validate(&self) -> Result<(), Error>;

    /// The signData JSON text, with the client's offer id and env filled in.
    fn sign_data(&self, ctx: &FillContext<'_>) -> Result<String, Error>;
}

/// The typed push events of a spec (generated as `Event`).
pub trait EventSet: Sized {
    /// The common envelope type.
    type Envelope: DeserializeOwned;

    /// The spec's tables, for typing XML values.
    fn spec() -> &'static SpecMeta;

    /// Types a decoded message (`Event` decides the variant; unknown events stay raw).
    fn from_message(message: &serde_json::Value) -> Result<Self, serde_json::Error>;
}
