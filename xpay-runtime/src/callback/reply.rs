//! Replies to pushes: [`Reply`] is what the handler decided, [`ReplyBody`] what goes back over
//! HTTP.

use rand::Rng as _;
use serde_json::Value;

use super::Format;
use super::config::ReplyMode;
use super::crypto;
use super::decoder::{DecodedPush, Decoder};
use super::error::CallbackError;
use super::format::{Scalar, render_fields, render_message};
use crate::clock::unix_now;

/// The `ErrCode` of a [`Reply::Failure`].
pub const FAILURE_ERRCODE: i64 = 1;

/// The HTTP status of a [`Reply::Failure`]: 500, so that WeChat retries whether it looks at
/// the status or at the body.
pub const FAILURE_STATUS: u16 = 500;

/// What a handler answers to a push.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Handled: `{"ErrCode":0,"ErrMsg":"success"}` (or its XML form). WeChat stops retrying.
    Success,
    /// Not handled: `ErrCode` [`FAILURE_ERRCODE`] with this `ErrMsg`, HTTP status
    /// [`FAILURE_STATUS`]. WeChat retries the push later (up to 15 times over about a day).
    Failure(String),
    /// An event-specific reply, sent in the push's format: a JSON object as it is, or XML with
    /// one element per field. `xpay_subscribe_ios_refund_query_notify` needs
    /// `{"result_code":0|1,"result_info":"…","evidence":"…"}`.
    Custom(Value),
}

/// What one signing or encryption draws at random: the timestamp, the nonce and the 16 bytes
/// in front of an encrypted message. Fixed values make output deterministic (tests);
/// [`SealParams::fresh`] draws real ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealParams {
    /// `timestamp`: Unix seconds, as text.
    pub timestamp: String,
    /// `nonce`: random text.
    pub nonce: String,
    /// The random prefix of the encrypted plaintext.
    pub random: [u8; 16],
}

impl SealParams {
    /// Now, a random 10-digit nonce and random prefix bytes.
    pub fn fresh() -> Self {
        let mut rng = rand::rng();
        Self {
            timestamp: unix_now().to_string(),
            nonce: rng
                .random_range(1_000_000_000u64..10_000_000_000)
                .to_string(),
            random: rng.random(),
        }
    }
}

/// What a reply needs to know of the push it answers: its formats, whether it was encrypted,
/// and its appid. Implemented by [`DecodedPush`], [`RawPush`](super::RawPush) and
/// [`Push`](super::Push).
pub trait ReplyTo {
    /// The message's format (of the plaintext in safe mode).
    fn format(&self) -> Format;
    /// The body's format; replies are written in it.
    fn envelope_format(&self) -> Format;
    /// Whether the push came encrypted.
    fn encrypted(&self) -> bool;
    /// The appid inside the ciphertext.
    fn app_id(&self) -> Option<&str>;
}

impl ReplyTo for DecodedPush {
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

/// An HTTP answer to a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyBody {
    /// The HTTP status: 200, or [`FAILURE_STATUS`] for a [`Reply::Failure`]. An HTTP layer that
    /// prefers to always answer 200 may ignore it: the body alone also signals the failure.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

impl ReplyBody {
    /// A failure reply for a push that could not even be decoded (no [`DecodedPush`] to answer
    /// in kind): `ErrCode` [`FAILURE_ERRCODE`] and the message, plain, in `format`, status
    /// [`FAILURE_STATUS`].
    pub fn failure(format: Format, message: &str) -> ReplyBody {
        ReplyBody {
            status: FAILURE_STATUS,
            content_type: format.content_type(),
            body: render_fields(format, &errcode_fields(FAILURE_ERRCODE, message)).into_bytes(),
        }
    }

    /// The body as text (replies are always UTF-8).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or_default()
    }
}

const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

fn errcode_fields(code: i64, message: &str) -> [(&'static str, Scalar<'_>); 2] {
    [
        ("ErrCode", Scalar::Int(code)),
        ("ErrMsg", Scalar::Str(message)),
    ]
}

impl Decoder {
    /// Writes the answer to a decoded push, according to the configured [`ReplyMode`]:
    /// in the push's format (JSON or XML), encrypted with a fresh timestamp, nonce and random
    /// prefix when the mode is [`ReplyMode::Encrypted`] and the push was encrypted.
    pub fn reply<P: ReplyTo + ?Sized>(
        &self,
        push: &P,
        reply: &Reply,
    ) -> Result<ReplyBody, CallbackError> {
        self.reply_sealed(push, reply, &SealParams::fresh())
    }

    /// [`reply`](Self::reply) with the timestamp, nonce and random prefix of an encrypted reply
    /// given (deterministic output for tests; feature `push-sender`).
    #[cfg(any(test, feature = "push-sender"))]
    pub fn reply_with<P: ReplyTo + ?Sized>(
        &self,
        push: &P,
        reply: &Reply,
        params: &SealParams,
    ) -> Result<ReplyBody, CallbackError> {
        self.reply_sealed(push, reply, params)
    }

    fn reply_sealed<P: ReplyTo + ?Sized>(
        &self,
        push: &P,
        reply: &Reply,
        params: &SealParams,
    ) -> Result<ReplyBody, CallbackError> {
        let status = match reply {
            Reply::Failure(_) => FAILURE_STATUS,
            Reply::Success | Reply::Custom(_) => 200,
        };
        let mode = self.config().reply_mode();
        if mode == ReplyMode::PlainSuccess {
            let text = match reply {
                Reply::Success => Some("success"),
                Reply::Failure(m) if m.is_empty() => Some("fail"),
                Reply::Failure(m) => Some(m.as_str()),
                Reply::Custom(_) => None,
            };
            if let Some(text) = text {
                return Ok(ReplyBody {
                    status,
                    content_type: TEXT_PLAIN,
                    body: text.as_bytes().to_vec(),
                });
            }
        }
        let encrypt = mode == ReplyMode::Encrypted && push.encrypted();
        // The content: in the plaintext's format when it is encrypted, else the body's.
        let format = if encrypt {
            push.format()
        } else {
            push.envelope_format()
        };
        let content = match reply {
            Reply::Success => render_fields(format, &errcode_fields(0, "success")),
            Reply::Failure(m) => render_fields(format, &errcode_fields(FAILURE_ERRCODE, m)),
            Reply::Custom(v) => render_message(v, format)?,
        };
        let outer = push.envelope_format();
        let body = if encrypt {
            self.seal(push, &content, outer, params)?
        } else {
            content
        };
        Ok(ReplyBody {
            status,
            content_type: outer.content_type(),
            body: body.into_bytes(),
        })
    }

    /// `{"Encrypt","MsgSignature","TimeStamp","Nonce"}` (or XML) around `content`.
    fn seal<P: ReplyTo + ?Sized>(
        &self,
        push: &P,
        content: &str,
        outer: Format,
        params: &SealParams,
    ) -> Result<String, CallbackError> {
        let key = self.config().aes_key().ok_or(CallbackError::NoAesKey)?;
        let app_id = self.config().app_id().or(push.app_id()).unwrap_or_default();
        let encrypt = crypto::encrypt(key, app_id, content.as_bytes(), params.random)?;
        let signature = crypto::msg_signature(
            self.config().token(),
            &params.timestamp,
            &params.nonce,
            &encrypt,
        );
        let timestamp = match params.timestamp.parse::<i64>() {
            Ok(n) => Scalar::Int(n),
            Err(_) => Scalar::Str(&params.timestamp),
        };
        Ok(render_fields(
            outer,
            &[
                ("Encrypt", Scalar::Str(&encrypt)),
                ("MsgSignature", Scalar::Str(&signature)),
                ("TimeStamp", timestamp),
                ("Nonce", Scalar::Str(&params.nonce)),
            ],
        ))
    }
}
