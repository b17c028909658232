//! # xpay-runtime
//!
//! The spec-agnostic core of xpay-rs, WeChat Mini Program virtual payment (小程序虚拟支付,
//! "xpay") for Rust backends: the [`Client`] and its configuration, request signing, access
//! tokens, transport and retries, the client-side payment parameters, message-push callbacks,
//! and the metadata types generated code fills in.
//!
//! Nothing here knows an action: the typed API is generated from a spec (the built-in one in
//! the `xpay` crate, or yours with its `generate!` macro), and whatever needs a spec's tables —
//! errcode meanings, dynamic calls by name, the typed push decoder — takes them from the spec
//! in use ([`meta::SpecMeta`]). Most applications depend on the `xpay` crate, which re-exports
//! this one.
#![warn(missing_docs)]

mod action;
mod call;
pub mod callback;
mod check;
mod client;
pub mod clock;
mod de;
mod env;
mod error;
pub mod hook;
mod json_string;
mod keys;
mod lenient;
mod login;
pub mod meta;
mod payment;
#[cfg(feature = "redis")]
pub mod redis;
mod secret;
pub mod settings;
pub mod signing;
pub mod token;
mod unknown;

pub use action::{Action, EventSet, PaymentSpec};
pub use call::RawResponse;
pub use check::Violation;
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, RetryPolicy};
pub use env::Env;
pub use error::{Error, Result, Setting, SharedSource};
pub use json_string::JsonString;
pub use login::{Login, SessionCheck};
pub use payment::PaymentParams;
pub use secret::{
    AccessToken, AppKey, AppSecret, CallbackToken, SessionKey, escape_controls, needs_escape,
};
pub use unknown::{ParseEnumError, UnknownValue};

/// Well-known errcodes the runtime treats specially. What every errcode means is in the
/// errcode table of the spec in use ([`meta::SpecMeta::meaning`]).
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

/// What generated code reaches its dependencies through, so a crate that expands a spec
/// depends on the runtime (or the `xpay` crate) alone. Not a public API: it changes with the
/// generator, which the runtime pins exactly.
#[doc(hidden)]
pub mod __private {
    pub use crate::action::FillContext;
    pub use crate::secret::escape_controls;
    pub use serde;
    pub use serde_json;

    /// Pre-send checks.
    pub mod check {
        pub use crate::check::*;
    }

    /// Lenient readers of WeChat's values.
    pub mod lenient {
        pub use crate::lenient::*;
    }

    /// Reading generated types entry by entry.
    pub mod de {
        pub use crate::de::*;
    }
}
