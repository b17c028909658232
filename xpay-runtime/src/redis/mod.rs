//! Redis (feature `redis`): what several instances of an app share. One [`RedisConnection`]
//! serves every store:
//!
//! - [`RedisStore`]: the access token and its refresh lock, so that one instance refreshes;
//! - [`RedisDedupStore`]: push dedup keys, so that each push is handled once
//!   ([`Dedup`](crate::callback::dedup::Dedup));
//! - [`RedisSeenQueries`]: verified push queries with their body digests
//!   ([`replay`](crate::callback::replay)).
//!
//! # Keys
//!
//! Every key of one app carries the app id as a Redis Cluster hash tag, so that whatever one
//! script touches lives in one slot and the names never need to change when a deployment moves
//! to a cluster:
//!
//! | key | holds |
//! |---|---|
//! | `xpay:{wx…}:access_token:{mode}` | the token (`PX` = its lifetime) |
//! | `xpay:{wx…}:access_token:{mode}:lock` | the refresh lock (a random value, `PX` = lock TTL) |
//! | `xpay:{wx…}:push:{event}:{dedup key}` | `claim:{random}` while a handler runs (`PX` = lease), then `done` (`PX` = retention) |
//! | `xpay:{wx…}:seen:{sha256 of the lowercased signature}` | the SHA-256 of the first body (`PX` = 48 h) |
//!
//! Nothing secret is stored but the access token itself (protect the Redis with a password and
//! a private network). `rediss://` URLs need the `rustls` feature (on by default).

use std::sync::LazyLock;

use redis::Script;

mod connection;
mod dedup;
mod seen;
mod token;
mod url;

pub use connection::RedisConnection;
pub use dedup::RedisDedupStore;
pub use seen::RedisSeenQueries;
pub use token::RedisStore;

/// Deletes `KEYS[1]` only if it still holds `ARGV[1]` (compare-and-delete); 1 when deleted.
/// Drops an invalid token without dropping a newer one, and releases only one's own lock or
/// claim.
static COMPARE_AND_DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0",
    )
});

/// `ttl` in whole milliseconds for `PX`, at least 1 and at most about 2,200 years.
fn px(ttl: std::time::Duration) -> u64 {
    u64::try_from(ttl.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, 1 << 46)
}
