//! # xpay-runtime
//!
//! WeChat Mini Program virtual payment (小程序虚拟支付, "xpay") for Rust backends: every server
//! action as a typed method, generated from `spec/xpay.yaml`; the `wx.requestVirtualPayment`
//! parameters in one call; access tokens that look after themselves; and push callbacks that are
//! verified, decrypted and typed.
#![warn(missing_docs)]

extern crate self as xpay_runtime;

pub mod callback;
mod env;
mod error;
pub mod meta;
mod json_string;
mod secret;
pub mod token;

pub use env::Env;
pub use error::{Error, Result};
pub use json_string::JsonString;
pub use secret::{AccessToken, AppKey, AppSecret, CallbackToken, SessionKey};

/// Well-known errcodes the runtime treats specially.
pub mod errcode {
    /// System error: retried for idempotent actions.
    pub const SYSTEM_ERROR: i64 = -1;
    /// Duplicate operation: an earlier call with this id already succeeded.
    pub const DUPLICATE: i64 = 268_490_004;
    /// access_token invalid.
    pub const TOKEN_INVALID: i64 = 40001;
    /// access_token not the latest.
    pub const TOKEN_NOT_LATEST: i64 = 40014;
    /// access_token expired.
    pub const TOKEN_EXPIRED: i64 = 42001;

    /// Whether the errcode means the access token must be dropped and the call retried once.
    pub const fn is_token_error(code: i64) -> bool {
        matches!(code, TOKEN_INVALID | TOKEN_NOT_LATEST | TOKEN_EXPIRED)
    }
}
