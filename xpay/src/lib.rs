//! # xpay
//!
//! WeChat Mini Program virtual payment (小程序虚拟支付, "xpay") for Rust backends that sell
//! tokens (代币), items (道具) or subscriptions in a mini program or mini game.
//!
//! - [`api`]: every WeChat xpay action as a typed request and response, the payment orders, the
//!   typed push events and the [`api::SPEC`] table, generated from `spec/xpay.yaml`.
//! - [`Client`]: sends them, signed correctly the first time
//!   (`client.send(api::QueryOrderRequest::new(…))`), looks after access tokens, explains errors
//!   in words and never moves money twice; signs the payment parameters of
//!   `wx.requestVirtualPayment` ([`Client::payment_params`]).
//! - [`callback`]: verifies, decrypts and types the pushes, with an axum router (feature
//!   `axum`).
//! - [`generate!`]: when WeChat ships an action this crate does not have yet, declare it in a
//!   spec of your own and expand it in your crate; it is sent the same way.
//!
//! This crate is the runtime (`xpay-runtime`, re-exported here) plus the built-in API and the
//! macro. See the README for a tour.
#![warn(missing_docs)]

pub use xpay_runtime::*;

/// The API generated from the built-in spec (`spec/xpay.yaml`): a request and a response type
/// for every action (`QueryUserBalanceRequest` / `QueryUserBalanceResponse`, …), the named
/// objects, enums and one_of types (`Order`, `OrderStatus`, `OrderRef`, …), the payment orders
/// (`PaymentOrder`), the typed push events (`Event`, `Envelope`), and [`SPEC`](api::SPEC), the
/// table of every action, payment kind, event and errcode. `docs/ACTIONS.md` lists them all.
///
/// Every type is `#[non_exhaustive]`: requests are built with `new(required…)` and the `with_`
/// setters, responses and events with `Default` (or `new()`) and the setters, so that the spec
/// can gain fields, values, events and actions without breaking your build.
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/api.rs"));
}

/// Message-push callbacks (the runtime's [`callback`](xpay_runtime::callback) module), with
/// [`Push`](callback::Push) typed by the built-in spec's events unless told otherwise.
pub mod callback {
    pub use xpay_runtime::callback::*;

    /// A verified, decrypted push typed by a spec's events: the built-in spec's
    /// [`Event`](crate::api::Event) by default, or your own spec's (`Push<gift::Event>` for a
    /// module `gift` that invokes [`generate!`](crate::generate)).
    pub type Push<E = crate::api::Event> = xpay_runtime::callback::Push<E>;
}

/// The text of the built-in spec (`spec/xpay.yaml`), for tools that read it at run time.
pub const SPEC_YAML: &str = include_str!("../spec/xpay.yaml");

/// Expands a spec of your own into typed requests, responses, events and its `SPEC` table,
/// reaching the runtime through this crate:
///
/// ```text
/// mod gift {
///     xpay::generate!(spec = "spec/gift.yaml");
/// }
/// let resp = client.send(gift::QueryGiftCardRequest::new("card_1")).await?;
/// ```
///
/// `spec` is relative to your crate's `Cargo.toml`. `roundtrip = true` derives both serde
/// directions on every type (for fakes and tests). A broken spec fails the build with every
/// problem located in the YAML (`gift.yaml:8:24`, the line with the offending text underlined, the rule's id and, for a misspelt name, the nearest known one). Invoke it once per
/// module.
#[macro_export]
macro_rules! generate {
    ($($args:tt)*) => {
        $crate::__generate! { runtime = $crate, $($args)* }
    };
}

#[doc(hidden)]
pub use xpay_macros::generate as __generate;

/// The README's examples, compiled as doctests so they stay true.
#[cfg(all(doctest, feature = "axum", feature = "redis"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
