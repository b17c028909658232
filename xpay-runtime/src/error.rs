//! The one error type of xpay-rs.
//!
//! Every variant names what went wrong in words. None carries a secret: no AppSecret, AppKey,
//! session key, access token or EncodingAESKey, and transport errors are stripped of their URL
//! (which holds the access token).

use crate::callback::CallbackError;

/// Everything that can go wrong in xpay-rs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client or a call is misconfigured (a missing AppKey, an empty secret, …).
    #[error("configuration error: {0}")]
    Config(String),

    /// A request, order or body broke a rule of the spec; nothing was sent.
    #[error("invalid {context}: field `{field}` {problem}")]
    Invalid {
        /// The action or object being checked (`refund_order`, `payment`).
        context: String,
        /// The field at fault, as a path (`upload_item[0].id`).
        field: String,
        /// What is wrong with it.
        problem: String,
    },

    /// WeChat answered with a non-zero errcode.
    #[error("{action}: WeChat errcode {errcode} ({meaning}): {errmsg}")]
    WeChat {
        /// The action called.
        action: String,
        /// WeChat's errcode.
        errcode: i64,
        /// WeChat's errmsg.
        errmsg: String,
        /// What the spec's error table says the errcode means.
        meaning: &'static str,
    },

    /// errcode 268490004: an earlier call with the same id already succeeded. For money-moving
    /// calls this usually means success: the first attempt went through.
    #[error(
        "{action}: duplicate operation (268490004): an earlier call with this id already succeeded: {errmsg}"
    )]
    Duplicate {
        /// The action called.
        action: String,
        /// WeChat's errmsg.
        errmsg: String,
    },

    /// The request could not be sent or its answer not read (the URL is stripped).
    #[error("{action}: transport error: {source}")]
    Transport {
        /// The action called (or `stable_token`, `code2session`).
        action: String,
        /// The underlying error, without its URL.
        #[source]
        source: reqwest::Error,
    },

    /// WeChat answered with an HTTP status other than 200.
    #[error("{action}: HTTP status {status}")]
    Http {
        /// The action called.
        action: String,
        /// The status received.
        status: u16,
    },

    /// WeChat's answer did not have the shape the spec gives.
    #[error("{action}: cannot decode the response: {message}")]
    Decode {
        /// The action called.
        action: String,
        /// What did not fit.
        message: String,
    },

    /// No access token could be had.
    #[error("access token: {0}")]
    Token(String),

    /// A push could not be verified, decrypted or parsed.
    #[error(transparent)]
    Callback(#[from] CallbackError),
}

impl Error {
    /// WeChat's errcode, when WeChat answered with one (268490004 included).
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Error::WeChat { errcode, .. } => Some(*errcode),
            Error::Duplicate { .. } => Some(crate::errcode::DUPLICATE),
            _ => None,
        }
    }

    pub(crate) fn invalid(
        context: impl Into<String>,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            context: context.into(),
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Shorthand for `Result<T, xpay_runtime::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
