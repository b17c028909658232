//! Where access tokens are kept: the [`TokenStore`] contract and the in-memory store.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::BoxFuture;
use crate::clock::{alive, deadline};
use crate::{AccessToken, Result};

/// A token read from a [`TokenStore`], with how long it has left.
#[derive(Clone, Debug)]
pub struct StoredToken {
    /// The access token.
    pub token: AccessToken,
    /// How long the token has left in the store, counted from the read.
    pub expires_in: Duration,
}

/// Proof of holding a [`TokenStore`] refresh lock, handed back to
/// [`unlock`](TokenStore::unlock).
///
/// A random value, unique to one acquisition, so that a store can release a lock only when it
/// is still the caller's (for Redis: `SET key value NX PX ttl` to take it, and a compare-and-delete
/// script to release it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockToken(String);

impl LockToken {
    /// A fresh random lock value (128 random bits, in hex).
    pub fn random() -> Self {
        Self(hex::encode(rand::random::<[u8; 16]>()))
    }

    /// A lock value chosen by the store.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The lock value, as the store keeps it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where tokens are kept, shaped so that several instances of an app can share one token and
/// one refresher (an in-memory store for one process, a Redis store for many).
///
/// The trait is dyn-compatible: every method returns a boxed future.
///
/// # Contract
///
/// - `key` identifies one app and one way of obtaining its token
///   ([`TokenSource::store_key`](super::TokenSource::store_key)); tokens and locks under
///   different keys are independent. A store may prefix keys but must not merge them.
/// - [`get`](Self::get) returns the token under `key` with the time it has left, or `None` when
///   there is none or it has expired. It never returns an expired token.
/// - [`put`](Self::put) replaces the token under `key`; it expires `ttl` from now.
/// - [`invalidate`](Self::invalidate) removes the token under `key` **only if it is still
///   `token`** (atomically: compare, then delete), and says whether it did. An instance that
///   hits an invalid token must not drop a fresh one another instance just stored.
/// - [`try_lock`](Self::try_lock) takes the refresh lock under `key` if nobody holds it (or the
///   holder's lock has expired) and returns a new [`LockToken`]; otherwise `None`. The lock
///   expires by itself `ttl` after it was taken, so a crashed holder blocks others for at most
///   `ttl`. The lock is separate from the token: taking it does not touch the token.
/// - [`unlock`](Self::unlock) releases the lock **only if it is still held with that
///   `LockToken`** (a holder whose lock expired and was taken by another must not release the
///   other's lock). Releasing a lock that is gone is not an error.
/// - Waiters do not block in the store: a [`TokenManager`](super::TokenManager) that cannot take
///   the lock polls [`get`](Self::get) until a fresh token appears or the lock expires.
/// - Errors are for the store being unreachable or broken, and must not contain a token.
pub trait TokenStore: Send + Sync {
    /// The token under `key` with the time it has left, or `None` when absent or expired.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>>;

    /// Stores `token` under `key`, replacing any other, expiring `ttl` from now.
    fn put<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<()>>;

    /// Removes the token under `key` if it is still `token`; `true` when it was removed.
    fn invalidate<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Takes the refresh lock under `key` for `ttl`, or `None` when another holds it.
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockToken>>>;

    /// Releases the refresh lock under `key` if it is still held with `lock`.
    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> BoxFuture<'a, Result<()>>;
}

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>> {
        (**self).get(key)
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        (**self).put(key, token, ttl)
    }

    fn invalidate<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool>> {
        (**self).invalidate(key, token)
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockToken>>> {
        (**self).try_lock(key, ttl)
    }

    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> BoxFuture<'a, Result<()>> {
        (**self).unlock(key, lock)
    }
}

#[derive(Default)]
struct Entries {
    /// Token and its deadline (`None`: never expires).
    tokens: HashMap<String, (AccessToken, Option<Instant>)>,
    /// Lock value and its deadline.
    locks: HashMap<String, (LockToken, Option<Instant>)>,
}

/// A [`TokenStore`] in this process's memory: the default, for a single instance.
///
/// Time is [`tokio::time::Instant`], so tests with paused time see tokens and locks expire.
/// Clones share the same entries.
#[derive(Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<Entries>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // The critical sections below cannot leave the maps half-updated, so a poisoned lock
        // still guards consistent data.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get_now(&self, key: &str) -> Option<StoredToken> {
        let now = Instant::now();
        let mut entries = self.entries();
        match entries.tokens.get(key) {
            Some((token, deadline)) if alive(*deadline, now) => Some(StoredToken {
                token: token.clone(),
                expires_in: deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(now)),
            }),
            Some(_) => {
                entries.tokens.remove(key);
                None
            }
            None => None,
        }
    }

    fn put_now(&self, key: &str, token: &AccessToken, ttl: Duration) {
        let now = Instant::now();
        self.entries()
            .tokens
            .insert(key.to_owned(), (token.clone(), deadline(now, ttl)));
    }

    fn invalidate_now(&self, key: &str, token: &AccessToken) -> bool {
        let mut entries = self.entries();
        match entries.tokens.get(key) {
            Some((stored, _)) if stored == token => {
                entries.tokens.remove(key);
                true
            }
            _ => false,
        }
    }

    fn try_lock_now(&self, key: &str, ttl: Duration) -> Option<LockToken> {
        let now = Instant::now();
        let mut entries = self.entries();
        if let Some((_, deadline)) = entries.locks.get(key)
            && alive(*deadline, now)
        {
            return None;
        }
        let lock = LockToken::random();
        entries
            .locks
            .insert(key.to_owned(), (lock.clone(), deadline(now, ttl)));
        Some(lock)
    }

    fn unlock_now(&self, key: &str, lock: &LockToken) {
        let mut entries = self.entries();
        if entries.locks.get(key).is_some_and(|(held, _)| held == lock) {
            entries.locks.remove(key);
        }
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.entries();
        f.debug_struct("MemoryStore")
            .field("tokens", &entries.tokens.len())
            .field("locks", &entries.locks.len())
            .finish()
    }
}

impl TokenStore for MemoryStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>>> {
        Box::pin(async move { Ok(self.get_now(key)) })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.put_now(key, token, ttl);
            Ok(())
        })
    }

    fn invalidate<'a>(
        &'a self,
        key: &'a str,
        token: &'a AccessToken,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move { Ok(self.invalidate_now(key, token)) })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Option<LockToken>>> {
        Box::pin(async move { Ok(self.try_lock_now(key, ttl)) })
    }

    fn unlock<'a>(&'a self, key: &'a str, lock: LockToken) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.unlock_now(key, &lock);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> AccessToken {
        AccessToken::new(value).expect("token")
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_expire_and_report_time_left() {
        let store = MemoryStore::new();
        store
            .put("k", &token("T1"), Duration::from_secs(100))
            .await
            .expect("put");
        tokio::time::advance(Duration::from_secs(40)).await;
        let stored = store.get("k").await.expect("get").expect("present");
        assert!(stored.token == token("T1"));
        assert_eq!(stored.expires_in, Duration::from_secs(60));
        assert!(store.get("other").await.expect("get").is_none());

        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(store.get("k").await.expect("get").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_ttl_does_not_overflow() {
        let store = MemoryStore::new();
        store
            .put("k", &token("T1"), Duration::MAX)
            .await
            .expect("put");
        let stored = store.get("k").await.expect("get").expect("present");
        assert_eq!(stored.expires_in, Duration::MAX);
        assert!(
            store
                .try_lock("k", Duration::MAX)
                .await
                .expect("lock")
                .is_some()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_drops_only_the_matching_token() {
        let store = MemoryStore::new();
        let ttl = Duration::from_secs(100);
        store.put("k", &token("NEW"), ttl).await.expect("put");
        assert!(
            !store
                .invalidate("k", &token("OLD"))
                .await
                .expect("invalidate")
        );
        assert!(store.get("k").await.expect("get").is_some());
        assert!(
            store
                .invalidate("k", &token("NEW"))
                .await
                .expect("invalidate")
        );
        assert!(store.get("k").await.expect("get").is_none());
        assert!(
            !store
                .invalidate("k", &token("NEW"))
                .await
                .expect("invalidate")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn locks_exclude_expire_and_release_only_with_their_token() {
        let store = MemoryStore::new();
        let ttl = Duration::from_secs(10);
        let first = store.try_lock("k", ttl).await.expect("lock").expect("free");
        assert!(store.try_lock("k", ttl).await.expect("lock").is_none());
        // Another key is independent.
        assert!(store.try_lock("k2", ttl).await.expect("lock").is_some());

        // After the TTL, the lock can be taken again; the old holder cannot release it.
        tokio::time::advance(ttl).await;
        let second = store
            .try_lock("k", ttl)
            .await
            .expect("lock")
            .expect("expired");
        assert_ne!(first, second);
        store.unlock("k", first).await.expect("unlock");
        assert!(store.try_lock("k", ttl).await.expect("lock").is_none());

        store.unlock("k", second).await.expect("unlock");
        assert!(store.try_lock("k", ttl).await.expect("lock").is_some());
    }

    #[test]
    fn debug_shows_no_tokens() {
        let store = MemoryStore::new();
        store.put_now("k", &token("SECRET-TOKEN"), Duration::from_secs(10));
        let debug = format!("{store:?}");
        assert!(!debug.contains("SECRET-TOKEN"), "{debug}");
    }
}
