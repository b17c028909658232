//! Typed pushes: a [`DecodedPush`] deserialized into the spec's `Event` enum and `Envelope`.

use super::{CallbackError, DecodedPush, Decoder, PushQuery};
use crate::action::EventSet;

/// A verified, decrypted push, typed by the spec: the common envelope, the event, and the
/// decoded message it came from.
#[derive(Debug, Clone)]
pub struct Push<E: EventSet> {
    /// The fields every push carries (`ToUserName`, `FromUserName`, `CreateTime`, …).
    pub envelope: E::Envelope,
    /// The event, typed; events the spec does not list arrive as its raw variant.
    pub event: E,
    /// The decoded message (WeChat's field names), the format it came in, and whether it was
    /// encrypted; replies are written from it.
    pub raw: DecodedPush,
}

impl Decoder {
    /// [`receive`](Self::receive) (the seen-query check included), then types the push with
    /// the spec's events (`xpay::api::Event` for the built-in spec).
    pub async fn receive_typed<E: EventSet>(
        &self,
        query: &PushQuery,
        body: &[u8],
    ) -> Result<Push<E>, CallbackError> {
        let raw = self.receive(query, body).await?;
        Self::type_push(raw)
    }

    /// Verifies, decrypts and parses a push, then types it with the spec's events
    /// (`xpay::api::Event` for the built-in spec). No seen-query check: see
    /// [`receive_typed`](Self::receive_typed).
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
        let raw = self.decode(query, body)?;
        Self::type_push(raw)
    }

    /// Types an already decoded push.
    pub fn type_push<E: EventSet>(raw: DecodedPush) -> Result<Push<E>, CallbackError> {
        let shape = |e: serde_json::Error| CallbackError::EventShape {
            event: raw.event.clone().unwrap_or_default(),
            message: e.to_string(),
        };
        let envelope = serde::Deserialize::deserialize(&raw.message).map_err(shape)?;
        let event = E::from_message(&raw.message).map_err(shape)?;
        Ok(Push {
            envelope,
            event,
            raw,
        })
    }
}
