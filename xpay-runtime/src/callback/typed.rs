//! Typed pushes: a verified push read into the spec's `Event` enum and `Envelope`.
//!
//! Two paths give the same result:
//!
//! - **One pass** (the hot path of every paying backend): the decrypted text is read straight
//!   into the envelope and the typed event, with no intermediate `serde_json::Value` and, for
//!   XML, no element tree: quick-xml's events are read as they come. The `Event` entry picks the event's reader; the
//!   entries after it go there.
//! - **The general path** parses the message into a [`DecodedPush`] (every field, typed by the
//!   spec) and types that. It is taken whenever the one pass gives up: an event the spec does
//!   not list (its fields are kept in `Event::Unknown`), a listed event whose fields do not fit
//!   (`Event::Malformed`, with every field and the error), an event field before `Event`, a
//!   repeated `Event`, XML lists or repeated elements, and plain-mode bodies that look like a
//!   safe-mode envelope.
//!
//! The raw fields stay available on request: [`RawPush::fields`].

use std::marker::PhantomData;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::format::{detect, parse_message, strip_bom};
use super::{CallbackError, DecodedPush, Decoder, Format, PushQuery};
use crate::action::EventSet;
use crate::de::{EventReader, PushVisitor};
use crate::meta::SpecMeta;

/// A verified, decrypted push, typed by the spec: the common envelope, the event, and the
/// message it came from.
#[derive(Debug, Clone)]
pub struct Push<E: EventSet> {
    /// The fields every push carries (`ToUserName`, `FromUserName`, `CreateTime`, …).
    pub envelope: E::Envelope,
    /// The event, typed; events the spec does not list arrive as its raw variant.
    pub event: E,
    /// The message as it came (its text, format, and whether it was encrypted); replies are
    /// written from it, and its fields are parsed on request.
    pub raw: RawPush,
}

/// A push's message as it came, before typing: what replies need, and the text to parse the
/// raw fields from when they are wanted. Cheap to clone (the text is shared).
#[derive(Debug, Clone)]
pub struct RawPush {
    /// The message's format (of the decrypted plaintext in safe mode).
    pub format: Format,
    /// The body's format (the envelope's in safe mode). Replies are written in it.
    pub envelope_format: Format,
    /// Whether the push came in safe mode (encrypted).
    pub encrypted: bool,
    /// The `Event` value, when the message has one.
    pub event: Option<String>,
    /// The appid at the end of the decrypted plaintext (safe mode only).
    pub app_id: Option<String>,
    text: Arc<String>,
    spec: &'static SpecMeta,
    one_pass: bool,
}

impl RawPush {
    /// Whether the push was typed in one pass (for tests and benchmarks of that path).
    #[doc(hidden)]
    pub fn __read_in_one_pass(&self) -> bool {
        self.one_pass
    }

    /// The message text (the decrypted plaintext in safe mode).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every field of the message with WeChat's names, typed by the spec as
    /// [`DecodedPush::message`] is (parsed now, from the text).
    pub fn fields(&self) -> Result<Map<String, Value>, CallbackError> {
        parse_message(&self.text, self.spec).map(|(_, fields)| fields)
    }

    /// The push as [`Decoder::decode`] gives it (parsed now, from the text).
    pub fn decoded(&self) -> Result<DecodedPush, CallbackError> {
        Ok(DecodedPush {
            format: self.format,
            envelope_format: self.envelope_format,
            encrypted: self.encrypted,
            message: Value::Object(self.fields()?),
            event: self.event.clone(),
            app_id: self.app_id.clone(),
        })
    }
}

impl super::reply::ReplyTo for RawPush {
    fn format(&self) -> Format {
        self.format
    }
    fn envelope_format(&self) -> Format {
        self.envelope_format
    }
    fn encrypted(&self) -> bool {
        self.encrypted
    }
    fn app_id(&self) -> Option<&str> {
        self.app_id.as_deref()
    }
}

/// A typed push is answered as the message it came as.
impl<E: EventSet> super::reply::ReplyTo for Push<E> {
    fn format(&self) -> Format {
        self.raw.format()
    }
    fn envelope_format(&self) -> Format {
        self.raw.envelope_format()
    }
    fn encrypted(&self) -> bool {
        self.raw.encrypted()
    }
    fn app_id(&self) -> Option<&str> {
        self.raw.app_id()
    }
}

impl Decoder {
    /// [`receive`](Self::receive) (the seen-query check included), then types the push with
    /// the spec's events (`xpay::api::Event` for the built-in spec).
    pub async fn receive_typed<E: EventSet>(
        &self,
        query: &PushQuery,
        body: &[u8],
    ) -> Result<Push<E>, CallbackError> {
        let push = self.decode_typed(query, body)?;
        self.admit_push(query, push.raw.encrypted, body).await?;
        Ok(push)
    }

    /// Verifies, decrypts and types a push with the spec's events (`xpay::api::Event` for the
    /// built-in spec), in one pass over the message when it can: with no intermediate JSON
    /// value, and for XML no element tree; the general path (every field
    /// parsed, then typed) decides whatever the one pass cannot read.
    /// No seen-query check: see [`receive_typed`](Self::receive_typed).
    ///
    /// A known event whose fields do not fit its type arrives as the event set's malformed
    /// variant (`Event::Malformed`, with the name, the fields and the decode error), so the
    /// handler decides. Only an envelope that does not fit is an error
    /// ([`CallbackError::EventShape`]), answered with a failure so that WeChat retries.
    pub fn decode_typed<E: EventSet>(
        &self,
        query: &PushQuery,
        body: &[u8],
    ) -> Result<Push<E>, CallbackError> {
        let opened = self.open_at(query, body, self.now())?;
        if let Ok((format, envelope, event, name)) = one_pass::<E>(&opened.text, opened.encrypted())
        {
            {
                return Ok(Push {
                    envelope,
                    event,
                    raw: RawPush {
                        format,
                        envelope_format: opened.envelope_format.unwrap_or(format),
                        encrypted: opened.encrypted(),
                        event: Some(name),
                        app_id: opened.app_id,
                        text: Arc::new(opened.text.into_owned()),
                        spec: E::spec(),
                        one_pass: true,
                    },
                });
            }
        }
        let raw = opened.parse(self.spec())?;
        Self::typed(raw, Arc::new(opened.text.into_owned()))
    }

    /// Types an already decoded push (the general path).
    pub fn type_push<E: EventSet>(raw: DecodedPush) -> Result<Push<E>, CallbackError> {
        let text = match raw.format {
            Format::Json => serde_json::to_string(&raw.message).unwrap_or_default(),
            Format::Xml => {
                super::format::render_message(&raw.message, Format::Xml).unwrap_or_default()
            }
        };
        Self::typed(raw, Arc::new(text))
    }

    fn typed<E: EventSet>(raw: DecodedPush, text: Arc<String>) -> Result<Push<E>, CallbackError> {
        let shape = |e: serde_json::Error| CallbackError::EventShape {
            event: raw.event.clone().unwrap_or_default(),
            message: e.to_string(),
        };
        let envelope = serde::Deserialize::deserialize(&raw.message).map_err(shape)?;
        let event = E::from_message(&raw.message).map_err(shape)?;
        Ok(Push {
            envelope,
            event,
            raw: RawPush {
                format: raw.format,
                envelope_format: raw.envelope_format,
                encrypted: raw.encrypted,
                event: raw.event,
                app_id: raw.app_id,
                text,
                spec: E::spec(),
                one_pass: false,
            },
        })
    }
}

/// What the one pass read: the message's format, the envelope, the event and its name.
type OnePass<E> = (Format, <E as EventSet>::Envelope, E, String);

/// The one-pass read; `Err` (with nothing) whenever the general path must decide.
fn one_pass<E: EventSet>(text: &str, encrypted: bool) -> Result<OnePass<E>, ()> {
    // A plain body that looks like a safe-mode envelope is for the general path to refuse.
    if !encrypted && text.contains("Encrypt") {
        return Err(());
    }
    let visitor = PushVisitor::<E::Envelope, E, E::__Reader, _> {
        reader: E::__reader,
        _types: PhantomData,
    };
    let format = detect(text, "message").map_err(|_| ())?;
    let body = strip_bom(text);
    let (envelope, reader, name) = match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(body);
            let read = serde::Deserializer::deserialize_map(&mut de, visitor).map_err(|_| ())?;
            de.end().map_err(|_| ())?;
            read
        }
        Format::Xml => super::xml_de::read_root(body, visitor).map_err(|_| ())?,
    };
    Ok((format, envelope, reader.finish(), name))
}
