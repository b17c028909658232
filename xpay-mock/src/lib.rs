//! # xpay-mock
//!
//! A fake WeChat virtual-payment (小程序虚拟支付, "xpay") server for tests and local
//! development, built on axum and bound to 127.0.0.1 on a chosen or free port.
//!
//! - **Credentials and tokens** ([`Credentials`], [`auth`](crate::MockServer::login)): test
//!   credentials (random per start or given), `stable_token` and the classic `token`
//!   (40013 / 40125 for a wrong appid or secret), and `jscode2session` logins that give a test
//!   user a deterministic openid and a fresh session key (the latest one signs that user's
//!   `pay+user` requests).
//! - **Every spec action checked from the spec table alone** ([`verify`]): access token,
//!   `pay_sig` with the AppKey of the body's env, the user signature, and the request's
//!   required fields, types and rules; failures answer WeChat's errcodes ([`errcodes`]).
//! - **A real ledger** ([`ledger`]): token balances, gifts, payments and their cancels with
//!   idempotent ids, cash orders with refunds, withdrawals, item upload and publish tasks;
//!   actions without a model answer a spec-shaped success ([`sample`]).
//! - **Pushes** ([`push`]): [`MockServer::pay`] plays WeChat charging a user and pushes the
//!   encrypted delivery event to your callback URL (JSON or XML, retried until acknowledged);
//!   `refund_order` pushes `xpay_refund_notify`.
//! - **Fault injection** ([`faults`]): the next *n* calls of an endpoint fail with an errcode or
//!   an HTTP status, answers are delayed, the token expires.
//! - **Helpers for tests** ([`testing`]): a [`Client`](xpay::Client) for the mock
//!   ([`MockServer::client`]), a push callback that hands every push over typed
//!   ([`PushInbox`]), and a check of payment parameters ([`MockServer::check_payment`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use xpay_mock::{MockConfig, MockServer};
//! use xpay::api::PresentCurrencyRequest;
//!
//! let server = MockServer::start(MockConfig::default()).await?;
//! // Configured with the mock's credentials and base URL (`server.env_lines()` has them too).
//! let client = server.client();
//! let (openid, _session_key) = server.login("code-of-alice");
//! client
//!     .send(PresentCurrencyRequest::new(&openid, "gift_0001", 100))
//!     .await?;
//! assert_eq!(server.balance(&openid, xpay::Env::Production).present, 100);
//! for line in server.env_lines() {
//!     println!("{line}"); // XPAY_APP_ID=…, …, XPAY_BASE_URL=http://127.0.0.1:PORT
//! }
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! xpay-mock turns on the `push-sender` and `serde-roundtrip` features of `xpay`. As a
//! dev-dependency it turns them on for your test builds only (Cargo unifies features), so code
//! that compiles in your tests because of them, deserializing a request type say, can fail
//! in `cargo build`.
//!
//! A command-line front end starts a server with [`MockConfig::with_port`], prints
//! [`MockServer::env_lines`], and calls [`MockServer::shutdown`] on Ctrl-C; everything the
//! library methods do is also reachable over HTTP under `/mock/*` (see [`MockServer`]).
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod answer;
mod auth;
mod config;
mod control;
mod credentials;
pub mod errcodes;
mod error;
pub mod faults;
pub mod ledger;
pub mod push;
pub mod sample;
mod server;
mod serving;
mod state;
pub mod testing;
pub mod verify;
mod wechat;

pub use config::{DEFAULT_MAX_BODY_BYTES, DEFAULT_TOKEN_TTL, MockConfig};
pub use credentials::Credentials;
pub use error::{MockError, Result};
pub use faults::Fault;
pub use ledger::{Balance, CashOrder, PayMode, Payment, SpendOrder};
pub use push::{Delivery, PushRetry, PushTarget};
pub use server::MockServer;
pub use state::{PayOutcome, REQUEST_LOG_LIMIT, RequestRecord};
pub use testing::{CheckedPayment, InboxError, PaymentCheckError, PushInbox, ReceivedPush};
pub use xpay::callback::Format;
