//! # xpay-runtime
//!
//! WeChat Mini Program virtual payment (小程序虚拟支付, "xpay") for Rust backends: every server
//! action as a typed method, generated from `spec/xpay.yaml`; the `wx.requestVirtualPayment`
//! parameters in one call; access tokens that look after themselves; and push callbacks that are
//! verified, decrypted and typed.
#![warn(missing_docs)]

extern crate self as xpay_runtime;

mod action;
pub mod api;
mod call;
pub mod callback;
pub mod check;
mod client;
mod env;
mod error;
mod json_string;
#[doc(hidden)]
pub mod lenient;
mod login;
pub mod meta;
mod payment;
mod secret;
pub mod signing;
pub mod token;

pub use action::{Action, EventSet, FillContext, PaymentSpec};
pub use call::RawResponse;
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, RetryPolicy};
pub use env::Env;
pub use error::{Error, Result};
pub use json_string::JsonString;
pub use login::Login;
pub use payment::{PaymentParams, sign_payment, sign_payment_data};
pub use secret::{AccessToken, AppKey, AppSecret, CallbackToken, SessionKey};
pub use xpay_macros::generate;

/// The text of the built-in spec (`spec/xpay.yaml`), for tools that read it at run time.
pub const SPEC_YAML: &str = include_str!("../spec/xpay.yaml");

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

    /// What an errcode means, from the built-in spec's table.
    pub fn meaning(code: i64) -> &'static str {
        crate::api::SPEC
            .error(code)
            .map(|e| e.message)
            .unwrap_or("an errcode the spec's table does not list")
    }
}

/// What generated code reaches its dependencies through, so a crate that expands a spec
/// depends on `xpay-runtime` alone. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::check;
    pub use crate::lenient;
    pub use serde;
    pub use serde_json;
}

/// The README's examples, compiled as doctests so they stay true.
#[cfg(all(doctest, feature = "axum", feature = "redis"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
