//! [`RedisConnection`]: one reconnecting connection, its redacted URL and its command timeout,
//! shared by every Redis store.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::RedisResult;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::url::{open, redact_url};
use crate::{Error, Result};

/// How long the connection itself waits for an answer before failing a command. The stores
/// give up after their own, shorter, op timeout; this only bounds what a stuck connection holds.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection to one Redis, shared by the stores built on it ([`RedisStore`](super::RedisStore)
/// for tokens, [`RedisDedupStore`](super::RedisDedupStore) for pushes,
/// [`RedisSeenQueries`](super::RedisSeenQueries) for push queries). Cheap to clone: clones
/// share the connection, which reconnects by itself after Redis restarts or the network breaks.
///
/// `Debug`, errors and logs show the URL with its password (and any `pass` query parameter)
/// redacted, however malformed the URL is.
#[derive(Clone)]
pub struct RedisConnection {
    pub(super) manager: ConnectionManager,
    /// The URL with its credentials redacted.
    pub(super) endpoint: Arc<str>,
    pub(super) op_timeout: Duration,
}

impl RedisConnection {
    /// How long one command may take unless told otherwise: 1 s.
    pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(1);
    /// How long [`connect`](Self::connect) waits for Redis: 5 s.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

    /// Connects to the Redis at `url` (`redis://[user][:password@]host[:port][/db]`,
    /// `rediss://…` for TLS, or `redis+unix:///path?db=N&pass=…`) and checks that it answers a
    /// `PING`, so that a wrong password shows at once.
    ///
    /// Errors with [`Error::InvalidSetting`] when the URL is invalid, or [`Error::Store`] when
    /// Redis cannot be reached within [`CONNECT_TIMEOUT`](Self::CONNECT_TIMEOUT); neither quotes
    /// the password. To start while Redis may be down, see [`connect_lazy`](Self::connect_lazy).
    pub async fn connect(url: &str) -> Result<Self> {
        let endpoint = redact_url(url);
        let client = open(url, &endpoint)?;
        let connecting = async {
            let mut manager = ConnectionManager::new_with_config(
                client,
                manager_config(Self::DEFAULT_OP_TIMEOUT),
            )
            .await?;
            redis::cmd("PING").query_async::<()>(&mut manager).await?;
            RedisResult::Ok(manager)
        };
        let manager = match tokio::time::timeout(Self::CONNECT_TIMEOUT, connecting).await {
            Ok(Ok(manager)) => manager,
            Ok(Err(error)) => return Err(store_error(&endpoint, "cannot connect", error)),
            Err(_) => {
                return Err(Error::Store {
                    store: format!("Redis at {endpoint}"),
                    message: format!(
                        "cannot connect: no answer within {:?}",
                        Self::CONNECT_TIMEOUT
                    ),
                    source: None,
                });
            }
        };
        Ok(Self::assemble(manager, endpoint))
    }

    /// A connection to the Redis at `url` made on first use, so that an application can start
    /// while Redis is down. Must be called within a Tokio runtime.
    ///
    /// Errors with [`Error::InvalidSetting`] when the URL is invalid or there is no runtime.
    pub fn connect_lazy(url: &str) -> Result<Self> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::invalid_setting(
                crate::Setting::RedisUrl,
                "a lazy Redis connection must be made within a Tokio runtime",
            ));
        }
        let endpoint = redact_url(url);
        let client = open(url, &endpoint)?;
        let manager = ConnectionManager::new_lazy_with_config(
            client,
            manager_config(Self::DEFAULT_OP_TIMEOUT),
        )
        .map_err(|error| store_error(&endpoint, "cannot set up", error))?;
        Ok(Self::assemble(manager, endpoint))
    }

    /// A connection over a manager the application built itself (its own timeouts, retries,
    /// TLS or credentials), from the same `redis` crate version as this crate's (1.x).
    pub fn from_manager(manager: ConnectionManager) -> Self {
        Self::assemble(manager, "(a ConnectionManager)".into())
    }

    fn assemble(manager: ConnectionManager, endpoint: String) -> Self {
        Self {
            manager,
            endpoint: endpoint.into(),
            op_timeout: Self::DEFAULT_OP_TIMEOUT,
        }
    }

    /// Gives up on a command after `timeout` (default 1 s; a zero timeout is taken as 1 ms).
    pub fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.op_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The URL with its credentials redacted.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Runs a command with the op timeout; a failure or a timeout is an [`Error::Store`] naming
    /// `store` and `operation`.
    pub(super) async fn run<T>(
        &self,
        store: &str,
        operation: &str,
        command: impl Future<Output = RedisResult<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.op_timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Error::Store {
                store: format!("{store} at {}", self.endpoint),
                message: format!(
                    "{operation}: {}",
                    crate::secret::escape_controls(&error.to_string())
                ),
                source: Some(Arc::new(error)),
            }),
            Err(_) => Err(Error::Store {
                store: format!("{store} at {}", self.endpoint),
                message: format!("{operation}: no answer within {:?}", self.op_timeout),
                source: None,
            }),
        }
    }
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("endpoint", &self.endpoint)
            .field("op_timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

/// The connection manager's settings: quick to give up on connecting, so that a store falls
/// back early; it keeps reconnecting in the background.
fn manager_config(connect_timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(connect_timeout))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(100))
        .set_max_delay(Duration::from_secs(1))
}

/// A store error whose message and source are the Redis error's (whose text never carries the
/// URL's password).
fn store_error(endpoint: &str, what: &str, error: redis::RedisError) -> Error {
    let text = crate::secret::escape_controls(&error.to_string());
    Error::Store {
        store: format!("Redis at {endpoint}"),
        message: format!("{what}: {text}"),
        source: Some(Arc::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_urls_are_setting_errors_without_the_password() {
        for url in [
            "http://:hunter2-secret@host",
            "redis://:hunter2-secret@/",
            "redis:/:hunter2-secret@127.0.0.1:6379",
            "redis//:hunter2-secret@127.0.0.1",
        ] {
            let error = RedisConnection::connect(url).await.expect_err("invalid");
            assert!(
                matches!(
                    error,
                    Error::InvalidSetting {
                        setting: crate::Setting::RedisUrl,
                        ..
                    }
                ),
                "{error:?}"
            );
            assert!(!format!("{error} {error:?}").contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn connect_lazy_needs_a_runtime() {
        let error = RedisConnection::connect_lazy("redis://127.0.0.1:1").expect_err("no runtime");
        assert!(matches!(
            error,
            Error::InvalidSetting {
                setting: crate::Setting::RedisUrl,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn debug_shows_no_password() {
        let conn =
            RedisConnection::connect_lazy("redis://:hunter2-secret@127.0.0.1:1/0").expect("lazy");
        let debug = format!("{conn:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("127.0.0.1:1"), "{debug}");
    }
}
