//! Replay protection that never drops WeChat's own retries: the [`SeenQueries`] contract and
//! its in-memory store.
//!
//! WeChat signs a push's query (`timestamp`, `nonce`, `signature`/`msg_signature`), and in plain
//! mode that signature does not cover the body: a query captured once (from a push, or from the
//! URL-verification GET) vouches for any body. WeChat retries an unanswered push for about a
//! day and does not document whether a retry keeps its query, so a freshness window would drop
//! real retries and stays opt-in ([`CallbackConfig::with_max_age`](super::CallbackConfig::with_max_age)).
//!
//! What is safe instead: remember each verified query with the digest of the first body it
//! came with. The same body again is a retry (push dedup then handles it); a different body
//! under a seen query is a replayed signature over a forged body, and is refused with
//! [`CallbackError::Replayed`](super::CallbackError::Replayed). The URL-verification GET is
//! remembered with an empty body, so its query cannot sign a push later.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::Result;
use crate::token::BoxFuture;

/// How long a seen query is remembered unless told otherwise: 48 hours, twice WeChat's retry
/// window of about a day.
pub const DEFAULT_SEEN_TTL: Duration = Duration::from_secs(48 * 3600);

/// A verified query's identity: SHA-256 of its signature (`signature`, or `msg_signature` in
/// safe mode) as verification reads it, trimmed and lowercased.
///
/// The signature alone, not the timestamp and nonce beside it: WeChat signs the *sorted
/// concatenation* of token, timestamp and nonce, so characters can move between `timestamp`
/// and `nonce` (`1732950000` + `abc1` → `1732950000a` + `bc1`) and the query still verifies
/// with the same signature. Every spelling of a query that verifies, case and whitespace of
/// the signature included, is then one query.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct QueryId([u8; 32]);

impl QueryId {
    /// The id of a verified query with this signature (`msg_signature` in safe mode).
    pub fn new(signature: &str) -> Self {
        Self(Sha256::digest(signature.trim().to_ascii_lowercase()).into())
    }

    /// The id in lowercase hex, as stores key it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for QueryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueryId({})", self.to_hex())
    }
}

/// The SHA-256 digest of a body, as bound to its query.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyDigest([u8; 32]);

impl BodyDigest {
    /// The digest of `body`.
    pub fn of(body: &[u8]) -> Self {
        Self(Sha256::digest(body).into())
    }

    /// The digest in lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for BodyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BodyDigest({})", self.to_hex())
    }
}

/// Where verified queries are remembered with the digest of their first body: in this
/// process ([`MemorySeenQueries`]) or shared by every instance (`RedisSeenQueries`, feature
/// `redis`).
///
/// # Contract
///
/// [`admit`](Self::admit) atomically records `(app, query) → body` when the query is new and
/// returns `true`; when the query is known, it returns whether it was recorded with this same
/// body, and changes nothing. A record lasts at least `ttl`. Errors are for the store being
/// unreachable: the push is then answered with a failure and WeChat retries it.
pub trait SeenQueries: Send + Sync {
    /// Records the query with `body` if new; `true` when new or seen with the same body.
    fn admit<'a>(
        &'a self,
        app: &'a str,
        query: QueryId,
        body: BodyDigest,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>>;
}

impl<T: SeenQueries + ?Sized> SeenQueries for Arc<T> {
    fn admit<'a>(
        &'a self,
        app: &'a str,
        query: QueryId,
        body: BodyDigest,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        (**self).admit(app, query, body, ttl)
    }
}

/// [`SeenQueries`] in this process's memory, bounded: expired records are dropped as new ones
/// come, and beyond [`capacity`](Self::with_capacity) records (100,000 by default, about 10 MB)
/// the oldest is forgotten first. Clones share the records.
#[derive(Clone)]
pub struct MemorySeenQueries {
    inner: Arc<Mutex<Records>>,
    capacity: usize,
}

#[derive(Default)]
struct Records {
    by_query: HashMap<(String, QueryId), (BodyDigest, Instant)>,
    /// Keys in insertion order, with their deadlines, for expiry and eviction.
    order: VecDeque<((String, QueryId), Instant)>,
}

impl MemorySeenQueries {
    /// The default bound on the number of records: 100,000.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty store.
    pub fn new() -> Self {
        Self {
            inner: Arc::default(),
            capacity: Self::DEFAULT_CAPACITY,
        }
    }

    /// Keeps at most `capacity` records (at least 1).
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// How many records are kept now.
    pub fn len(&self) -> usize {
        self.lock().by_query.len()
    }

    /// Whether no record is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        // Every critical section leaves both maps consistent before it can panic.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn admit_now(&self, app: &str, query: QueryId, body: BodyDigest, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut records = self.lock();
        let records = &mut *records;
        // Drop what has expired, oldest first (records are appended in deadline order for one
        // ttl; a record with a later deadline ahead of an expired one waits its turn).
        while let Some((key, deadline)) = records.order.front() {
            if *deadline > now {
                break;
            }
            if records
                .by_query
                .get(key)
                .is_some_and(|(_, d)| d == deadline)
            {
                records.by_query.remove(key);
            }
            records.order.pop_front();
        }
        let key = (app.to_owned(), query);
        if let Some((seen, deadline)) = records.by_query.get(&key)
            && *deadline > now
        {
            return *seen == body;
        }
        while records.by_query.len() >= self.capacity {
            let Some((old, deadline)) = records.order.pop_front() else {
                break;
            };
            if records
                .by_query
                .get(&old)
                .is_some_and(|(_, d)| *d == deadline)
            {
                records.by_query.remove(&old);
            }
        }
        let deadline = now.checked_add(ttl).unwrap_or(now + DEFAULT_SEEN_TTL);
        records.by_query.insert(key.clone(), (body, deadline));
        records.order.push_back((key, deadline));
        true
    }
}

impl Default for MemorySeenQueries {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemorySeenQueries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySeenQueries")
            .field("records", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl SeenQueries for MemorySeenQueries {
    fn admit<'a>(
        &'a self,
        app: &'a str,
        query: QueryId,
        body: BodyDigest,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        let admitted = self.admit_now(app, query, body, ttl);
        Box::pin(async move { Ok(admitted) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    fn q(n: &str) -> QueryId {
        QueryId::new(&format!("{n:0>40}"))
    }

    #[tokio::test(start_paused = true)]
    async fn the_same_body_passes_and_another_is_refused() {
        let seen = MemorySeenQueries::new();
        let a = BodyDigest::of(b"a");
        let b = BodyDigest::of(b"b");
        assert!(seen.admit("wx1", q("n1"), a, TTL).await.unwrap());
        assert!(seen.admit("wx1", q("n1"), a, TTL).await.unwrap(), "a retry");
        assert!(
            !seen.admit("wx1", q("n1"), b, TTL).await.unwrap(),
            "a forgery"
        );
        assert!(
            seen.admit("wx2", q("n1"), b, TTL).await.unwrap(),
            "apps apart"
        );
        assert!(seen.admit("wx1", q("n2"), b, TTL).await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn records_expire_and_the_oldest_goes_first_beyond_capacity() {
        let seen = MemorySeenQueries::new().with_capacity(2);
        let a = BodyDigest::of(b"a");
        let b = BodyDigest::of(b"b");
        assert!(seen.admit("wx", q("1"), a, TTL).await.unwrap());
        tokio::time::advance(TTL + Duration::from_secs(1)).await;
        assert!(seen.admit("wx", q("1"), b, TTL).await.unwrap(), "expired");
        assert!(seen.admit("wx", q("2"), a, TTL).await.unwrap());
        assert!(seen.admit("wx", q("3"), a, TTL).await.unwrap());
        assert_eq!(seen.len(), 2);
        assert!(seen.admit("wx", q("1"), a, TTL).await.unwrap(), "evicted");
        assert!(!seen.admit("wx", q("3"), b, TTL).await.unwrap(), "kept");
    }

    #[test]
    fn every_spelling_of_a_signature_is_one_id() {
        let sig = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
        assert_eq!(QueryId::new(sig), QueryId::new(&sig.to_ascii_uppercase()));
        assert_eq!(QueryId::new(sig), QueryId::new(&format!("  {sig}\t")));
        assert_ne!(QueryId::new(sig), QueryId::new(&sig.replace('0', "1")));
    }
}
