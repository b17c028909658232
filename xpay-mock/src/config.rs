//! [`MockConfig`]: how a [`MockServer`](crate::MockServer) starts.

use std::time::Duration;

use crate::credentials::Credentials;
use crate::ledger::SpendOrder;
use crate::push::{PushRetry, PushTarget};

/// The default request body limit: 1 MiB (larger bodies answer HTTP 413).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The default lifetime of an access token: 7200 s, as WeChat's.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(7200);

/// How a [`MockServer`](crate::MockServer) starts.
///
/// `MockConfig::default()` binds a free port on 127.0.0.1 with random credentials, no push
/// target, the quick push retry schedule ([`PushRetry::quick`]) and presented tokens spent
/// first. Change fields directly or with the `with_*` setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MockConfig {
    /// The port on 127.0.0.1; 0 picks a free one (see [`MockServer::base_url`]).
    ///
    /// [`MockServer::base_url`]: crate::MockServer::base_url
    pub port: u16,
    /// The credentials to check against; `None` makes random ones.
    pub credentials: Option<Credentials>,
    /// Where pushes go; `None` sends none (set later with
    /// [`MockServer::set_push_target`](crate::MockServer::set_push_target)).
    pub push_target: Option<PushTarget>,
    /// How often and how soon an unacknowledged push is sent again.
    pub push_retry: PushRetry,
    /// How long one push attempt may take before it counts as failed.
    pub push_timeout: Duration,
    /// Which tokens `currency_pay` spends first.
    pub spend_order: SpendOrder,
    /// How long an access token lives.
    pub token_ttl: Duration,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// The mini program's original id (`gh_…`), the `ToUserName` of pushes.
    pub original_id: String,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            port: 0,
            credentials: None,
            push_target: None,
            push_retry: PushRetry::quick(),
            push_timeout: Duration::from_secs(5),
            spend_order: SpendOrder::PresentFirst,
            token_ttl: DEFAULT_TOKEN_TTL,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            original_id: "gh_0123456789ab".into(),
        }
    }
}

impl MockConfig {
    /// Listens on this port (0 = a free one).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Checks against these credentials instead of random ones.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Sends pushes to this target.
    pub fn with_push_target(mut self, target: PushTarget) -> Self {
        self.push_target = Some(target);
        self
    }

    /// Retries pushes on this schedule.
    pub fn with_push_retry(mut self, retry: PushRetry) -> Self {
        self.push_retry = retry;
        self
    }

    /// Spends presented or saved tokens first in `currency_pay`.
    pub fn with_spend_order(mut self, order: SpendOrder) -> Self {
        self.spend_order = order;
        self
    }

    /// Access tokens live this long.
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }
}
