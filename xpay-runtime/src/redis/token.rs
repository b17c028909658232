//! [`RedisStore`]: access tokens and the refresh lock in Redis, shared by every instance of an
//! app, with a local fallback while Redis cannot be reached.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{RedisResult, Script};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::RedisConnection;
use crate::token::{BoxFuture, LockToken, MemoryStore, StoredToken, TokenStore};
use crate::{AccessToken, Result};

/// The tracing target of every event the store emits (see [`RedisStore::TRACING_TARGET`]).
const TARGET: &str = "xpay_runtime::token::redis";

/// The suffix of the refresh lock's key, after the token's key.
const LOCK_SUFFIX: &str = ":lock";

/// TTLs at or above this many milliseconds (about 2,200 years) are stored without expiry.
const MAX_PX_MILLIS: u64 = 1 << 46;

/// Reads a token and the milliseconds it has left in one atomic step (nil when absent).
static GET_SCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local token = redis.call('GET', KEYS[1])
if not token then return false end
return {token, redis.call('PTTL', KEYS[1])}",
    )
});

/// A [`TokenStore`] in Redis, so that every instance of an app shares one access token and
/// only one of them refreshes it at a time. Feature `redis`.
///
/// ```no_run
/// # async fn demo() -> xpay_runtime::Result<()> {
/// use xpay_runtime::Client;
/// use xpay_runtime::redis::RedisStore;
///
/// let store = RedisStore::connect("redis://:password@10.0.0.5:6379/0").await?;
/// let client = Client::builder()
///     .app_id("wx1234567890")
///     .app_secret("…")
///     .app_key("…")
///     .token_store(store)
///     .build()?;
/// # Ok(())
/// # }
/// ```
///
/// # What is kept where
///
/// The key comes from the [`TokenManager`](crate::token::TokenManager)
/// ([`TokenSource::store_key`](crate::token::TokenSource::store_key):
/// `xpay:{app_id}:access_token:{mode}`, the app id a hash tag), so several apps, and the stable
/// and classic tokens of one app, share one Redis without meeting.
///
/// - **The token**: a string at the key, `SET key token PX ttl`, so Redis expires it with the
///   token. [`get`](TokenStore::get) reads it and its remaining time (`PTTL`) in one Lua script,
///   so a reader never sees a token without its expiry.
/// - **The refresh lock**: the key `{key}:lock`, taken with `SET {key}:lock VALUE NX PX ttl`
///   where `VALUE` is a fresh random [`LockToken`] (128 bits), and released with a
///   compare-and-delete script that deletes it only while it still holds `VALUE`. A refresher
///   that crashes never releases it, and Redis drops it after the lock TTL
///   ([`TokenManager::DEFAULT_LOCK_TTL`](crate::token::TokenManager::DEFAULT_LOCK_TTL), 20 s).
/// - **Waiting instances**: an instance that cannot take the lock polls [`get`](TokenStore::get)
///   (the [`TokenManager`](crate::token::TokenManager) does this) and uses the token the holder stores
///   instead of fetching one; when the lock expires without a token, it takes the lock itself.
/// - **Invalidation** (errcodes 40001, 40014, 42001): a compare-and-delete script removes the
///   token only while it is still the one that was rejected. Every instance then sees no token,
///   and one of them fetches a new one under the lock; an instance that hits the same rejected
///   token later leaves the new token alone, so one rejected token causes one fetch.
///
/// # Secrets
///
/// Nothing secret is written to Redis except the access token itself (in plain text, as Redis
/// keeps strings: protect the Redis with a password and a private network). No AppSecret or
/// AppKey is ever stored, and the lock holds only a random value. `Debug` shows the Redis URL
/// with its password (and any `pass` query parameter) redacted, and no error or log line quotes
/// the URL's password or a token.
///
/// # When Redis cannot be reached
///
/// Payments keep working. A failed or timed-out Redis command (each has
/// [`RedisConnection::DEFAULT_OP_TIMEOUT`], 1 s, unless told otherwise) switches the
/// store to a fallback in this process's memory, and it leaves Redis alone for
/// [`DEFAULT_RETRY_INTERVAL`](Self::DEFAULT_RETRY_INTERVAL) (5 s) before one command tries it
/// again, so calls are not slowed down by a dead Redis. Meanwhile:
///
/// - the last token read from or written to Redis is still used while it lasts (the store keeps
///   a local copy), so an outage does not by itself cause a fetch;
/// - when there is no usable token, the instance fetches one on its own (under a lock in this
///   process, so the [`TokenManager`](crate::token::TokenManager)'s single flight stays intact)
///   and keeps it locally; the manager limits how often a rejected token is fetched again.
///
/// Once Redis answers again the store uses it again, and the local copies no longer count.
/// Clones share the fallback state; separate stores (separate `connect` calls) do not.
///
/// In [`TokenMode::Classic`](crate::token::TokenMode::Classic), every fetch invalidates the token other
/// instances hold (5 minutes later), so instances fetching on their own during an outage reject
/// each other's tokens and each refetches after a rejection: calls keep working, but the
/// fallback costs fetches. [`TokenMode::Stable`](crate::token::TokenMode::Stable) (the default) has no
/// such effect and is recommended whenever tokens are shared.
///
/// # Tracing
///
/// Every event has the target [`TRACING_TARGET`](Self::TRACING_TARGET)
/// (`xpay_runtime::token::redis`) and a `key` field (the store key, no secret). Their messages
/// are stable:
///
/// - WARN `redis token store unavailable; falling back to this process's own tokens` (with the
///   `operation` and the `error`) when Redis stops answering;
/// - WARN `refreshing the access token without the redis lock (fallback)` each time the
///   fallback lets this process refresh on its own;
/// - INFO `redis token store reachable again` when Redis answers again.
///
/// # TLS
///
/// `rediss://` URLs need the `rustls` feature (on by default) besides `redis`.
#[derive(Clone)]
pub struct RedisStore {
    connection: RedisConnection,
    retry_interval: Duration,
    state: Arc<State>,
}

/// What clones of one store share.
struct State {
    /// While Redis is considered down, the instant before which it is left alone; `None`
    /// while Redis answers.
    down_until: Mutex<Option<Instant>>,
    /// The last token seen in Redis (or fetched during the fallback) and the fallback's locks.
    local: MemoryStore,
}

/// Locks a mutex whose data stays consistent even if a holder panicked (single assignments).
fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RedisStore {
    /// The tracing target of every event the store emits: `xpay_runtime::token::redis`.
    pub const TRACING_TARGET: &'static str = TARGET;
    /// How long Redis is left alone after a failure unless told otherwise: 5 s.
    pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_secs(5);

    /// A token store on `connection`.
    pub fn new(connection: RedisConnection) -> Self {
        Self {
            connection,
            retry_interval: Self::DEFAULT_RETRY_INTERVAL,
            state: Arc::new(State {
                down_until: Mutex::new(None),
                local: MemoryStore::new(),
            }),
        }
    }

    /// [`RedisConnection::connect`], then a store on it.
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self::new(RedisConnection::connect(url).await?))
    }

    /// [`RedisConnection::connect_lazy`], then a store on it: an application can start while
    /// Redis is down (the store uses the fallback until Redis answers).
    pub fn connect_lazy(url: &str) -> Result<Self> {
        Ok(Self::new(RedisConnection::connect_lazy(url)?))
    }

    /// [`RedisConnection::from_manager`], then a store on it.
    pub fn from_manager(manager: ConnectionManager) -> Self {
        Self::new(RedisConnection::from_manager(manager))
    }

    /// Falls back when a Redis command takes longer than `timeout` (default 1 s). A zero
    /// timeout is taken as 1 ms.
    pub fn with_op_timeout(mut self, timeout: Duration) -> Self {
        self.connection = self.connection.with_op_timeout(timeout);
        self
    }

    /// Leaves Redis alone for `interval` after a failure before trying it again (default 5 s).
    pub fn with_retry_interval(mut self, interval: Duration) -> Self {
        self.retry_interval = interval;
        self
    }

    /// Whether the store is using Redis (`false` while it falls back on local tokens).
    pub fn is_redis_available(&self) -> bool {
        guard(&self.state.down_until).is_none()
    }

    /// Whether to send a command to Redis now. While Redis is considered down, one caller per
    /// retry interval is let through to probe it; the others use the fallback at once.
    fn should_try_redis(&self) -> bool {
        let mut down_until = guard(&self.state.down_until);
        match *down_until {
            None => true,
            Some(until) => {
                let now = Instant::now();
                if now < until {
                    return false;
                }
                *down_until = Some(now.checked_add(self.retry_interval).unwrap_or(now));
                true
            }
        }
    }

    fn mark_up(&self, key: &str) {
        let was_down = guard(&self.state.down_until).take().is_some();
        if was_down {
            info!(target: TARGET, key, "redis token store reachable again");
        }
    }

    fn mark_down(&self, key: &str, operation: &'static str, error: &str) {
        let now = Instant::now();
        let was_up = guard(&self.state.down_until)
            .replace(now.checked_add(self.retry_interval).unwrap_or(now))
            .is_none();
        if was_up {
            warn!(
                target: TARGET,
                key,
                operation,
                error,
                endpoint = %self.connection.endpoint,
                "redis token store unavailable; falling back to this process's own tokens"
            );
        } else {
            debug!(target: TARGET, key, operation, error, "redis token store still unavailable");
        }
    }

    /// Runs a Redis command with the store's timeout. `None` when Redis is skipped, fails or
    /// does not answer in time: the caller then uses the fallback.
    async fn redis<T>(
        &self,
        key: &str,
        operation: &'static str,
        command: impl Future<Output = RedisResult<T>>,
    ) -> Option<T> {
        if !self.should_try_redis() {
            return None;
        }
        match tokio::time::timeout(self.connection.op_timeout, command).await {
            Ok(Ok(value)) => {
                self.mark_up(key);
                Some(value)
            }
            Ok(Err(error)) => {
                self.mark_down(key, operation, &error.to_string());
                None
            }
            Err(_) => {
                let error = format!("no answer within {:?}", self.connection.op_timeout);
                self.mark_down(key, operation, &error);
                None
            }
        }
    }

    async fn get_token(&self, key: &str) -> Result<Option<StoredToken>> {
        let mut connection = self.connection.manager.clone();
        let read = self
            .redis(key, "get", async {
                GET_SCRIPT
                    .key(key)
                    .invoke_async::<Option<(String, i64)>>(&mut connection)
                    .await
            })
            .await;
        let local = &self.state.local;
        let Some(read) = read else {
            return local.get(key).await;
        };
        match read.and_then(|(token, pttl)| stored_token(token, pttl)) {
            Some(stored) => {
                // Keep a copy for the fallback, refreshed only when the token changes.
                let known = local
                    .get(key)
                    .await?
                    .is_some_and(|copy| copy.token == stored.token);
                if !known {
                    local.put(key, &stored.token, stored.expires_in).await?;
                }
                Ok(Some(stored))
            }
            None => {
                // Redis has no token: neither has the fallback.
                if let Some(copy) = local.get(key).await? {
                    local.invalidate(key, &copy.token).await?;
                }
                Ok(None)
            }
        }
    }

    async fn put_token(&self, key: &str, token: &AccessToken, ttl: Duration) -> Result<()> {
        // A zero TTL: the token is already expired, so it only removes the one stored.
        let px = px_millis(ttl);
        let mut command = redis::cmd(if px == Some(0) { "DEL" } else { "SET" });
        command.arg(key);
        if px != Some(0) {
            command.arg(token.expose());
            if let Some(millis) = px {
                command.arg("PX").arg(millis);
            }
        }
        let mut connection = self.connection.manager.clone();
        let written = self
            .redis(key, "put", command.query_async::<()>(&mut connection))
            .await;
        let _ = written;
        self.state.local.put(key, token, ttl).await
    }

    async fn invalidate_token(&self, key: &str, token: &AccessToken) -> Result<bool> {
        let mut connection = self.connection.manager.clone();
        let deleted = self
            .redis(key, "invalidate", async {
                super::COMPARE_AND_DELETE
                    .key(key)
                    .arg(token.expose())
                    .invoke_async::<i64>(&mut connection)
                    .await
            })
            .await;
        let local = &self.state.local;
        match deleted {
            Some(deleted) => {
                local.invalidate(key, token).await?;
                Ok(deleted == 1)
            }
            None => local.invalidate(key, token).await,
        }
    }

    async fn try_lock_key(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>> {
        let lock = LockToken::random();
        let lock_key = format!("{key}{LOCK_SUFFIX}");
        let mut connection = self.connection.manager.clone();
        let taken = self
            .redis(key, "try_lock", async {
                redis::cmd("SET")
                    .arg(&lock_key)
                    .arg(lock.as_str())
                    .arg("NX")
                    .arg("PX")
                    .arg(px_millis(ttl).unwrap_or(MAX_PX_MILLIS - 1).max(1))
                    .query_async::<Option<String>>(&mut connection)
                    .await
            })
            .await;
        match taken {
            Some(Some(_)) => Ok(Some(lock)),
            Some(None) => Ok(None),
            None => {
                let local = self.state.local.try_lock(key, ttl).await?;
                if local.is_some() {
                    warn!(
                        target: TARGET,
                        key,
                        "refreshing the access token without the redis lock (fallback)"
                    );
                }
                Ok(local)
            }
        }
    }

    async fn unlock_key(&self, key: &str, lock: LockToken) -> Result<()> {
        let lock_key = format!("{key}{LOCK_SUFFIX}");
        let mut connection = self.connection.manager.clone();
        // A lock from Redis is released there; one the fallback gave, here. Lock values are
        // random, so trying both releases nobody else's. If Redis is down, its lock expires.
        self.redis(key, "unlock", async {
            super::COMPARE_AND_DELETE
                .key(&lock_key)
                .arg(lock.as_str())
                .invoke_async::<i64>(&mut connection)
                .await
        })
        .await;
        self.state.local.unlock(key, lock).await
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("endpoint", &self.connection.endpoint)
            .field("redis_available", &self.is_redis_available())
            .field("op_timeout", &self.connection.op_timeout)
            .field("retry_interval", &self.retry_interval)
            .finish_non_exhaustive()
    }
}

impl TokenStore for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>> {
        Box::pin(self.get_token(key))
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.put_token(key, token, ttl))
    }

    fn invalidate<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.invalidate_token(key, token))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockToken>>> {
        Box::pin(self.try_lock_key(key, ttl))
    }

    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.unlock_key(key, lock))
    }
}

/// A token read from Redis, unless it is empty (not a token) or has expired.
fn stored_token(token: String, pttl: i64) -> Option<StoredToken> {
    let expires_in = match pttl {
        // No expiry: stored with a TTL too long for `PX`.
        -1 => Duration::MAX,
        millis => Duration::from_millis(u64::try_from(millis).ok().filter(|&m| m > 0)?),
    };
    let token = AccessToken::new(token).ok()?;
    Some(StoredToken { token, expires_in })
}

/// `ttl` in whole milliseconds, rounded up (a token with 0.3 ms left is not yet expired);
/// `None` when it is too long to give Redis as `PX`.
fn px_millis(ttl: Duration) -> Option<u64> {
    let millis = ttl.as_nanos().div_ceil(1_000_000);
    u64::try_from(millis)
        .ok()
        .filter(|&millis| millis < MAX_PX_MILLIS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_become_whole_milliseconds() {
        assert_eq!(px_millis(Duration::ZERO), Some(0));
        assert_eq!(px_millis(Duration::from_micros(300)), Some(1));
        assert_eq!(px_millis(Duration::from_secs(7200)), Some(7_200_000));
        assert_eq!(px_millis(Duration::MAX), None);
    }

    #[test]
    fn stored_tokens_never_come_back_expired_or_empty() {
        let token = |s: &str| s.to_owned();
        assert!(stored_token(token("T"), 0).is_none());
        assert!(stored_token(token("T"), -2).is_none());
        assert!(stored_token(token(""), 1000).is_none());
        let stored = stored_token(token("T"), 1500).expect("alive");
        assert_eq!(stored.expires_in, Duration::from_millis(1500));
        let forever = stored_token(token("T"), -1).expect("no expiry");
        assert_eq!(forever.expires_in, Duration::MAX);
    }

    #[tokio::test]
    async fn debug_shows_no_password() {
        let store =
            RedisStore::connect_lazy("redis://:hunter2-secret@127.0.0.1:1/0").expect("lazy");
        let debug = format!("{store:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("127.0.0.1:1"), "{debug}");
    }
}
