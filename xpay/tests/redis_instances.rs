//! Several instances (separate `Client`s, each with its own `RedisStore` connection) sharing
//! one real `redis-server`, against a fake WeChat that counts token fetches: one fetch however
//! many concurrent calls, a crashed refresher's lock taken over once it expires, invalidation
//! seen by every instance, and classic tokens that never reject a call.
//!
//! Without `redis-server` these tests are skipped with a notice, unless `XPAY_REQUIRE_REDIS=1`.
#![cfg(feature = "redis")]

#[path = "support/fake_wechat.rs"]
mod fake_wechat;

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use xpay::Client;
use xpay::token::{TokenManager, TokenMode, TokenStore};

use fake_wechat::{FakeWeChat, query_concurrently, store_key, stores};
use xpay_test_support::RedisServer;

const INSTANCES: usize = 6;
const CALLS: usize = 300;

async fn instances(
    server: &RedisServer,
    fake: &FakeWeChat,
    mode: TokenMode,
) -> (Vec<xpay::redis::RedisStore>, Vec<Client>) {
    let stores = stores(&server.url(), INSTANCES).await;
    let clients = stores
        .iter()
        .map(|store| fake.client(store.clone(), mode))
        .collect();
    (stores, clients)
}

fn assert_all_ok(results: &[xpay::Result<()>]) {
    for result in results {
        if let Err(error) = result {
            panic!("a call failed: {error}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_many_instances_many_calls_fetch_once() {
    let Some(server) = RedisServer::start("redis_many_instances_many_calls_fetch_once") else {
        return;
    };
    let fake = FakeWeChat::start(Duration::from_millis(200)).await;
    let (_stores, clients) = instances(&server, &fake, TokenMode::Stable).await;

    let results = query_concurrently(&clients, CALLS).await;
    assert_all_ok(&results);
    assert_eq!(
        fake.fetches(),
        1,
        "{INSTANCES} instances, {CALLS} calls: one fetch"
    );
    assert_eq!(fake.served(), CALLS);
    assert_eq!(fake.rejected(), 0);

    // Every instance reads the one shared token; no more fetches.
    let results = query_concurrently(&clients, CALLS).await;
    assert_all_ok(&results);
    assert_eq!(fake.fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_lock_of_a_crashed_instance_expires_and_another_takes_over() {
    let Some(server) =
        RedisServer::start("redis_lock_of_a_crashed_instance_expires_and_another_takes_over")
    else {
        return;
    };
    let fake = FakeWeChat::start(Duration::ZERO).await;
    let (_stores, clients) = instances(&server, &fake, TokenMode::Stable).await;

    // A crashed instance took the refresh lock and will never release it or store a token.
    let lock_ttl = Duration::from_millis(1500);
    let lock_key = format!("{}:lock", store_key(TokenMode::Stable));
    let mut redis = server.connection().await;
    let taken: Option<String> = redis::cmd("SET")
        .arg(&lock_key)
        .arg("a-crashed-instance")
        .arg("NX")
        .arg("PX")
        .arg(lock_ttl.as_millis() as u64)
        .query_async(&mut redis)
        .await
        .expect("SET NX PX");
    assert!(taken.is_some());
    let started = Instant::now();

    let calls = tokio::spawn({
        let clients = clients.clone();
        async move { query_concurrently(&clients, 60).await }
    });
    // While the lock lasts, every instance waits and nobody fetches.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(fake.fetches(), 0, "nobody fetches while the lock is held");
    assert!(!calls.is_finished());

    let results = calls.await.expect("calls");
    let waited = started.elapsed();
    assert_all_ok(&results);
    assert_eq!(fake.fetches(), 1, "one instance took over and fetched once");
    assert!(waited >= lock_ttl - Duration::from_millis(50), "{waited:?}");
    assert!(waited < lock_ttl + Duration::from_secs(3), "{waited:?}");
    let left: Option<String> = redis.get(&lock_key).await.expect("GET lock");
    assert!(left.is_none(), "the new holder released its lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_invalidation_is_shared_and_refetched_once() {
    let Some(server) = RedisServer::start("redis_invalidation_is_shared_and_refetched_once") else {
        return;
    };
    let fake = FakeWeChat::start(Duration::from_millis(100)).await;
    let (stores, clients) = instances(&server, &fake, TokenMode::Stable).await;
    let key = store_key(TokenMode::Stable);

    assert_all_ok(&query_concurrently(&clients, 20).await);
    assert_eq!(fake.fetches(), 1);
    let first = stores[1].get(&key).await.expect("get").expect("stored");

    // Instance A drops the token; instance B sees none, and a late second drop of the same
    // token is a no-op.
    assert!(
        stores[0]
            .invalidate(&key, &first.token)
            .await
            .expect("A drops")
    );
    assert!(
        stores[1].get(&key).await.expect("get").is_none(),
        "B sees no token"
    );
    assert!(
        !stores[1]
            .invalidate(&key, &first.token)
            .await
            .expect("B drops")
    );

    // The next calls, on every instance, cause exactly one fetch.
    assert_all_ok(&query_concurrently(&clients, CALLS).await);
    assert_eq!(fake.fetches(), 2);

    // WeChat rejects the token (40001) while every instance calls: each rejected call drops it
    // (compare-and-delete) and retries once, and one new token serves them all.
    fake.revoke();
    let rejected_before = fake.rejected();
    assert_all_ok(&query_concurrently(&clients, CALLS).await);
    assert_eq!(fake.fetches(), 3, "one fetch for one rejected token");
    assert!(
        fake.rejected() > rejected_before,
        "the old token was rejected"
    );

    // The token now stored is the one WeChat accepts, and it is kept: a drop of the old
    // token by a straggler leaves it alone.
    let current = stores[2].get(&key).await.expect("get").expect("stored");
    assert_eq!(Some(current.token.expose().to_owned()), fake.current());
    assert!(
        !stores[3]
            .invalidate(&key, &first.token)
            .await
            .expect("straggler")
    );
    assert!(stores[4].get(&key).await.expect("get").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_classic_mode_instances_share_one_token_and_never_see_40001() {
    let Some(server) =
        RedisServer::start("redis_classic_mode_instances_share_one_token_and_never_see_40001")
    else {
        return;
    };
    // Each classic fetch invalidates the previous token at once: any second fetch would make
    // calls holding the first token fail.
    let fake = FakeWeChat::start(Duration::from_millis(200)).await;
    let (_stores, clients) = instances(&server, &fake, TokenMode::Classic).await;

    let results = query_concurrently(&clients, CALLS).await;
    assert_all_ok(&results);
    assert_eq!(fake.classic_fetches(), 1);
    assert_eq!(fake.rejected(), 0, "no call ever met 40001");
    assert_eq!(fake.served(), CALLS);

    let results = query_concurrently(&clients, CALLS).await;
    assert_all_ok(&results);
    assert_eq!(fake.classic_fetches(), 1);
    assert_eq!(fake.rejected(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_token_managers_in_separate_instances_fetch_once() {
    // The same through bare TokenManagers (a custom source, as an application might have).
    let Some(server) = RedisServer::start("redis_token_managers_in_separate_instances_fetch_once")
    else {
        return;
    };
    let fake = FakeWeChat::start(Duration::from_millis(200)).await;
    let stores = stores(&server.url(), INSTANCES).await;
    let managers: Vec<TokenManager> = stores
        .into_iter()
        .map(|store| {
            let source = xpay::token::WeChatTokenSource::new(
                reqwest::Client::new(),
                fake_wechat::APP_ID,
                xpay::AppSecret::new(fake_wechat::APP_SECRET).expect("secret"),
            )
            .with_base_url(&fake.url);
            TokenManager::builder(source)
                .store(store)
                .poll_interval(Duration::from_millis(50))
                .build()
                .expect("manager")
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let manager = managers[i % managers.len()].clone();
        tasks.spawn(async move { manager.get().await });
    }
    let mut tokens = Vec::new();
    while let Some(result) = tasks.join_next().await {
        tokens.push(result.expect("task").expect("token"));
    }
    assert_eq!(fake.fetches(), 1);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
}

/// A caller cancelled while its instance refreshes (a timeout around the call) does not leave
/// the Redis lock held for its 20 s TTL: the refresh runs on its own task and releases it when
/// the fetch ends, so another instance has a token at once. Real time is the point here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_a_cancelled_refresher_leaves_no_lock_held() {
    let Some(server) = RedisServer::start("redis_a_cancelled_refresher_leaves_no_lock_held") else {
        return;
    };
    let fake = FakeWeChat::start(Duration::from_millis(300)).await;
    let stores = stores(&server.url(), 2).await;
    let a = fake.client(stores[0].clone(), TokenMode::Stable);
    let b = fake.client(stores[1].clone(), TokenMode::Stable);
    // A's call is cancelled while A fetches the token (under the Redis lock).
    let cancelled = tokio::time::timeout(Duration::from_millis(50), fake_wechat::query(&a)).await;
    assert!(cancelled.is_err(), "cancelled mid-fetch");
    let started = Instant::now();
    fake_wechat::query(&b).await.expect("B gets a token");
    let waited = started.elapsed();
    eprintln!("after the cancel, B had a token in {waited:?}");
    // The fetch A started ends 300 ms in; before the fix B waited out the lock's 20 s TTL.
    assert!(waited < Duration::from_secs(3), "B waited {waited:?}");
    assert_eq!(fake.fetches(), 1, "A's fetch served B: {waited:?}");
}

/// A token endpoint answering `expires_in: 4`: instances reuse each token for about half its
/// life instead of fetching on every call (the margin is min(5 min, half the lifetime)).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_short_lived_tokens_are_not_fetched_on_every_call() {
    let Some(server) = RedisServer::start("redis_short_lived_tokens_are_not_fetched_on_every_call")
    else {
        return;
    };
    let fake = FakeWeChat::start(Duration::ZERO).await;
    fake.set_expires_in(4);
    let stores = stores(&server.url(), 3).await;
    let clients: Vec<Client> = stores
        .iter()
        .map(|store| fake.client(store.clone(), TokenMode::Stable))
        .collect();
    for call in 0..40 {
        fake_wechat::query(&clients[call % clients.len()])
            .await
            .expect("call");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // 40 calls over about 6 s of 4-second tokens: a fetch every 2 s or so, not 40.
    let fetches = fake.fetches();
    eprintln!("{fetches} token fetches for 40 calls of 4-second tokens");
    assert!((2..=8).contains(&fetches), "{fetches} fetches for 40 calls");
}
