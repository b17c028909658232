//! Helpers for tests against the mock, yours and the project's own:
//!
//! - [`MockServer::client`] / [`MockServer::client_builder`]: an [`xpay::Client`] configured
//!   with the mock's credentials and base URL, retrying fast;
//! - [`MockServer::callback_config`] and [`PushInbox`] ([`MockServer::push_inbox`]): a push
//!   callback served by xpay's axum router that hands every push to the test, typed, with
//!   the reply it got;
//! - [`MockServer::check_payment`]: checks the payment parameters a backend hands
//!   `wx.requestVirtualPayment` against the mock's AppKeys and a session key.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use xpay::api::PresentCurrencyRequest;
//! use xpay_mock::{MockConfig, MockServer};
//!
//! let server = MockServer::start(MockConfig::default()).await?;
//! let client = server.client();
//! let (openid, _session_key) = server.login("code-of-alice");
//! let answer = client
//!     .send(PresentCurrencyRequest::new(&openid, "gift_0001", 100))
//!     .await?;
//! assert_eq!(answer.balance, Some(100));
//! # Ok(()) }
//! ```

mod inbox;
mod payment;

use xpay::callback::CallbackConfig;
use xpay::{Client, ClientBuilder};

pub use inbox::{DEFAULT_PUSH_WAIT, InboxError, PUSH_PATH, PushInbox, ReceivedPush};
pub use payment::{CheckedPayment, PaymentCheckError};

use crate::server::MockServer;

impl MockServer {
    /// A client builder configured for the mock: its app id, AppSecret, offer id, both
    /// AppKeys and base URL, production env, and a fast retry policy (3 attempts, 1 ms then
    /// 2 ms apart). Change what the test needs before
    /// [`build`](ClientBuilder::build):
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let server = xpay_mock::MockServer::start(xpay_mock::MockConfig::default()).await?;
    /// let sandbox = server.client_builder().env(xpay::Env::Sandbox).build()?;
    /// assert_eq!(sandbox.base_url(), server.base_url());
    /// # Ok(()) }
    /// ```
    pub fn client_builder(&self) -> ClientBuilder {
        self.credentials().client_builder(self.base_url())
    }

    /// A new client for the mock, built from [`client_builder`](Self::client_builder): its
    /// own token cache and connections. (Should building one ever fail, a clone of the
    /// client built when the mock started, which shares that one's cache, is returned.)
    pub fn client(&self) -> Client {
        self.client_builder()
            .build()
            .unwrap_or_else(|_| self.fallback_client().clone())
    }

    /// The callback settings of the mock's pushes: its message-push Token, EncodingAESKey and
    /// app id, as a merchant configures its push receiver (add
    /// [`with_reply_mode`](CallbackConfig::with_reply_mode) or other settings as needed).
    pub fn callback_config(&self) -> CallbackConfig {
        let shared = self.shared();
        CallbackConfig::new(shared.pusher.token.clone())
            .with_aes_key(shared.pusher.aes_key.clone())
            .with_app_id(shared.credentials.app_id.clone())
    }
}
