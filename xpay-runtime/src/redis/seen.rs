//! [`RedisSeenQueries`]: push queries and their first body's digest, shared by every instance.

use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;

use super::RedisConnection;
use crate::Result;
use crate::callback::replay::{BodyDigest, QueryId, SeenQueries};
use crate::token::BoxFuture;

/// Records the digest unless the query is known; returns the digest the query is bound to.
static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local seen = redis.call('GET', KEYS[1])
if seen then return seen end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]",
    )
});

/// [`SeenQueries`] in Redis: a query seen by one instance is known to all. Key
/// `xpay:{app}:seen:{query id}`, value the body's SHA-256 in hex, expiring with the TTL.
///
/// When Redis cannot be reached the check fails, and the push is answered with a failure that
/// WeChat retries: a replay is never let through for want of an answer.
#[derive(Clone, Debug)]
pub struct RedisSeenQueries {
    connection: RedisConnection,
}

impl RedisSeenQueries {
    /// The seen queries on `connection`.
    pub fn new(connection: RedisConnection) -> Self {
        Self { connection }
    }

    /// The key of a query of `app`.
    pub fn key(app: &str, query: &QueryId) -> String {
        let app = if app.is_empty() { "_" } else { app };
        crate::keys::app_key(app, format_args!("seen:{}", query.to_hex()))
    }
}

impl SeenQueries for RedisSeenQueries {
    fn admit<'a>(
        &'a self,
        app: &'a str,
        query: QueryId,
        body: BodyDigest,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let key = Self::key(app, &query);
            let digest = body.to_hex();
            let mut manager = self.connection.manager.clone();
            let bound: String = self
                .connection
                .run("Redis seen-query store", "admit", async {
                    ADMIT
                        .key(&key)
                        .arg(&digest)
                        .arg(super::px(ttl))
                        .invoke_async(&mut manager)
                        .await
                })
                .await?;
            Ok(bound == digest)
        })
    }
}
