//! The [`TokenManager`]: a cached token, refreshed ahead of expiry by one refresher at a time.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, debug, info, warn};

use super::source::TokenSource;
use super::store::{MemoryStore, TokenStore};
use crate::{AccessToken, Error, Result};

/// The outcome of one refresh as every caller waiting on it sees it: the token, or the
/// refresher's own error (errors are cheap to clone).
type Outcome = Result<AccessToken, Error>;

/// The refresh in flight in this process, if any: a receiver for its outcome.
type Flight = Option<watch::Receiver<Option<Outcome>>>;

/// Hands out access tokens: cached, refreshed ahead of expiry, one refresh at a time.
///
/// [`get`](Self::get) returns the stored token while it has more than the refresh margin left.
/// Otherwise one caller in this process refreshes and every other caller waits for its outcome,
/// however many there are; a failed refresh is an error to all of them, never a stale token.
/// Across processes sharing a [`TokenStore`], the refresher first takes the store's lock; an
/// instance that cannot take it polls the store until the holder stores a token or its lock
/// expires, and then takes the lock itself.
///
/// Cheap to clone: clones share one cache and one refresher.
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

struct Inner {
    source: Box<dyn TokenSource>,
    store: Box<dyn TokenStore>,
    key: String,
    refresh_margin: Duration,
    lock_ttl: Duration,
    poll_interval: Duration,
    flight: Mutex<Flight>,
}

/// Builds a [`TokenManager`] with a store or timings other than the defaults.
pub struct TokenManagerBuilder {
    source: Box<dyn TokenSource>,
    store: Option<Box<dyn TokenStore>>,
    refresh_margin: Duration,
    lock_ttl: Duration,
    poll_interval: Duration,
}

impl TokenManager {
    /// How long before expiry a token is refreshed unless told otherwise: 5 minutes, when
    /// WeChat renews stable tokens.
    pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
    /// How long the store's refresh lock lasts unless told otherwise: 20 s, longer than a
    /// token request may take with the client's default timeouts.
    pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(20);
    /// How often an instance waiting on another's refresh reads the store unless told
    /// otherwise: 200 ms.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(200);

    /// A manager for tokens from `source`, kept in a [`MemoryStore`], with the default timings.
    pub fn new(source: impl TokenSource + 'static) -> Self {
        Self::builder(source).assemble()
    }

    /// A builder for a manager for tokens from `source`.
    pub fn builder(source: impl TokenSource + 'static) -> TokenManagerBuilder {
        TokenManagerBuilder {
            source: Box::new(source),
            store: None,
            refresh_margin: Self::DEFAULT_REFRESH_MARGIN,
            lock_ttl: Self::DEFAULT_LOCK_TTL,
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
        }
    }

    /// The store key this manager's token is kept under (from
    /// [`TokenSource::store_key`]).
    pub fn key(&self) -> &str {
        &self.inner.key
    }

    /// Whether a token WeChat rejects can be replaced by another (false for a fixed token).
    pub fn can_refresh(&self) -> bool {
        self.inner.source.can_refresh()
    }

    /// A token with more than the refresh margin left, refreshing it first when needed.
    ///
    /// Errors when the refresh fails (every caller waiting on that refresh gets the
    /// refresher's own error, errcode included) or the store cannot be read.
    pub async fn get(&self) -> Result<AccessToken> {
        let inner = &self.inner;
        loop {
            if let Some(token) = inner.fresh().await? {
                return Ok(token);
            }
            match inner.join_or_lead() {
                Role::Lead(flight) => {
                    let span = tracing::info_span!("xpay.token.refresh", key = %inner.key);
                    let result = inner.refresh().instrument(span).await;
                    flight.finish(&result);
                    return result;
                }
                Role::Wait(mut outcome) => {
                    let outcome = outcome
                        .wait_for(Option::is_some)
                        .await
                        .ok()
                        .and_then(|outcome| outcome.clone());
                    match outcome {
                        Some(result) => return result,
                        // The refresher was cancelled before it finished: start over.
                        None => continue,
                    }
                }
            }
        }
    }

    /// Drops `token` from the store if it is still the stored token, so that the next
    /// [`get`](Self::get) fetches a new one (for errcodes 40001, 40014 and 42001). A token
    /// that has already been replaced is left alone. Returns whether it was dropped.
    pub async fn invalidate(&self, token: &AccessToken) -> Result<bool> {
        let inner = &self.inner;
        let dropped = inner.store.invalidate(&inner.key, token).await?;
        info!(key = %inner.key, dropped, "access token invalidated");
        Ok(dropped)
    }
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("key", &self.inner.key)
            .field("refresh_margin", &self.inner.refresh_margin)
            .field("lock_ttl", &self.inner.lock_ttl)
            .field("poll_interval", &self.inner.poll_interval)
            .finish_non_exhaustive()
    }
}

impl TokenManagerBuilder {
    /// Keeps tokens in `store` (a store shared by several instances, say) instead of a new
    /// [`MemoryStore`].
    pub fn store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Box::new(store));
        self
    }

    /// Refreshes tokens once they have `margin` or less left (default 5 minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Holds the store's refresh lock for `ttl` (default 20 s): a crashed refresher blocks
    /// others for at most this long. Must be longer than a token request can take.
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// Reads the store every `interval` while another instance refreshes (default 200 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The manager. Errors with [`Error::InvalidSetting`] when the lock TTL or the poll
    /// interval is zero.
    pub fn build(self) -> Result<TokenManager> {
        if self.lock_ttl.is_zero() {
            return Err(Error::invalid_setting(
                crate::Setting::TokenTimings,
                "the lock TTL is zero",
            ));
        }
        if self.poll_interval.is_zero() {
            return Err(Error::invalid_setting(
                crate::Setting::TokenTimings,
                "the poll interval is zero",
            ));
        }
        Ok(self.assemble())
    }

    fn assemble(self) -> TokenManager {
        let key = self.source.store_key();
        TokenManager {
            inner: Arc::new(Inner {
                source: self.source,
                store: self.store.unwrap_or_else(|| Box::new(MemoryStore::new())),
                key,
                refresh_margin: self.refresh_margin,
                lock_ttl: self.lock_ttl,
                poll_interval: self.poll_interval,
                flight: Mutex::new(None),
            }),
        }
    }
}

impl fmt::Debug for TokenManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManagerBuilder")
            .field("refresh_margin", &self.refresh_margin)
            .field("lock_ttl", &self.lock_ttl)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

/// What a caller of [`TokenManager::get`] does when the stored token is not fresh.
enum Role<'a> {
    /// Refresh, and publish the outcome through the guard.
    Lead(FlightGuard<'a>),
    /// Wait for the refresh in flight.
    Wait(watch::Receiver<Option<Outcome>>),
}

/// Held by the caller that refreshes. Dropping it (after [`finish`](Self::finish), or when the
/// refreshing caller is cancelled) ends the flight, so the next caller starts a new one; waiters
/// of a cancelled flight see the channel close and start over.
struct FlightGuard<'a> {
    flight: &'a Mutex<Flight>,
    outcome: watch::Sender<Option<Outcome>>,
}

impl FlightGuard<'_> {
    /// Gives every waiter the outcome of the refresh.
    fn finish(self, result: &Result<AccessToken>) {
        self.outcome.send_replace(Some(result.clone()));
    }
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        *lock(self.flight) = None;
    }
}

fn lock(flight: &Mutex<Flight>) -> MutexGuard<'_, Flight> {
    // Only ever set to `Some` or `None` under the lock: a poisoned lock still holds a valid value.
    flight.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    /// The stored token, if it has more than the refresh margin left.
    async fn fresh(&self) -> Result<Option<AccessToken>> {
        Ok(self
            .store
            .get(&self.key)
            .await?
            .filter(|stored| stored.expires_in > self.refresh_margin)
            .map(|stored| stored.token))
    }

    /// Joins the refresh in flight, or starts one.
    fn join_or_lead(&self) -> Role<'_> {
        let mut flight = lock(&self.flight);
        if let Some(outcome) = flight.as_ref() {
            return Role::Wait(outcome.clone());
        }
        let (outcome, receiver) = watch::channel(None);
        *flight = Some(receiver);
        Role::Lead(FlightGuard {
            flight: &self.flight,
            outcome,
        })
    }

    /// Refreshes under the store's lock, or waits for the instance that holds it.
    async fn refresh(&self) -> Result<AccessToken> {
        // Long enough for a holder's lock to expire and for this instance to take it over.
        let give_up = Instant::now().checked_add(self.lock_ttl.saturating_mul(2));
        loop {
            if let Some(lock) = self.store.try_lock(&self.key, self.lock_ttl).await? {
                let result = self.fetch_locked().await;
                if let Err(error) = self.store.unlock(&self.key, lock).await {
                    warn!(%error, "cannot release the token refresh lock; it expires by itself");
                }
                return result;
            }
            if give_up.is_some_and(|give_up| Instant::now() >= give_up) {
                return Err(Error::Token {
                    reason: format!(
                        "another instance has held the refresh lock of `{}` for {:?} without storing a token",
                        self.key,
                        self.lock_ttl.saturating_mul(2)
                    ),
                });
            }
            debug!("another instance is refreshing the access token; waiting for it");
            tokio::time::sleep(self.poll_interval).await;
            if let Some(token) = self.fresh().await? {
                debug!("another instance stored a fresh access token");
                return Ok(token);
            }
        }
    }

    /// Fetches and stores a token, holding the store's lock.
    async fn fetch_locked(&self) -> Result<AccessToken> {
        // Another refresher may have stored a token between our last read and our lock.
        if let Some(token) = self.fresh().await? {
            debug!("access token already refreshed");
            return Ok(token);
        }
        let fetched = self
            .source
            .fetch()
            .await
            .inspect_err(|error| warn!(%error, "access token fetch failed"))?;
        info!(
            expires_in_secs = fetched.expires_in.as_secs(),
            "access token fetched"
        );
        if let Err(error) = self
            .store
            .put(&self.key, &fetched.token, fetched.expires_in)
            .await
        {
            // The token is fresh and valid: hand it out, the next get fetches again.
            warn!(%error, "cannot store the fetched access token");
        }
        Ok(fetched.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{
        FetchedToken, FixedTokenSource, LockToken, StoredToken, TokenMode, WeChatTokenSource,
    };
    use crate::{AppSecret, token::BoxFuture};
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::task::JoinSet;

    const LIFETIME: Duration = Duration::from_secs(7200);

    /// Counts fetches; call `n` (from 1) gives `T{n}`, or fails when `n` is in `fail`.
    struct FakeSource {
        calls: AtomicUsize,
        delay: Duration,
        fail: HashSet<usize>,
    }

    impl FakeSource {
        fn new(delay: Duration) -> Arc<Self> {
            Self::failing(delay, &[])
        }

        fn failing(delay: Duration, fail: &[usize]) -> Arc<Self> {
            Arc::new(Self {
                calls: AtomicUsize::new(0),
                delay,
                fail: fail.iter().copied().collect(),
            })
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl TokenSource for FakeSource {
        fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                if self.fail.contains(&n) {
                    return Err(Error::WeChat {
                        action: "stable_token".into(),
                        errcode: 40125,
                        errmsg: "invalid appsecret".into(),
                        meaning: None,
                    });
                }
                Ok(FetchedToken {
                    token: token(&format!("T{n}")),
                    expires_in: LIFETIME,
                })
            })
        }

        fn store_key(&self) -> String {
            crate::token::store_key("wxtest", "fake")
        }
    }

    /// A [`MemoryStore`] that counts refresh-lock attempts, and whose lock another instance
    /// holds forever when `held`.
    #[derive(Default)]
    struct LockCountingStore {
        inner: MemoryStore,
        try_locks: AtomicUsize,
        held: bool,
    }

    impl TokenStore for LockCountingStore {
        fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>> {
            self.inner.get(key)
        }

        fn put<'a>(
            &'a self,
            key: &'a str,
            token: &'a AccessToken,
            ttl: Duration,
        ) -> BoxFuture<'a, Result<()>> {
            self.inner.put(key, token, ttl)
        }

        fn invalidate<'a>(
            &'a self,
            key: &'a str,
            token: &'a AccessToken,
        ) -> BoxFuture<'a, Result<bool>> {
            self.inner.invalidate(key, token)
        }

        fn try_lock<'a>(
            &'a self,
            key: &'a str,
            ttl: Duration,
        ) -> BoxFuture<'a, Result<Option<LockToken>>> {
            self.try_locks.fetch_add(1, Ordering::SeqCst);
            if self.held {
                return Box::pin(async { Ok(None) });
            }
            self.inner.try_lock(key, ttl)
        }

        fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> BoxFuture<'a, Result<()>> {
            self.inner.unlock(key, lock)
        }
    }

    fn token(value: &str) -> AccessToken {
        AccessToken::new(value).expect("token")
    }

    async fn concurrent_gets(managers: &[TokenManager], n: usize) -> Vec<Result<AccessToken>> {
        let mut tasks = JoinSet::new();
        for i in 0..n {
            let manager = managers[i % managers.len()].clone();
            tasks.spawn(async move { manager.get().await });
        }
        let mut results = Vec::with_capacity(n);
        while let Some(result) = tasks.join_next().await {
            results.push(result.expect("task"));
        }
        results
    }

    #[tokio::test(start_paused = true)]
    async fn a_thousand_gets_at_expiry_fetch_once() {
        let source = FakeSource::new(Duration::from_secs(1));
        let store = Arc::new(LockCountingStore::default());
        let manager = TokenManager::builder(source.clone())
            .store(store.clone())
            .build()
            .expect("manager");
        assert!(manager.get().await.expect("first") == token("T1"));
        assert_eq!(source.calls(), 1);

        tokio::time::advance(LIFETIME).await;
        let started = Instant::now();
        let results = concurrent_gets(&[manager], 1000).await;
        assert_eq!(source.calls(), 2, "exactly one fetch for 1,000 gets");
        // One refresher in the process: the store lock was sought once for this refresh, and
        // every caller had its token as soon as the fetch finished (nobody polled the store).
        assert_eq!(store.try_locks.load(Ordering::SeqCst), 2);
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert_eq!(results.len(), 1000);
        for result in results {
            assert!(result.expect("token") == token("T2"));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn instances_sharing_a_store_fetch_once() {
        let store = Arc::new(MemoryStore::new());
        let sources = [
            FakeSource::new(Duration::from_secs(1)),
            FakeSource::new(Duration::from_secs(1)),
        ];
        let managers: Vec<_> = sources
            .iter()
            .map(|source| {
                TokenManager::builder(source.clone())
                    .store(store.clone())
                    .build()
                    .expect("manager")
            })
            .collect();

        let results = concurrent_gets(&managers, 1000).await;
        assert_eq!(sources[0].calls() + sources[1].calls(), 1);
        let first = results[0].as_ref().expect("token").clone();
        for result in results {
            assert!(result.expect("token") == first);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_ahead_of_expiry() {
        let source = FakeSource::new(Duration::ZERO);
        let manager = TokenManager::new(source.clone());
        assert!(manager.get().await.expect("first") == token("T1"));

        // 301 s left: more than the 300 s margin, so no fetch.
        tokio::time::advance(LIFETIME - Duration::from_secs(300 + 1)).await;
        assert!(manager.get().await.expect("cached") == token("T1"));
        assert_eq!(source.calls(), 1);

        // 299 s left: refreshed.
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(manager.get().await.expect("refreshed") == token("T2"));
        assert_eq!(source.calls(), 2);
        assert!(manager.get().await.expect("cached") == token("T2"));
        assert_eq!(source.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_refresh_margin_is_configurable() {
        let source = FakeSource::new(Duration::ZERO);
        let manager = TokenManager::builder(source.clone())
            .refresh_margin(Duration::from_secs(600))
            .build()
            .expect("manager");
        manager.get().await.expect("first");
        tokio::time::advance(LIFETIME - Duration::from_secs(601)).await;
        manager.get().await.expect("cached");
        assert_eq!(source.calls(), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        manager.get().await.expect("refreshed");
        assert_eq!(source.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_errors_every_waiter_and_is_retried_later() {
        // Call 1 succeeds, call 2 fails, call 3 succeeds.
        let source = FakeSource::failing(Duration::from_secs(1), &[2]);
        let manager = TokenManager::new(source.clone());
        assert!(manager.get().await.expect("first") == token("T1"));

        // T1 still has 299 s left, inside the margin: the failed refresh must not fall back on it.
        tokio::time::advance(LIFETIME - Duration::from_secs(299)).await;
        let results = concurrent_gets(std::slice::from_ref(&manager), 50).await;
        assert_eq!(source.calls(), 2, "one fetch for 50 waiters");
        assert_eq!(results.len(), 50);
        for result in results {
            let error = result.expect_err("every waiter gets the error");
            assert!(
                matches!(&error, Error::WeChat { action, errcode: 40125, .. } if action == "stable_token"),
                "{error:?}"
            );
            assert_eq!(error.errcode(), Some(40125));
        }

        assert!(manager.get().await.expect("retried") == token("T3"));
        assert_eq!(source.calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_first_fetch_is_an_error_not_an_empty_token() {
        let source = FakeSource::failing(Duration::ZERO, &[1]);
        let manager = TokenManager::new(source.clone());
        assert!(manager.get().await.is_err());
        assert!(manager.get().await.expect("retried") == token("T2"));
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_drops_only_the_matching_token() {
        let source = FakeSource::new(Duration::ZERO);
        let manager = TokenManager::new(source.clone());
        let t1 = manager.get().await.expect("first");
        assert!(t1 == token("T1"));

        assert!(manager.invalidate(&t1).await.expect("invalidate"));
        let t2 = manager.get().await.expect("refetched");
        assert!(t2 == token("T2"));
        assert_eq!(source.calls(), 2);

        // A late invalidation of the old token (another caller's 40001) keeps the new one.
        assert!(!manager.invalidate(&t1).await.expect("invalidate"));
        assert!(manager.get().await.expect("cached") == t2);
        assert_eq!(source.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_another_instance_holding_the_lock() {
        let store = Arc::new(MemoryStore::new());
        let source = FakeSource::new(Duration::ZERO);
        let manager = TokenManager::builder(source.clone())
            .store(store.clone())
            .build()
            .expect("manager");
        let other = store
            .try_lock(manager.key(), TokenManager::DEFAULT_LOCK_TTL)
            .await
            .expect("lock")
            .expect("free");

        let waiting = tokio::spawn({
            let manager = manager.clone();
            async move { manager.get().await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiting.is_finished());
        store
            .put(manager.key(), &token("OTHER"), LIFETIME)
            .await
            .expect("put");
        store.unlock(manager.key(), other).await.expect("unlock");

        let got = waiting.await.expect("task").expect("token");
        assert!(got == token("OTHER"));
        assert_eq!(source.calls(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn takes_over_an_abandoned_lock_after_its_ttl() {
        let store = Arc::new(MemoryStore::new());
        let source = FakeSource::new(Duration::ZERO);
        let lock_ttl = Duration::from_secs(10);
        let manager = TokenManager::builder(source.clone())
            .store(store.clone())
            .lock_ttl(lock_ttl)
            .build()
            .expect("manager");
        // A crashed instance's lock, never released.
        store
            .try_lock(manager.key(), lock_ttl)
            .await
            .expect("lock")
            .expect("free");

        let started = Instant::now();
        assert!(manager.get().await.expect("token") == token("T1"));
        let waited = started.elapsed();
        assert!(waited >= lock_ttl, "{waited:?}");
        assert!(waited < lock_ttl + Duration::from_secs(1), "{waited:?}");
        assert_eq!(source.calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_on_a_lock_that_is_never_free() {
        let source = FakeSource::new(Duration::ZERO);
        let lock_ttl = Duration::from_secs(10);
        let manager = TokenManager::builder(source.clone())
            .store(LockCountingStore {
                held: true,
                ..Default::default()
            })
            .lock_ttl(lock_ttl)
            .build()
            .expect("manager");

        let started = Instant::now();
        let error = manager.get().await.expect_err("lock never free");
        assert!(matches!(error, Error::Token { .. }), "{error:?}");
        assert_eq!(started.elapsed(), lock_ttl * 2);
        assert_eq!(source.calls(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_refresher_hands_over_to_a_waiter() {
        let source = FakeSource::new(Duration::from_secs(10));
        let manager = TokenManager::new(source.clone());
        let leader = tokio::spawn({
            let manager = manager.clone();
            async move { manager.get().await }
        });
        tokio::task::yield_now().await;
        let waiter = tokio::spawn({
            let manager = manager.clone();
            async move { manager.get().await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(source.calls(), 1);
        leader.abort();

        let got = waiter.await.expect("task").expect("token");
        assert!(got == token("T2"));
        assert_eq!(source.calls(), 2);
    }

    #[tokio::test]
    async fn fixed_tokens_are_used_as_is() {
        let manager = TokenManager::new(FixedTokenSource::new("wx1", token("GIVEN-TOKEN")));
        assert_eq!(manager.key(), "xpay:access_token:wx1:fixed");
        assert!(manager.get().await.expect("token") == token("GIVEN-TOKEN"));
    }

    #[tokio::test]
    async fn debug_shows_neither_secret_nor_token() {
        let manager = TokenManager::new(FixedTokenSource::new("wx1", token("GIVEN-TOKEN")));
        manager.get().await.expect("token");
        let debug = format!("{manager:?}");
        assert!(!debug.contains("GIVEN-TOKEN"), "{debug}");
        assert!(debug.contains("xpay:access_token:wx1:fixed"), "{debug}");

        let source = WeChatTokenSource::new(
            reqwest::Client::new(),
            "wx2",
            AppSecret::new("THE-APP-SECRET").expect("secret"),
        )
        .with_mode(TokenMode::Classic);
        let builder = TokenManager::builder(source.clone());
        let manager = TokenManager::new(source);
        for debug in [format!("{manager:?}"), format!("{builder:?}")] {
            assert!(!debug.contains("THE-APP-SECRET"), "{debug}");
        }
        assert_eq!(manager.key(), "xpay:access_token:wx2:classic");
    }

    #[test]
    fn managers_and_their_futures_are_send_and_sync() {
        fn send<T: Send>(_: &T) {}
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<TokenManager>();
        let manager = TokenManager::new(FixedTokenSource::new("wx1", token("T")));
        let token = token("T");
        send(&manager.get());
        send(&manager.invalidate(&token));
    }

    #[test]
    fn zero_lock_ttl_or_poll_interval_is_a_config_error() {
        let source = || FixedTokenSource::new("wx1", token("T"));
        let zero_ttl = TokenManager::builder(source())
            .lock_ttl(Duration::ZERO)
            .build();
        assert!(matches!(
            zero_ttl,
            Err(Error::InvalidSetting {
                setting: crate::Setting::TokenTimings,
                ..
            })
        ));
        let zero_poll = TokenManager::builder(source())
            .poll_interval(Duration::ZERO)
            .build();
        assert!(matches!(
            zero_poll,
            Err(Error::InvalidSetting {
                setting: crate::Setting::TokenTimings,
                ..
            })
        ));
    }
}
