//! Message-push callbacks: URL verification, signature checks, decryption and parsing.
//!
//! WeChat delivers every xpay event through the mini program's message push, in plain or
//! safe (encrypted) mode, as JSON or XML (WeChat: <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>). A [`Decoder`] built from a
//! [`CallbackConfig`] and the spec tables turns a request into a [`DecodedPush`]: verified
//! (`signature` or `msg_signature`, compared in constant time), decrypted (AES-256-CBC,
//! PKCS#7 with block size 32), appid-checked, parsed, and typed — a `serde_json::Value` with
//! WeChat's field names, numbers as numbers even from XML, for the typed event layer to
//! deserialize. [`Decoder::reply`] writes the answer.
//!
//! ```no_run
//! # fn demo(spec: &'static xpay_runtime::meta::SpecMeta, raw_query: &str, body: &[u8])
//! # -> Result<(), xpay_runtime::Error> {
//! use xpay_runtime::CallbackToken;
//! use xpay_runtime::callback::{CallbackConfig, Decoder, EncodingAesKey, PushQuery, Reply};
//!
//! let config = CallbackConfig::new(CallbackToken::new("token")?)
//!     .with_aes_key(EncodingAesKey::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")?)
//!     .with_app_id("wx1234567890abcdef");
//! let decoder = Decoder::new(config, spec);
//! let query = PushQuery::parse(raw_query);
//! let push = decoder.decode(&query, body)?;
//! if push.event.as_deref() == Some("xpay_goods_deliver_notify") {
//!     // deliver, idempotently (WeChat retries)
//! }
//! let answer = decoder.reply(&push, &Reply::Success)?;
//! # let _ = answer; Ok(()) }
//! ```
//!
//! XML values are typed by the spec's envelope fields and the fields of the event named by
//! `<Event>`:
//!
//! | spec type | JSON |
//! |---|---|
//! | `Int`, `Env`, `IntEnum` | number (an error naming the field if the text is not an integer) |
//! | `Bool` | `true`/`false` (from `true`/`false`/`1`/`0`) |
//! | `String`, `StrEnum`, `Json` | string, never parsed (`TransactionId` stays a string) |
//! | `Object` | object, typed by its fields |
//! | `List` | array of the repeated elements (or of one wrapper element's children) |
//!
//! Unknown events and fields stay strings (objects when they have children, arrays when they
//! repeat); empty elements stay present as `""` (`{}` for objects, `[]` for lists). JSON
//! messages are taken as they are.

mod coerce;
mod config;
mod crypto;
mod decoder;
pub mod dedup;
mod error;
mod format;
#[cfg(any(test, feature = "push-sender"))]
mod push;
mod query;
pub mod replay;
mod reply;
mod typed;
mod xml;
mod xml_de;

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(test)]
mod tests;

use std::fmt;

pub use config::{CallbackConfig, DEFAULT_MAX_BODY_BYTES, ReplyMode};
pub use crypto::{
    ENCODING_AES_KEY_LEN, EncodingAesKey, PAD_BLOCK, Plaintext, decrypt, signature, unpad,
    verify_signature,
};
/// The sending side of message push, for a fake WeChat and tests (feature `push-sender`, which
/// xpay-mock enables): WeChat's own encryption, signing and message writing. A receiver never
/// needs these.
#[cfg(any(test, feature = "push-sender"))]
pub use crypto::{encrypt, pad};
pub use decoder::{DecodedPush, Decoder, read_body_limited};
pub use error::{CallbackError, SignatureKind};
#[cfg(any(test, feature = "push-sender"))]
pub use format::render_message;
#[cfg(any(test, feature = "push-sender"))]
pub use push::{SignedPush, encrypt_push, sign_plain_push, sign_url_verification};
pub use query::PushQuery;
#[cfg(any(test, feature = "push-sender"))]
pub use reply::SealParams;
pub use reply::{FAILURE_ERRCODE, FAILURE_STATUS, Reply, ReplyBody, ReplyTo};
pub use typed::{Push, RawPush};

/// The format of a push document: WeChat's message-push "数据格式" setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JSON.
    Json,
    /// XML.
    Xml,
}

impl Format {
    /// The `Content-Type` of a document in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Xml => "XML",
        })
    }
}
