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
    pub fn with_port(self, port: u16) -> Self {
        Self { port, ..self }
    }

    /// Checks against these credentials instead of random ones, so that a backend configured
    /// with them can be pointed at the mock.
    pub fn with_credentials(self, credentials: Credentials) -> Self {
        Self {
            credentials: Some(credentials),
            ..self
        }
    }

    /// Sends pushes to this target: a URL and an envelope format, [`PushTarget::json`] or
    /// [`PushTarget::xml`].
    pub fn with_push_target(self, target: PushTarget) -> Self {
        Self {
            push_target: Some(target),
            ..self
        }
    }

    /// Retries unacknowledged pushes on this schedule (default [`PushRetry::quick`];
    /// [`PushRetry::wechat`] follows WeChat's own 15 retries over about a day).
    pub fn with_push_retry(self, retry: PushRetry) -> Self {
        Self {
            push_retry: retry,
            ..self
        }
    }

    /// Spends presented or saved tokens first in `currency_pay` (default presented first;
    /// WeChat does not document its order).
    pub fn with_spend_order(self, order: SpendOrder) -> Self {
        Self {
            spend_order: order,
            ..self
        }
    }

    /// Access tokens live this long (default [`DEFAULT_TOKEN_TTL`], 7200 s as WeChat's); a short
    /// one exercises a client's refresh.
    pub fn with_token_ttl(self, ttl: Duration) -> Self {
        Self {
            token_ttl: ttl,
            ..self
        }
    }
}
