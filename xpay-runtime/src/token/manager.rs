//! The [`TokenManager`]: a cached token, refreshed ahead of expiry in the background by one
//! refresher at a time.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, debug, info, warn};

use super::source::TokenSource;
use super::store::{MemoryStore, StoredToken, TokenStore};
use crate::{AccessToken, Error, Result};

/// The outcome of one refresh as every caller waiting on it sees it: the token, or the
/// refresher's own error, errcode and source included (errors are cheap to clone).
type Outcome = Result<AccessToken, Error>;

/// How long after a failed background refresh the next one may start.
const BACKGROUND_RETRY: Duration = Duration::from_secs(10);

/// Hands out access tokens: cached, refreshed ahead of expiry, one refresh at a time.
///
/// - A token with more than its refresh margin left is returned as it is. The margin is
///   [`refresh_margin`](TokenManagerBuilder::refresh_margin) (5 minutes) or half the token's
///   lifetime, whichever is shorter, so a short-lived token (`expires_in: 60`) is reused for
///   half its life rather than refetched on every call.
/// - A token inside its margin but not expired is still returned, and a refresh starts in the
///   background: a failed refresh does not fail calls while the cached token is valid (it is
///   tried again 10 s later).
/// - Only when no unexpired token is left does a caller wait, for the refresh in flight (one
///   per process, however many callers), and every waiter gets its outcome: the token, or the
///   refresher's own typed error.
/// - Refreshes run on their own task: a caller cancelled while waiting (a timeout around a
///   call, a dropped handler) does not cancel the refresh, so the store's lock is released
///   when the fetch ends, not when its TTL runs out.
/// - Across processes sharing a [`TokenStore`], the refresher first takes the store's lock; an
///   instance that cannot take it polls the store until the holder stores a token or its lock
///   expires, and then takes the lock itself.
/// - A token WeChat rejects is dropped by [`invalidate`](Self::invalidate), at most once per
///   [`refetch_interval`](TokenManagerBuilder::refetch_interval) (10 s): a second rejection
///   within it is an error rather than another fetch, so a misbehaving endpoint or two systems
///   fighting over a classic token cannot turn every call into a fetch.
///
/// Cheap to clone: clones share one cache and one refresher. Needs a Tokio runtime.
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
    refetch_interval: Duration,
    state: Mutex<State>,
    /// The rejected token this manager dropped last, and when.
    last_drop: tokio::sync::Mutex<Option<(AccessToken, Instant)>>,
}

#[derive(Default)]
struct State {
    /// The refresh in flight, if any: a receiver for its outcome.
    flight: Option<watch::Receiver<Option<Outcome>>>,
    /// The token last seen and its lifetime as known: exact for a token this manager fetched,
    /// else the time it had left when first seen (a lower bound).
    lifetime: Option<(AccessToken, Duration)>,
    /// No background refresh before this instant (after a failed one).
    quiet_until: Option<Instant>,
}

/// What [`TokenManager::invalidate`] did with a rejected token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalidation {
    /// It was the stored token and is gone: the next [`get`](TokenManager::get) fetches.
    Dropped,
    /// Another token has replaced it already: retry with the stored one.
    Replaced,
    /// It was kept: another token was dropped less than the refetch interval ago. The call
    /// fails with WeChat's error instead of fetching again.
    Kept,
}

/// Builds a [`TokenManager`] with a store or timings other than the defaults.
pub struct TokenManagerBuilder {
    source: Box<dyn TokenSource>,
    store: Option<Box<dyn TokenStore>>,
    refresh_margin: Duration,
    lock_ttl: Duration,
    poll_interval: Duration,
    refetch_interval: Duration,
}

impl TokenManager {
    /// The longest refresh margin unless told otherwise: 5 minutes, when WeChat renews stable
    /// tokens. A token's margin is this or half its lifetime, whichever is shorter.
    pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);
    /// How long the store's refresh lock lasts unless told otherwise: 20 s, longer than a
    /// token request may take with the client's default timeouts.
    pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(20);
    /// How often an instance waiting on another's refresh reads the store unless told
    /// otherwise: 200 ms.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(200);
    /// The shortest time between two drops of a rejected token unless told otherwise: 10 s.
    pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

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
            refetch_interval: Self::DEFAULT_REFETCH_INTERVAL,
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

    /// An unexpired token: the stored one (starting a background refresh when it is inside
    /// its margin), or, when there is none, the outcome of the refresh in flight.
    ///
    /// Errors when no unexpired token is left and the refresh fails (every caller waiting on
    /// that refresh gets the refresher's own error, errcode included), or the store cannot be
    /// read.
    pub async fn get(&self) -> Result<AccessToken> {
        let inner = &self.inner;
        loop {
            if let Some(stored) = inner.store.get(&inner.key).await? {
                if stored.expires_in <= inner.margin_for(&stored) {
                    Inner::refresh_ahead(inner);
                }
                return Ok(stored.token);
            }
            let mut outcome = Inner::join_or_start(inner, false);
            let outcome = outcome
                .wait_for(Option::is_some)
                .await
                .ok()
                .and_then(|outcome| outcome.clone());
            match outcome {
                Some(result) => return result,
                // The refresh task ended without an outcome (it panicked): start over.
                None => continue,
            }
        }
    }

    /// Drops `token` from the store if it is still the stored token, so that the next
    /// [`get`](Self::get) fetches a new one (for errcodes 40001, 40014 and 42001), unless
    /// another rejected token was dropped less than the refetch interval ago.
    pub async fn invalidate(&self, token: &AccessToken) -> Result<Invalidation> {
        let inner = &self.inner;
        // One invalidation at a time per manager: concurrent calls rejected with the same
        // token all see the first one's drop, and none mistakes it for a second rejection.
        let mut last = inner.last_drop.lock().await;
        if last.as_ref().is_some_and(|(dropped, _)| dropped == token) {
            return Ok(Invalidation::Replaced);
        }
        let current = inner.store.get(&inner.key).await?;
        if !current.is_some_and(|stored| stored.token == *token) {
            return Ok(Invalidation::Replaced);
        }
        let recent = last
            .as_ref()
            .is_some_and(|(_, at)| at.elapsed() < inner.refetch_interval);
        if recent {
            warn!(
                key = %inner.key,
                refetch_interval_secs = inner.refetch_interval.as_secs(),
                "access token rejected again within the refetch interval; keeping it"
            );
            return Ok(Invalidation::Kept);
        }
        let dropped = inner.store.invalidate(&inner.key, token).await?;
        info!(key = %inner.key, dropped, "access token invalidated");
        if dropped {
            *last = Some((token.clone(), Instant::now()));
            Ok(Invalidation::Dropped)
        } else {
            Ok(Invalidation::Replaced)
        }
    }
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("key", &self.inner.key)
            .field("refresh_margin", &self.inner.refresh_margin)
            .field("lock_ttl", &self.inner.lock_ttl)
            .field("poll_interval", &self.inner.poll_interval)
            .field("refetch_interval", &self.inner.refetch_interval)
            .finish_non_exhaustive()
    }
}

impl TokenManagerBuilder {
    /// Keeps tokens in `store` (a store shared by several instances, say) instead of a new
    /// [`MemoryStore`].
    pub fn store(self, store: impl TokenStore + 'static) -> Self {
        Self {
            store: Some(Box::new(store)),
            ..self
        }
    }

    /// Refreshes tokens once they have `margin` or half their lifetime left, whichever is
    /// shorter (default 5 minutes).
    pub fn refresh_margin(self, margin: Duration) -> Self {
        Self {
            refresh_margin: margin,
            ..self
        }
    }

    /// Holds the store's refresh lock for `ttl` (default 20 s): a crashed refresher blocks
    /// others for at most this long. Must be longer than a token request can take.
    pub fn lock_ttl(self, ttl: Duration) -> Self {
        Self {
            lock_ttl: ttl,
            ..self
        }
    }

    /// Reads the store every `interval` while another instance refreshes (default 200 ms).
    pub fn poll_interval(self, interval: Duration) -> Self {
        Self {
            poll_interval: interval,
            ..self
        }
    }

    /// Drops rejected tokens at most once per `interval` (default 10 s; zero: always).
    pub fn refetch_interval(self, interval: Duration) -> Self {
        Self {
            refetch_interval: interval,
            ..self
        }
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
                refetch_interval: self.refetch_interval,
                state: Mutex::new(State::default()),
                last_drop: tokio::sync::Mutex::new(None),
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
            .field("refetch_interval", &self.refetch_interval)
            .finish_non_exhaustive()
    }
}

/// Ends the flight when the refresh task ends, however it ends (a panic included), so that
/// the next caller starts a new one.
struct FlightGuard(Arc<Inner>);

impl Drop for FlightGuard {
    fn drop(&mut self) {
        self.0.state().flight = None;
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // Single assignments under the lock: a poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The margin of a stored token: the configured one or half its known lifetime.
    fn margin_for(&self, stored: &StoredToken) -> Duration {
        let mut state = self.state();
        let lifetime = match &state.lifetime {
            Some((token, lifetime)) if *token == stored.token => *lifetime,
            _ => {
                state.lifetime = Some((stored.token.clone(), stored.expires_in));
                stored.expires_in
            }
        };
        self.refresh_margin.min(lifetime / 2)
    }

    /// Starts a background refresh unless one is in flight or a failed one was recent.
    fn refresh_ahead(this: &Arc<Self>) {
        let quiet = this
            .state()
            .quiet_until
            .is_some_and(|until| Instant::now() < until);
        if !quiet {
            drop(Self::join_or_start(this, true));
        }
    }

    /// Joins the refresh in flight, or starts one on its own task.
    fn join_or_start(this: &Arc<Self>, background: bool) -> watch::Receiver<Option<Outcome>> {
        let mut state = this.state();
        if let Some(outcome) = &state.flight {
            return outcome.clone();
        }
        let (sender, receiver) = watch::channel(None);
        state.flight = Some(receiver.clone());
        drop(state);
        let guard = FlightGuard(Arc::clone(this));
        let span = tracing::info_span!("xpay.token.refresh", key = %this.key, background);
        tokio::spawn(
            async move {
                let inner = &guard.0;
                let result = inner.refresh().await;
                if background && result.is_err() {
                    inner.state().quiet_until = Instant::now().checked_add(BACKGROUND_RETRY);
                }
                sender.send_replace(Some(result));
                drop(guard);
            }
            .instrument(span),
        );
        receiver
    }

    /// Whether the stored token needs no refresh.
    async fn fresh(&self) -> Result<Option<AccessToken>> {
        Ok(self
            .store
            .get(&self.key)
            .await?
            .filter(|stored| stored.expires_in > self.margin_for(stored))
            .map(|stored| stored.token))
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
        self.state().lifetime = Some((fetched.token.clone(), fetched.expires_in));
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

    /// Counts fetches; call `n` (from 1) gives `T{n}` valid for `lifetime`, or fails when `n`
    /// is in `fail`.
    struct FakeSource {
        calls: AtomicUsize,
        delay: Duration,
        fail: HashSet<usize>,
        lifetime: Duration,
        /// When each call was made.
        fetched_at: Mutex<Vec<Instant>>,
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
                lifetime: LIFETIME,
                fetched_at: Mutex::default(),
            })
        }

        fn short_lived(lifetime: Duration) -> Arc<Self> {
            Arc::new(Self {
                calls: AtomicUsize::new(0),
                delay: Duration::ZERO,
                fail: HashSet::new(),
                lifetime,
                fetched_at: Mutex::default(),
            })
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl TokenSource for FakeSource {
        fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            self.fetched_at.lock().expect("lock").push(Instant::now());
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
                    expires_in: self.lifetime,
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

    /// Lets the background refresh task run (paused time: no time passes).
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_ahead_of_expiry_in_the_background() {
        let source = FakeSource::new(Duration::ZERO);
        let manager = TokenManager::new(source.clone());
        assert!(manager.get().await.expect("first") == token("T1"));

        // 301 s left: more than the 300 s margin, so no fetch.
        tokio::time::advance(LIFETIME - Duration::from_secs(300 + 1)).await;
        assert!(manager.get().await.expect("cached") == token("T1"));
        settle().await;
        assert_eq!(source.calls(), 1);

        // 299 s left: still valid, so served at once, and refreshed behind it.
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(manager.get().await.expect("still valid") == token("T1"));
        settle().await;
        assert_eq!(source.calls(), 2);
        assert!(manager.get().await.expect("refreshed") == token("T2"));
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
        settle().await;
        assert_eq!(source.calls(), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        manager.get().await.expect("served");
        settle().await;
        assert_eq!(source.calls(), 2);
    }

    /// A token endpoint answering `expires_in: 60`: the token is reused for half its life
    /// (the margin is min(5 min, half the lifetime)), not refetched on every call.
    #[tokio::test(start_paused = true)]
    async fn short_lived_tokens_are_reused_for_half_their_life() {
        let lifetime = Duration::from_secs(60);
        let source = FakeSource::short_lived(lifetime);
        let manager = TokenManager::new(source.clone());
        for _ in 0..40 {
            let got = manager.get().await.expect("token");
            // Never an expired one: T{n} was fetched less than its lifetime ago.
            let n: usize = got.expose()[1..].parse().expect("T{n}");
            let fetched = source.fetched_at.lock().expect("lock")[n - 1];
            assert!(fetched.elapsed() < lifetime, "T{n} served expired");
            settle().await;
            tokio::time::advance(Duration::from_secs(3)).await;
        }
        // 40 calls over 120 s of 60-second tokens refreshed after 30 s: one fetch per 30 s.
        let fetches = source.calls();
        assert!((4..=6).contains(&fetches), "{fetches} fetches for 40 calls");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_errors_every_waiter_and_is_retried_later() {
        // Call 1 succeeds, call 2 fails, call 3 succeeds.
        let source = FakeSource::failing(Duration::from_secs(1), &[2]);
        let manager = TokenManager::new(source.clone());
        assert!(manager.get().await.expect("first") == token("T1"));

        // T1 has expired: every caller waits on one refresh, which fails for all of them.
        tokio::time::advance(LIFETIME).await;
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
    async fn a_failed_background_refresh_keeps_serving_the_valid_token() {
        // Call 2 (the background refresh) fails; call 3 succeeds.
        let source = FakeSource::failing(Duration::ZERO, &[2]);
        let manager = TokenManager::new(source.clone());
        manager.get().await.expect("first");
        tokio::time::advance(LIFETIME - Duration::from_secs(299)).await;
        for _ in 0..20 {
            assert!(manager.get().await.expect("still valid") == token("T1"));
            settle().await;
        }
        assert_eq!(
            source.calls(),
            2,
            "one failed attempt, then quiet for a while"
        );
        tokio::time::advance(BACKGROUND_RETRY).await;
        assert!(manager.get().await.expect("still valid") == token("T1"));
        settle().await;
        assert_eq!(source.calls(), 3);
        assert!(manager.get().await.expect("refreshed") == token("T3"));
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

        assert_eq!(
            manager.invalidate(&t1).await.expect("invalidate"),
            Invalidation::Dropped
        );
        let t2 = manager.get().await.expect("refetched");
        assert!(t2 == token("T2"));
        assert_eq!(source.calls(), 2);

        // A late invalidation of the old token (another caller's 40001) keeps the new one.
        assert_eq!(
            manager.invalidate(&t1).await.expect("invalidate"),
            Invalidation::Replaced
        );
        assert!(manager.get().await.expect("cached") == t2);
        assert_eq!(source.calls(), 2);
    }

    /// The rate limit is the manager's: a second rejected token within the refetch interval is
    /// kept (the call fails instead), whatever the store.
    #[tokio::test(start_paused = true)]
    async fn rejected_tokens_are_dropped_at_most_once_per_interval() {
        let source = FakeSource::new(Duration::ZERO);
        let manager = TokenManager::builder(source.clone())
            .refetch_interval(Duration::from_secs(10))
            .build()
            .expect("manager");
        let t1 = manager.get().await.expect("first");
        assert_eq!(
            manager.invalidate(&t1).await.unwrap(),
            Invalidation::Dropped
        );
        let t2 = manager.get().await.expect("second");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(manager.invalidate(&t2).await.unwrap(), Invalidation::Kept);
        assert!(manager.get().await.unwrap() == t2);
        assert_eq!(source.calls(), 2, "no fetch within the interval");
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(
            manager.invalidate(&t2).await.unwrap(),
            Invalidation::Dropped
        );
        assert!(manager.get().await.unwrap() == token("T3"));

        let always = TokenManager::builder(FakeSource::new(Duration::ZERO))
            .refetch_interval(Duration::ZERO)
            .build()
            .expect("manager");
        for _ in 0..3 {
            let t = always.get().await.unwrap();
            assert_eq!(always.invalidate(&t).await.unwrap(), Invalidation::Dropped);
        }
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

    /// Many calls rejected with the same token at once: one drop, the others see it replaced;
    /// none mistakes the others' drop for a second rejection.
    #[tokio::test(start_paused = true)]
    async fn concurrent_rejections_of_one_token_drop_it_once() {
        let source = FakeSource::new(Duration::ZERO);
        let manager = TokenManager::new(source.clone());
        let t1 = manager.get().await.expect("first");
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let (manager, t1) = (manager.clone(), t1.clone());
            tasks.spawn(async move { manager.invalidate(&t1).await.expect("invalidate") });
        }
        let mut outcomes = Vec::new();
        while let Some(outcome) = tasks.join_next().await {
            outcomes.push(outcome.expect("task"));
        }
        let count = |o: Invalidation| outcomes.iter().filter(|x| **x == o).count();
        assert_eq!(count(Invalidation::Dropped), 1);
        assert_eq!(count(Invalidation::Replaced), 49);
        assert!(manager.get().await.expect("refetched") == token("T2"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_caller_does_not_cancel_the_refresh() {
        let source = FakeSource::new(Duration::from_secs(10));
        let manager = TokenManager::new(source.clone());
        let first = tokio::spawn({
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
        first.abort();

        let got = waiter.await.expect("task").expect("token");
        assert!(got == token("T1"), "the refresh went on");
        assert_eq!(source.calls(), 1);
    }

    #[tokio::test]
    async fn fixed_tokens_are_used_as_is() {
        let manager = TokenManager::new(FixedTokenSource::new("wx1", token("GIVEN-TOKEN")));
        assert_eq!(manager.key(), "xpay:{wx1}:access_token:fixed");
        assert!(manager.get().await.expect("token") == token("GIVEN-TOKEN"));
    }

    #[tokio::test]
    async fn debug_shows_neither_secret_nor_token() {
        let manager = TokenManager::new(FixedTokenSource::new("wx1", token("GIVEN-TOKEN")));
        manager.get().await.expect("token");
        let debug = format!("{manager:?}");
        assert!(!debug.contains("GIVEN-TOKEN"), "{debug}");
        assert!(debug.contains("xpay:{wx1}:access_token:fixed"), "{debug}");

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
        assert_eq!(manager.key(), "xpay:{wx2}:access_token:classic");
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
