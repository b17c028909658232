//! Exactly-once push handling across instances: the [`DedupStore`] contract, its in-memory
//! store, and [`Dedup`], which runs a handler once per push.
//!
//! WeChat retries a push it got no success for, up to 15 times over about a day, and behind a
//! load balancer two deliveries of one push can reach two instances at once. [`Dedup::run`]
//! makes the handler run once per dedup key (`OutTradeNo`, `MchRefundId`, … from the spec):
//!
//! 1. it **claims** the key (`SET key claim NX` with a lease) before the handler runs;
//! 2. it runs the handler **on its own task**, so that WeChat closing the connection (after
//!    about 5 s) cannot drop it halfway through a delivery, and renews the lease while it runs;
//! 3. on success it marks the key **done** for [`DEFAULT_RETENTION`] (48 h, longer than
//!    WeChat's retries);
//! 4. on an error, a [`Reply::Failure`] or a panic it **releases** the claim, so that WeChat's
//!    retry is handled again;
//! 5. a claim whose instance died is not renewed and expires with its lease
//!    ([`DEFAULT_LEASE`], 60 s).
//!
//! A push whose key is done is answered with success without running the handler; one whose
//! key is claimed elsewhere is answered with a failure so that WeChat retries later. Pushes
//! without a key (events the spec does not know, or a key field missing) and events whose
//! reply the handler composes (`xpay_subscribe_ios_refund_query_notify`) run every time:
//! their idempotency is the handler's job.
//!
//! If the store cannot be reached, the handler does not run and the push is answered with a
//! failure: WeChat retries it later, so it is neither lost nor handled twice.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tracing::{Instrument, warn};

use super::reply::Reply;
use crate::clock::{alive, deadline};
use crate::token::{BoxFuture, LockToken};
use crate::{Error, Result};

/// How long a claim lasts without renewal unless told otherwise: 60 s. A running handler's
/// claim is renewed every third of it, so only a dead instance's claim expires.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// How long a handled push's key is kept unless told otherwise: 48 hours, twice WeChat's
/// retry window of about a day.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(48 * 3600);

/// What [`DedupStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The key was free and is now claimed with this lock.
    Claimed(LockToken),
    /// The push was handled already.
    Done,
    /// Another handler (on this instance or another) holds a live claim.
    InFlight,
}

/// Where push dedup keys are kept: in this process ([`MemoryDedupStore`]) or shared by every
/// instance (`RedisDedupStore`, feature `redis`).
///
/// # Contract
///
/// - [`claim`](Self::claim) atomically takes `key` when it is neither claimed (with a live
///   lease) nor done, for `lease`, and returns a fresh [`LockToken`]; otherwise says which.
/// - [`renew`](Self::renew) extends a claim still held with `lock` to `lease` from now, and
///   says whether it was still held.
/// - [`complete`](Self::complete) marks `key` done for `retain`, if it is still claimed with
///   `lock` or no longer claimed at all (a claim whose lease ran out while its handler
///   finished); a key claimed by another is left to it.
/// - [`release`](Self::release) drops the claim if it is still held with `lock`.
/// - Errors are for the store being unreachable, and never contain a secret.
pub trait DedupStore: Send + Sync {
    /// Claims `key` for `lease`.
    fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> BoxFuture<'a, Result<Claim>>;

    /// Extends the claim held with `lock` to `lease` from now; `false` when it is not held.
    fn renew<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool>>;

    /// Marks `key` done for `retain`.
    fn complete<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        retain: Duration,
    ) -> BoxFuture<'a, Result<()>>;

    /// Releases the claim held with `lock`.
    fn release<'a>(&'a self, key: &'a str, lock: &'a LockToken) -> BoxFuture<'a, Result<()>>;
}

impl<T: DedupStore + ?Sized> DedupStore for Arc<T> {
    fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> BoxFuture<'a, Result<Claim>> {
        (**self).claim(key, lease)
    }
    fn renew<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        (**self).renew(key, lock, lease)
    }
    fn complete<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        retain: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        (**self).complete(key, lock, retain)
    }
    fn release<'a>(&'a self, key: &'a str, lock: &'a LockToken) -> BoxFuture<'a, Result<()>> {
        (**self).release(key, lock)
    }
}

/// Every key of a [`MemoryDedupStore`], with its state and its deadline (`None`: never).
type Entries = HashMap<String, (State, Option<Instant>)>;

/// The state of one key in a [`MemoryDedupStore`].
#[derive(Clone)]
enum State {
    Claimed(LockToken),
    Done,
}

/// A [`DedupStore`] in this process's memory: exactly once within one instance. Expired
/// entries are swept as new keys come; beyond [`capacity`](Self::with_capacity) keys
/// (200,000 by default) the store refuses new claims with an error (so the push is retried
/// later) rather than forget a done key. Time is [`tokio::time::Instant`], so paused-time tests
/// see leases expire. Clones share the entries.
#[derive(Clone)]
pub struct MemoryDedupStore {
    entries: Arc<Mutex<Entries>>,
    capacity: usize,
}

impl MemoryDedupStore {
    /// The default bound on the number of keys: 200,000.
    pub const DEFAULT_CAPACITY: usize = 200_000;

    /// An empty store.
    pub fn new() -> Self {
        Self {
            entries: Arc::default(),
            capacity: Self::DEFAULT_CAPACITY,
        }
    }

    /// Keeps at most `capacity` keys (at least 1).
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Single inserts and removes: a poisoned lock still guards a consistent map.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn claim_now(&self, key: &str, lease: Duration) -> Result<Claim> {
        let now = Instant::now();
        let mut entries = self.entries();
        match entries.get(key) {
            Some((State::Done, until)) if alive(*until, now) => return Ok(Claim::Done),
            Some((State::Claimed(_), until)) if alive(*until, now) => return Ok(Claim::InFlight),
            _ => {}
        }
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, until)| alive(*until, now));
            if entries.len() >= self.capacity {
                return Err(Error::Store {
                    store: "in-memory push dedup store".into(),
                    message: format!("full: {} keys within their retention", self.capacity),
                    source: None,
                });
            }
        }
        let lock = LockToken::random();
        entries.insert(
            key.to_owned(),
            (State::Claimed(lock.clone()), deadline(now, lease)),
        );
        Ok(Claim::Claimed(lock))
    }

    fn held(entries: &Entries, key: &str, lock: &LockToken) -> bool {
        matches!(entries.get(key), Some((State::Claimed(held), until)) if held == lock && alive(*until, Instant::now()))
    }
}

impl Default for MemoryDedupStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryDedupStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryDedupStore")
            .field("keys", &self.entries().len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl DedupStore for MemoryDedupStore {
    fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> BoxFuture<'a, Result<Claim>> {
        let claim = self.claim_now(key, lease);
        Box::pin(async move { claim })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        let mut entries = self.entries();
        let held = Self::held(&entries, key, lock);
        if held {
            entries.insert(
                key.to_owned(),
                (
                    State::Claimed(lock.clone()),
                    deadline(Instant::now(), lease),
                ),
            );
        }
        Box::pin(async move { Ok(held) })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        retain: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        let now = Instant::now();
        let mut entries = self.entries();
        let free = match entries.get(key) {
            None => true,
            Some((State::Claimed(held), until)) => held == lock || !alive(*until, now),
            Some((State::Done, _)) => false,
        };
        if free {
            entries.insert(key.to_owned(), (State::Done, deadline(now, retain)));
        }
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, key: &'a str, lock: &'a LockToken) -> BoxFuture<'a, Result<()>> {
        let mut entries = self.entries();
        if matches!(entries.get(key), Some((State::Claimed(held), _)) if held == lock) {
            entries.remove(key);
        }
        Box::pin(async { Ok(()) })
    }
}

/// What [`Dedup::run`] did with a push.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled<E> {
    /// The handler ran (once, for this delivery) and gave this.
    Ran(std::result::Result<Reply, E>),
    /// The push was handled already: answer success, the handler did not run.
    AlreadyDone,
    /// Another delivery of the push is being handled: answer a failure, WeChat retries later.
    InFlight,
    /// The handler panicked; its claim was released.
    Panicked,
    /// The store could not be asked; the handler did not run.
    Store(Error),
}

/// Runs push handlers once per dedup key, with a [`DedupStore`]. Cheap to clone.
#[derive(Clone)]
pub struct Dedup {
    store: Arc<dyn DedupStore>,
    lease: Duration,
    retention: Duration,
}

impl fmt::Debug for Dedup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dedup")
            .field("lease", &self.lease)
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl Dedup {
    /// Dedup with `store`, a 60 s lease and a 48 h retention.
    pub fn new(store: impl DedupStore + 'static) -> Self {
        Self {
            store: Arc::new(store),
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
        }
    }

    /// A claim lasts `lease` without renewal (default 60 s; at least 1 s). A running handler's
    /// claim is renewed every third of it.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// A handled push's key is kept for `retention` (default 48 h).
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The store key of a push: `xpay:{app}:push:{event}:{key}`. The `{app}` hash tag keeps
    /// every key of one app in one Redis Cluster slot.
    pub fn store_key(app: &str, event: &str, key: &str) -> String {
        crate::keys::app_key(app, format_args!("push:{event}:{key}"))
    }

    /// Runs `handler` on its own task unless the push under `key` (a [`store_key`]) is done or
    /// in flight; `None` runs it unconditionally. The handler runs to completion even if the
    /// caller's future is dropped (WeChat closing the connection), and so does the bookkeeping
    /// after it.
    ///
    /// [`store_key`]: Self::store_key
    pub async fn run<F, E>(&self, key: Option<String>, handler: F) -> Handled<E>
    where
        F: Future<Output = std::result::Result<Reply, E>> + Send + 'static,
        E: Send + 'static,
    {
        let Some(key) = key else {
            return Self::run_unkeyed(handler).await;
        };
        let lock = match self.store.claim(&key, self.lease).await {
            Ok(Claim::Claimed(lock)) => lock,
            Ok(Claim::Done) => return Handled::AlreadyDone,
            Ok(Claim::InFlight) => return Handled::InFlight,
            Err(e) => return Handled::Store(e),
        };
        let this = self.clone();
        let task = async move {
            let handler = tokio::spawn(handler.in_current_span());
            let outcome = this.renewing(&key, &lock, handler).await;
            let done =
                matches!(&outcome, Handled::Ran(Ok(reply)) if !matches!(reply, Reply::Failure(_)));
            let bookkeeping = if done {
                this.store.complete(&key, &lock, this.retention).await
            } else {
                this.store.release(&key, &lock).await
            };
            if let Err(error) = bookkeeping {
                // The claim's lease ends it anyway: a done key not recorded means one more
                // delivery may be handled again; a claim not released, a retry delayed.
                warn!(%error, done, "cannot record the push's outcome in the dedup store");
            }
            outcome
        };
        match tokio::spawn(task.in_current_span()).await {
            Ok(outcome) => outcome,
            Err(_) => Handled::Panicked,
        }
    }

    /// Runs `handler` on its own task, with no dedup: it runs to completion even if the
    /// caller's future is dropped.
    pub async fn run_unkeyed<F, E>(handler: F) -> Handled<E>
    where
        F: Future<Output = std::result::Result<Reply, E>> + Send + 'static,
        E: Send + 'static,
    {
        match tokio::spawn(handler.in_current_span()).await {
            Ok(result) => Handled::Ran(result),
            Err(_) => Handled::Panicked,
        }
    }

    /// Awaits the handler, renewing the claim every third of the lease.
    async fn renewing<E>(
        &self,
        key: &str,
        lock: &LockToken,
        mut handler: tokio::task::JoinHandle<std::result::Result<Reply, E>>,
    ) -> Handled<E> {
        let every = self.lease / 3;
        loop {
            tokio::select! {
                joined = &mut handler => {
                    return match joined {
                        Ok(result) => Handled::Ran(result),
                        Err(_) => Handled::Panicked,
                    };
                }
                () = tokio::time::sleep(every) => {
                    match self.store.renew(key, lock, self.lease).await {
                        Ok(true) => {}
                        Ok(false) => warn!("the push's claim was lost while its handler ran"),
                        Err(error) => warn!(%error, "cannot renew the push's claim"),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting(
        n: &Arc<AtomicUsize>,
        reply: Reply,
    ) -> impl Future<Output = std::result::Result<Reply, String>> + Send + 'static {
        let n = Arc::clone(n);
        async move {
            n.fetch_add(1, Ordering::SeqCst);
            Ok(reply)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_is_handled_once_and_a_failure_releases_it() {
        let dedup = Dedup::new(MemoryDedupStore::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let key = || Some(Dedup::store_key("wx1", "xpay_coin_pay_notify", "trade_1"));
        let failed = dedup
            .run(key(), counting(&runs, Reply::Failure("later".into())))
            .await;
        assert!(matches!(failed, Handled::Ran(Ok(Reply::Failure(_)))));
        let first = dedup.run(key(), counting(&runs, Reply::Success)).await;
        assert!(matches!(first, Handled::Ran(Ok(Reply::Success))));
        let again = dedup.run(key(), counting(&runs, Reply::Success)).await;
        assert!(matches!(again, Handled::AlreadyDone));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        // Without a key, every delivery runs.
        for _ in 0..2 {
            dedup.run(None, counting(&runs, Reply::Success)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn errors_and_panics_release_the_claim() {
        let dedup = Dedup::new(MemoryDedupStore::new());
        let key = || Some("k".to_string());
        let err = dedup
            .run(key(), async { Err::<Reply, _>("db down".to_string()) })
            .await;
        assert!(matches!(err, Handled::Ran(Err(_))));
        let panicked = dedup.run(key(), async { panic!("handler bug") }).await;
        assert!(matches!(panicked, Handled::<String>::Panicked));
        let ok = dedup
            .run(key(), async { Ok::<_, String>(Reply::Success) })
            .await;
        assert!(matches!(ok, Handled::Ran(Ok(Reply::Success))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_handler_keeps_its_claim_and_a_dead_one_expires() {
        let store = MemoryDedupStore::new();
        let dedup = Dedup::new(store.clone()).with_lease(Duration::from_secs(3));
        let running = tokio::spawn({
            let dedup = dedup.clone();
            async move {
                dedup
                    .run(Some("k".into()), async {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        Ok::<_, String>(Reply::Success)
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_secs(7)).await;
        // Past two leases: renewed, still in flight.
        let busy = dedup
            .run(Some("k".into()), async { Ok::<_, String>(Reply::Success) })
            .await;
        assert!(matches!(busy, Handled::InFlight));
        assert!(matches!(running.await.unwrap(), Handled::Ran(Ok(_))));

        // A claim nobody renews (its instance died) expires with its lease.
        let Claim::Claimed(_) = store.claim("dead", Duration::from_secs(3)).await.unwrap() else {
            panic!("free")
        };
        assert!(matches!(
            dedup
                .run(Some("dead".into()), async {
                    Ok::<_, String>(Reply::Success)
                })
                .await,
            Handled::InFlight
        ));
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(matches!(
            dedup
                .run(Some("dead".into()), async {
                    Ok::<_, String>(Reply::Success)
                })
                .await,
            Handled::Ran(Ok(_))
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn the_handler_finishes_when_the_caller_is_dropped() {
        let dedup = Dedup::new(MemoryDedupStore::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let n = Arc::clone(&runs);
        let call = dedup.run(Some("k".into()), async move {
            tokio::time::sleep(Duration::from_secs(8)).await;
            n.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>(Reply::Success)
        });
        // WeChat gives up after about 5 s and hyper drops the request's future.
        assert!(
            tokio::time::timeout(Duration::from_secs(5), call)
                .await
                .is_err()
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "delivered despite the drop");
        let again = dedup
            .run(Some("k".into()), async { Ok::<_, String>(Reply::Success) })
            .await;
        assert!(matches!(again, Handled::AlreadyDone));
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_memory_store_refuses_rather_than_forgets() {
        let dedup = Dedup::new(MemoryDedupStore::new().with_capacity(1));
        let ok = dedup
            .run(Some("a".into()), async { Ok::<_, String>(Reply::Success) })
            .await;
        assert!(matches!(ok, Handled::Ran(Ok(_))));
        let full = dedup
            .run(Some("b".into()), async { Ok::<_, String>(Reply::Success) })
            .await;
        assert!(matches!(full, Handled::Store(Error::Store { .. })));
    }
}
