//! `RedisStore` against a real `redis-server`: the `TokenStore` contract (tokens with their
//! TTL, compare-and-delete invalidation, locks that expire and are released only by their
//! holder), how keys are laid out, and that no password leaks.
//!
//! Each test starts its own server (see `xpay-test-support`); without `redis-server` they
//! are skipped with a notice, unless `XPAY_REQUIRE_REDIS=1`.
#![cfg(feature = "redis")]

#[path = "support/fake_wechat.rs"]
mod fake_wechat;

use std::time::Duration;

use redis::AsyncCommands;
use xpay::redis::RedisStore;
use xpay::token::{TokenMode, TokenStore};
use xpay::{AccessToken, Client, Error};

use fake_wechat::FakeWeChat;
use xpay_test_support::RedisServer;

const KEY: &str = "xpay:{wxstore}:access_token:stable";

fn token(value: &str) -> AccessToken {
    AccessToken::new(value).expect("token")
}

#[tokio::test]
async fn redis_store_keeps_the_token_with_its_ttl() {
    let Some(server) = RedisServer::start("redis_store_keeps_the_token_with_its_ttl") else {
        return;
    };
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    assert!(store.get(KEY).await.expect("get").is_none());

    store
        .put(KEY, &token("TOKEN-ONE"), Duration::from_secs(7200))
        .await
        .expect("put");
    let stored = store.get(KEY).await.expect("get").expect("present");
    assert!(stored.token == token("TOKEN-ONE"));
    assert!(stored.expires_in <= Duration::from_secs(7200));
    assert!(stored.expires_in > Duration::from_secs(7190), "{stored:?}");
    assert!(store.get(&format!("{KEY}x")).await.expect("get").is_none());

    // Laid out as documented: the token as a plain string under the key, with a PX expiry.
    let mut redis = server.connection().await;
    let raw: String = redis.get(KEY).await.expect("GET");
    assert_eq!(raw, "TOKEN-ONE");
    let pttl: i64 = redis.pttl(KEY).await.expect("PTTL");
    assert!((7_190_000..=7_200_000).contains(&pttl), "{pttl}");

    // Another store (another instance) sees the same token.
    let other = RedisStore::connect(&server.url()).await.expect("connect");
    let seen = other.get(KEY).await.expect("get").expect("shared");
    assert!(seen.token == token("TOKEN-ONE"));

    // A put replaces; a zero TTL removes.
    store
        .put(KEY, &token("TOKEN-TWO"), Duration::from_secs(60))
        .await
        .expect("put");
    let seen = other.get(KEY).await.expect("get").expect("replaced");
    assert!(seen.token == token("TOKEN-TWO"));
    store
        .put(KEY, &token("TOKEN-THREE"), Duration::ZERO)
        .await
        .expect("put");
    assert!(other.get(KEY).await.expect("get").is_none());
    assert!(store.is_redis_available());
}

#[tokio::test]
async fn redis_store_tokens_expire() {
    let Some(server) = RedisServer::start("redis_store_tokens_expire") else {
        return;
    };
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    store
        .put(KEY, &token("SHORT-LIVED"), Duration::from_millis(300))
        .await
        .expect("put");
    let stored = store.get(KEY).await.expect("get").expect("present");
    assert!(stored.expires_in <= Duration::from_millis(300));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(store.get(KEY).await.expect("get").is_none());
}

#[tokio::test]
async fn redis_store_invalidate_drops_only_the_matching_token() {
    let Some(server) = RedisServer::start("redis_store_invalidate_drops_only_the_matching_token")
    else {
        return;
    };
    let a = RedisStore::connect(&server.url()).await.expect("connect");
    let b = RedisStore::connect(&server.url()).await.expect("connect");
    let ttl = Duration::from_secs(100);
    a.put(KEY, &token("NEW"), ttl).await.expect("put");

    // A late invalidation of an older token leaves the new one.
    assert!(!b.invalidate(KEY, &token("OLD")).await.expect("invalidate"));
    assert!(a.get(KEY).await.expect("get").is_some());

    // Invalidated by one instance: gone for every instance.
    assert!(b.invalidate(KEY, &token("NEW")).await.expect("invalidate"));
    assert!(a.get(KEY).await.expect("get").is_none());
    assert!(b.get(KEY).await.expect("get").is_none());
    assert!(!a.invalidate(KEY, &token("NEW")).await.expect("invalidate"));
}

#[tokio::test]
async fn redis_store_locks_exclude_expire_and_release_only_with_their_token() {
    let Some(server) =
        RedisServer::start("redis_store_locks_exclude_expire_and_release_only_with_their_token")
    else {
        return;
    };
    let a = RedisStore::connect(&server.url()).await.expect("connect");
    let b = RedisStore::connect(&server.url()).await.expect("connect");
    let ttl = Duration::from_millis(500);
    a.put(KEY, &token("T"), Duration::from_secs(100))
        .await
        .expect("put");

    let first = a.try_lock(KEY, ttl).await.expect("lock").expect("free");
    assert!(a.try_lock(KEY, ttl).await.expect("lock").is_none());
    assert!(b.try_lock(KEY, ttl).await.expect("lock").is_none());
    // Another key is independent, and the lock leaves the token alone.
    assert!(b.try_lock("other-key", ttl).await.expect("lock").is_some());
    assert!(b.get(KEY).await.expect("get").is_some());

    let mut redis = server.connection().await;
    let value: String = redis.get(format!("{KEY}:lock")).await.expect("GET lock");
    assert_eq!(value, first.as_str());
    let pttl: i64 = redis.pttl(format!("{KEY}:lock")).await.expect("PTTL");
    assert!((1..=500).contains(&pttl), "{pttl}");

    // After the TTL another instance takes it; the old holder cannot release it.
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let second = b.try_lock(KEY, ttl).await.expect("lock").expect("expired");
    assert_ne!(first, second);
    a.unlock(KEY, first).await.expect("unlock");
    assert!(a.try_lock(KEY, ttl).await.expect("lock").is_none());

    b.unlock(KEY, second).await.expect("unlock");
    assert!(a.try_lock(KEY, ttl).await.expect("lock").is_some());
}

#[tokio::test]
async fn redis_store_keys_are_namespaced_by_app_and_mode() {
    let Some(server) = RedisServer::start("redis_store_keys_are_namespaced_by_app_and_mode") else {
        return;
    };
    let fake = FakeWeChat::start(Duration::ZERO).await;
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    let client = |app_id: &str, mode: TokenMode| {
        Client::builder()
            .app_id(app_id)
            .app_secret(fake_wechat::APP_SECRET)
            .base_url(&fake.url)
            .token_store(store.clone())
            .token_mode(mode)
            .build()
            .expect("client")
    };
    let stable_a = client("wxappA", TokenMode::Stable).access_token().await;
    let classic_a = client("wxappA", TokenMode::Classic).access_token().await;
    let stable_b = client("wxappB", TokenMode::Stable).access_token().await;
    for result in [&stable_a, &classic_a, &stable_b] {
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(fake.fetches(), 3, "one fetch per app and mode");

    let mut redis = server.connection().await;
    let mut keys: Vec<String> = redis.keys("*").await.expect("KEYS");
    keys.sort();
    assert_eq!(
        keys,
        [
            "xpay:{wxappA}:access_token:classic",
            "xpay:{wxappA}:access_token:stable",
            "xpay:{wxappB}:access_token:stable",
        ],
        "the tokens, and no lock left behind"
    );
    // Nothing secret besides the token: neither the AppSecret nor the lock values linger.
    for key in keys {
        let value: String = redis.get(&key).await.expect("GET");
        assert!(value.starts_with("ACCESS-TOKEN-"), "{key}");
        assert!(!value.contains(fake_wechat::APP_SECRET));
    }
}

#[tokio::test]
async fn redis_store_with_a_password_never_shows_it() {
    let password = "hunter2-redis-password";
    let Some(server) =
        RedisServer::start_with_password("redis_store_with_a_password_never_shows_it", password)
    else {
        return;
    };
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    store
        .put(KEY, &token("T"), Duration::from_secs(10))
        .await
        .expect("put");
    assert!(store.get(KEY).await.expect("get").is_some());
    assert!(store.is_redis_available());
    let debug = format!("{store:?}");
    assert!(!debug.contains(password), "{debug}");
    assert!(
        debug.contains(&format!("127.0.0.1:{}", server.port())),
        "{debug}"
    );

    let wrong = format!("redis://:wrong-{password}@127.0.0.1:{}", server.port());
    let error = RedisStore::connect(&wrong)
        .await
        .expect_err("wrong password");
    assert!(matches!(error, Error::Store { .. }), "{error:?}");
    assert!(!format!("{error} {error:?}").contains(password), "{error}");

    let none = format!("redis://127.0.0.1:{}", server.port());
    assert!(RedisStore::connect(&none).await.is_err(), "no password");
}

#[tokio::test]
async fn redis_store_connect_reports_an_unreachable_server() {
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = format!("redis://:hunter2-secret@127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let error = RedisStore::connect(&url).await.expect_err("nothing there");
    // Real time is the point: connect gives up rather than hang (a generous bound).
    assert!(started.elapsed() <= xpay::redis::RedisConnection::CONNECT_TIMEOUT * 3);
    let message = error.to_string();
    assert!(
        matches!(&error, Error::Store { store, .. } if store.contains(&format!("127.0.0.1:{port}"))),
        "{error:?}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}
