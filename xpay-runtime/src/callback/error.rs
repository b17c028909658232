//! [`CallbackError`]: everything that can go wrong with a push, in words.
//!
//! No variant ever carries the message-push token or the EncodingAESKey (not even a character
//! of it). Appids, signatures, timestamps and parser messages are not secret and are shown,
//! with their control characters escaped (`\u{1b}`, `\n`): a push is outside input, and its
//! bytes must not forge a log line or drive a terminal. The fields keep the raw text.

use std::fmt;

use super::Format;

/// Which signature of a push failed to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureKind {
    /// `signature` of a URL-verification request (GET with `echostr`).
    Url,
    /// `signature` of a plain-mode push (POST without encryption).
    Plain,
    /// `msg_signature` of a safe-mode push (POST with `encrypt_type=aes`).
    Msg,
}

impl fmt::Display for SignatureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureKind::Url => "`signature` of the URL verification",
            SignatureKind::Plain => "`signature` of the plain-mode push",
            SignatureKind::Msg => "`msg_signature` of the safe-mode push",
        })
    }
}

/// A push that could not be verified, decrypted or parsed, or a reply that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// A signature did not match the one computed with the configured token.
    #[error("{0} does not match: the request was not signed with the configured token")]
    SignatureMismatch(SignatureKind),

    /// A query parameter the request needs is absent.
    #[error("missing query parameter `{0}`")]
    MissingQueryParameter(&'static str),

    /// `encrypt_type` is neither `aes` nor `raw`.
    #[error("unsupported encrypt_type `{}`: expected `aes` (safe mode) or `raw` (plain mode)", crate::secret::escape_controls(.0))]
    UnsupportedEncryptType(String),

    /// The `timestamp` query parameter is not an integer (checked only with a freshness window).
    #[error("query parameter `timestamp` is not an integer: `{}`", crate::secret::escape_controls(.0))]
    InvalidTimestamp(String),

    /// The push's `timestamp` is further from now than the configured window.
    #[error(
        "stale push: timestamp {timestamp} is {skew_secs} s away from now, outside the {max_age_secs} s window"
    )]
    StaleTimestamp {
        /// The push's `timestamp` (Unix seconds).
        timestamp: i64,
        /// How far it is from now, in seconds (past or future).
        skew_secs: u64,
        /// The configured window, in seconds.
        max_age_secs: u64,
    },

    /// The body is empty (or only whitespace).
    #[error("the push body is empty")]
    EmptyBody,

    /// The body is larger than the configured limit; reading stopped there.
    #[error("the push body is larger than the {limit}-byte limit; stopped reading")]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },

    /// The body could not be read.
    #[error("cannot read the push body: {}", crate::secret::escape_controls(.0))]
    BodyRead(String),

    /// A plain-mode push (no `encrypt_type=aes`) arrived at a receiver with an EncodingAESKey.
    /// In plain mode `signature` covers only the token, timestamp and nonce, not the body, so
    /// any captured query would vouch for any body: once a key is configured, only encrypted
    /// pushes are accepted.
    #[error(
        "plain-mode push refused: an EncodingAESKey is configured, so only safe-mode (encrypted) pushes are accepted; a plain-mode signature does not cover the body"
    )]
    PlainModeRefused,

    /// A query (timestamp, nonce and signature) already seen with another body: a replayed
    /// signature over a forged body. The same body again is a retry and passes.
    #[error(
        "replayed query: timestamp `{}` and nonce `{}` already came with a different body",
        crate::secret::escape_controls(timestamp),
        crate::secret::escape_controls(nonce)
    )]
    Replayed {
        /// The query's `timestamp`.
        timestamp: String,
        /// The query's `nonce`.
        nonce: String,
    },

    /// The store of seen queries could not be asked; the push is answered with a failure so
    /// that WeChat retries it.
    #[error("cannot check the push against the seen queries: {}", crate::secret::escape_controls(.0))]
    SeenQueries(String),

    /// A safe-mode push arrived but no EncodingAESKey is configured.
    #[error("safe-mode push (encrypt_type=aes) but no EncodingAESKey is configured")]
    NoAesKey,

    /// `Encrypt` is not valid base64.
    #[error("`Encrypt` is not valid base64: {}", crate::secret::escape_controls(.0))]
    Base64(String),

    /// `Encrypt` decodes to nothing.
    #[error("`Encrypt` decodes to an empty ciphertext")]
    EmptyCiphertext,

    /// The ciphertext is not a whole number of AES blocks.
    #[error("ciphertext length {len} is not a multiple of the 16-byte AES block")]
    CiphertextLength {
        /// The decoded ciphertext's length in bytes.
        len: usize,
    },

    /// The decrypted data does not end in valid PKCS#7 padding (block size 32).
    #[error("bad PKCS#7 padding (block size 32) after decryption: {}", crate::secret::escape_controls(.0))]
    BadPadding(String),

    /// The unpadded plaintext is shorter than its 20-byte header (16 random + 4 length bytes).
    #[error(
        "decrypted plaintext is {len} bytes, shorter than the 20-byte header (16 random bytes + 4-byte length)"
    )]
    PlaintextTooShort {
        /// The unpadded plaintext's length.
        len: usize,
    },

    /// The plaintext's declared message length runs past its end.
    #[error(
        "decrypted plaintext declares a {declared}-byte message but only {available} bytes follow its header"
    )]
    MessageLength {
        /// The length in the header.
        declared: u32,
        /// The bytes left after the header.
        available: usize,
    },

    /// The plaintext's appid is not the configured one: the push was meant for another app.
    #[error(
        "appid mismatch: expected `{expected}`, got `{}`",
        crate::secret::escape_controls(got)
    )]
    AppIdMismatch {
        /// The configured appid (set by the program, so shown as it is).
        expected: String,
        /// The appid in the push (lossily decoded when not UTF-8).
        got: String,
    },

    /// Some text is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    NotUtf8(&'static str),

    /// A document starts with neither `{` (JSON) nor `<` (XML).
    #[error("the {0} is neither JSON nor XML (it must start with `{{` or `<`)")]
    UnrecognizedFormat(&'static str),

    /// A JSON or XML document could not be parsed.
    #[error(
        "malformed {format} {what}: {}",
        crate::secret::escape_controls(message)
    )]
    Malformed {
        /// The format it was parsed as.
        format: Format,
        /// Which document: `envelope`, `message` or `body`.
        what: &'static str,
        /// The parser's message.
        message: String,
    },

    /// A field the push needs is absent.
    #[error("missing field `{field}` in the {what}")]
    MissingField {
        /// The field (`Encrypt`).
        field: &'static str,
        /// Where it was looked for (`envelope`).
        what: &'static str,
    },

    /// A message is too long to encrypt (its length must fit in a u32).
    #[error("message of {len} bytes is too long to encrypt")]
    MessageTooLong {
        /// The message's length in bytes.
        len: usize,
    },

    /// A reply or message could not be written.
    #[error(
        "cannot write the {format} reply: {}",
        crate::secret::escape_controls(message)
    )]
    InvalidReply {
        /// The format being written.
        format: Format,
        /// What is wrong.
        message: String,
    },

    /// A verified push of a known event does not have the shape the spec gives it. The push
    /// is answered with a failure so that WeChat retries, rather than acknowledged unhandled.
    #[error(
        "the {} push does not fit the spec's fields: {}",
        crate::secret::escape_controls(event),
        crate::secret::escape_controls(message)
    )]
    EventShape {
        /// The `Event` value.
        event: String,
        /// What did not fit (serde's message; values of secrets never occur in pushes).
        message: String,
    },
}

/// What errors about a safe-mode envelope call it: the document read before any signature can
/// be checked (see [`CallbackError::is_unverifiable`]).
pub(crate) const ENVELOPE: &str = "envelope";
/// What [`CallbackError::NotUtf8`] calls an envelope's bytes.
pub(crate) const ENVELOPE_BYTES: &str = "the envelope";

impl CallbackError {
    /// Whether the push failed verification: a forgery, a replay, another app's push, or a
    /// plain-mode push at a safe-mode receiver. Such a push is answered 401 and never reaches a
    /// handler; WeChat's own pushes never fail this way once the settings match.
    pub fn is_forgery(&self) -> bool {
        matches!(
            self,
            CallbackError::SignatureMismatch(_)
                | CallbackError::MissingQueryParameter(_)
                | CallbackError::StaleTimestamp { .. }
                | CallbackError::InvalidTimestamp(_)
                | CallbackError::AppIdMismatch { .. }
                | CallbackError::PlainModeRefused
                | CallbackError::Replayed { .. }
        )
    }

    /// Whether the push could not be read far enough to check its signature: an empty body,
    /// an `encrypt_type` other than `aes` or `raw`, or a safe-mode envelope that is not UTF-8,
    /// not JSON or XML, or has no `Encrypt`. Nothing vouches for such a body, so it is answered
    /// 400 and never reaches a handler.
    pub fn is_unverifiable(&self) -> bool {
        matches!(
            self,
            CallbackError::EmptyBody
                | CallbackError::UnsupportedEncryptType(_)
                | CallbackError::NotUtf8(ENVELOPE_BYTES)
                | CallbackError::UnrecognizedFormat(ENVELOPE)
                | CallbackError::Malformed { what: ENVELOPE, .. }
                | CallbackError::MissingField { what: ENVELOPE, .. }
        )
    }

    /// The HTTP status a receiver answers with: 401 for [forgeries](Self::is_forgery), 400 for
    /// a body whose signature could not even be checked ([`is_unverifiable`](Self::is_unverifiable)),
    /// 413 for an oversized body, and 500 for the rest (a verified push this version cannot
    /// read), so that WeChat retries it rather than losing it. WeChat retries every failure,
    /// whatever its status.
    pub fn http_status(&self) -> u16 {
        match self {
            e if e.is_forgery() => 401,
            e if e.is_unverifiable() => 400,
            CallbackError::BodyTooLarge { .. } => 413,
            _ => 500,
        }
    }

    pub(crate) fn malformed(
        format: Format,
        what: &'static str,
        message: impl fmt::Display,
    ) -> Self {
        CallbackError::Malformed {
            format,
            what,
            message: message.to_string(),
        }
    }
}
