//! [`RedisDedupStore`]: push dedup keys shared by every instance.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::{COMPARE_AND_DELETE, RedisConnection};
use crate::Result;
use crate::callback::dedup::{Claim, DedupStore};
use crate::token::{BoxFuture, LockToken};

const STORE: &str = "Redis push dedup store";
const DONE: &str = "done";

/// Takes a free key (`SET … PX lease`) and answers `claimed`, or returns what holds it.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'claimed'",
    )
});

/// Extends a claim still held with `ARGV[1]`; 1 when it was.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0",
    )
});

/// Marks a key done if it is claimed with `ARGV[1]` or free; 1 when marked.
static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local held = redis.call('GET', KEYS[1])
if (not held) or held == ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
  return 1
end
return 0",
    )
});

/// A [`DedupStore`] in Redis, shared by every instance of an app: a push is handled by one of
/// them, once. Keys come from [`Dedup::store_key`](crate::callback::dedup::Dedup::store_key)
/// (`xpay:{app}:push:{event}:{key}`); a claim holds `claim:{random}` with the lease as its TTL,
/// a handled push `done` with the retention.
///
/// When Redis cannot be reached, claims fail: the handler does not run and the push is answered
/// with a failure that WeChat retries, so it is neither lost nor handled twice.
#[derive(Clone, Debug)]
pub struct RedisDedupStore {
    connection: RedisConnection,
}

impl RedisDedupStore {
    /// The dedup store on `connection`.
    pub fn new(connection: RedisConnection) -> Self {
        Self { connection }
    }
}

fn claim_value(lock: &LockToken) -> String {
    format!("claim:{}", lock.as_str())
}

impl DedupStore for RedisDedupStore {
    fn claim<'a>(&'a self, key: &'a str, lease: Duration) -> BoxFuture<'a, Result<Claim>> {
        Box::pin(async move {
            let lock = LockToken::random();
            let mut manager = self.connection.manager.clone();
            let held: String = self
                .connection
                .run(STORE, "claim", async {
                    CLAIM
                        .key(key)
                        .arg(claim_value(&lock))
                        .arg(super::px(lease))
                        .invoke_async(&mut manager)
                        .await
                })
                .await?;
            Ok(match held.as_str() {
                "claimed" => Claim::Claimed(lock),
                DONE => Claim::Done,
                _ => Claim::InFlight,
            })
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut manager = self.connection.manager.clone();
            let renewed: i64 = self
                .connection
                .run(STORE, "renew", async {
                    RENEW
                        .key(key)
                        .arg(claim_value(lock))
                        .arg(super::px(lease))
                        .invoke_async(&mut manager)
                        .await
                })
                .await?;
            Ok(renewed == 1)
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        lock: &'a LockToken,
        retain: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut manager = self.connection.manager.clone();
            self.connection
                .run(STORE, "complete", async {
                    COMPLETE
                        .key(key)
                        .arg(claim_value(lock))
                        .arg(super::px(retain))
                        .invoke_async::<i64>(&mut manager)
                        .await
                })
                .await?;
            Ok(())
        })
    }

    fn release<'a>(&'a self, key: &'a str, lock: &'a LockToken) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut manager = self.connection.manager.clone();
            self.connection
                .run(STORE, "release", async {
                    COMPARE_AND_DELETE
                        .key(key)
                        .arg(claim_value(lock))
                        .invoke_async::<i64>(&mut manager)
                        .await
                })
                .await?;
            Ok(())
        })
    }
}
