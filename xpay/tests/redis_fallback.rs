//! When Redis goes away, calls keep working: each instance falls back on its own tokens, with a
//! bounded number of fetches, and says so in tracing; when Redis comes back it is used again.
//!
//! Without `redis-server` the test that needs one is skipped with a notice, unless
//! `XPAY_REQUIRE_REDIS=1`.
#![cfg(feature = "redis")]

#[path = "support/fake_wechat.rs"]
mod fake_wechat;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use xpay::redis::RedisStore;
use xpay::token::TokenMode;
use xpay::{Client, errcode};

use fake_wechat::{FakeWeChat, query_concurrently, store_key};
use xpay_test_support::RedisServer;

const UNAVAILABLE: &str =
    "redis token store unavailable; falling back to this process's own tokens";
const FALLBACK_REFRESH: &str = "refreshing the access token without the redis lock (fallback)";
/// The manager's rate limit (its policy with any store).
const KEPT: &str = "access token rejected again within the refetch interval; keeping it";
const REACHABLE: &str = "redis token store reachable again";

/// One tracing event: its level, target, message and every field as text.
#[derive(Clone, Debug)]
struct Recorded {
    level: Level,
    target: String,
    message: String,
    fields: String,
}

/// A minimal subscriber that keeps every event.
#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<Recorded>>>,
    next_span: Arc<AtomicU64>,
}

impl Recorder {
    fn events(&self) -> Vec<Recorded> {
        self.events.lock().expect("lock").clone()
    }

    /// How many events from anywhere carry `message` at `level`.
    fn count_any(&self, level: Level, message: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| e.level == level && e.message == message)
            .count()
    }

    /// How many events from the store carry `message` at `level`.
    fn count(&self, level: Level, message: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| {
                e.level == level && e.target == RedisStore::TRACING_TARGET && e.message == message
            })
            .count()
    }
}

struct Fields<'a>(&'a mut String, &'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            *self.0 = format!("{value:?}");
        } else {
            self.1.push_str(&format!("{}={value:?} ", field.name()));
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let (mut message, mut fields) = (String::new(), String::new());
        event.record(&mut Fields(&mut message, &mut fields));
        self.events.lock().expect("lock").push(Recorded {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            message,
            fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn assert_all_ok(results: &[xpay::Result<()>], when: &str) {
    for result in results {
        if let Err(error) = result {
            panic!("{when}: a call failed: {error}");
        }
    }
}

/// Nothing logged holds a token WeChat issued, the AppSecret or the AppKey.
fn assert_no_secret_logged(recorder: &Recorder) {
    for event in recorder.events() {
        let text = format!("{} {}", event.message, event.fields);
        assert!(!text.contains("ACCESS-TOKEN-"), "{event:?}");
        assert!(!text.contains(fake_wechat::APP_SECRET), "{event:?}");
        assert!(!text.contains(fake_wechat::APP_KEY), "{event:?}");
    }
}

// One thread, so that the recorder (a thread-local default subscriber) sees every task's events.
#[tokio::test(flavor = "current_thread")]
async fn redis_killed_mid_run_falls_back_with_bounded_fetches() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let Some(mut server) =
        RedisServer::start("redis_killed_mid_run_falls_back_with_bounded_fetches")
    else {
        return;
    };
    let fake = FakeWeChat::start(Duration::from_millis(50)).await;
    const N: usize = 3;
    let fallback_interval = Duration::from_secs(2);
    let retry_interval = Duration::from_millis(200);
    let mut stores = Vec::new();
    for _ in 0..N {
        let store = RedisStore::connect(&server.url())
            .await
            .expect("connect")
            .with_op_timeout(Duration::from_millis(500))
            .with_retry_interval(retry_interval);
        stores.push(store);
    }
    let clients: Vec<Client> = stores
        .iter()
        .map(|store| {
            fake.builder(store.clone(), TokenMode::Stable)
                .token_refetch_interval(fallback_interval)
                .build()
                .expect("client")
        })
        .collect();

    // 1. Redis up: one fetch for everyone.
    assert_all_ok(&query_concurrently(&clients, 60).await, "redis up");
    assert_eq!(fake.fetches(), 1);
    assert_eq!(recorder.count(Level::WARN, UNAVAILABLE), 0);

    // 2. Redis dies. Calls go on with the token each instance last saw: no fetch at all.
    server.stop();
    assert_all_ok(&query_concurrently(&clients, 120).await, "redis down");
    assert_eq!(fake.fetches(), 1, "the last token seen is reused");
    assert_eq!(
        recorder.count(Level::WARN, UNAVAILABLE),
        N,
        "one warning per store"
    );
    assert!(stores.iter().all(|s| !s.is_redis_available()));

    // 3. WeChat drops the token: each instance fetches its own, once.
    fake.revoke();
    assert_all_ok(&query_concurrently(&clients, 120).await, "fallback fetch");
    assert_eq!(fake.fetches(), 1 + N, "one fallback fetch per instance");
    assert_eq!(recorder.count(Level::WARN, FALLBACK_REFRESH), N);

    // 4. Dropped again at once: the managers do not fetch again within their refetch
    //    interval; the calls fail with WeChat's 40001 instead.
    fake.revoke();
    let results = query_concurrently(&clients, 30).await;
    for result in &results {
        let error = result.as_ref().expect_err("rate-limited");
        assert_eq!(error.errcode(), Some(errcode::TOKEN_INVALID), "{error}");
    }
    assert_eq!(
        fake.fetches(),
        1 + N,
        "no fetch within the refetch interval"
    );
    assert!(recorder.count_any(Level::WARN, KEPT) >= N);

    // 5. Once the interval has passed, each instance may fetch once more.
    tokio::time::sleep(fallback_interval + Duration::from_millis(100)).await;
    assert_all_ok(
        &query_concurrently(&clients, 120).await,
        "after the interval",
    );
    assert_eq!(fake.fetches(), 1 + 2 * N);

    // 6. Redis comes back (empty): the stores use it again, and share one token again.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    while stores.iter().any(|s| !s.is_redis_available()) {
        assert!(
            Instant::now() < deadline,
            "the stores never used redis again"
        );
        assert_all_ok(&query_concurrently(&clients, 6).await, "redis back");
        tokio::time::sleep(retry_interval / 2).await;
    }
    assert_all_ok(&query_concurrently(&clients, 60).await, "redis back");
    assert!(recorder.count(Level::INFO, REACHABLE) >= N);
    assert!(
        fake.fetches() <= 1 + 3 * N,
        "bounded fetches: {}",
        fake.fetches()
    );
    let mut redis = server.connection().await;
    let shared: Option<String> = redis.get(store_key(TokenMode::Stable)).await.expect("GET");
    assert_eq!(shared, fake.current(), "redis holds the token again");

    assert_no_secret_logged(&recorder);
}

#[tokio::test(flavor = "current_thread")]
async fn redis_unreachable_from_the_start_falls_back() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    // No server: nothing listens on a port just freed (needs no redis-server).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let fake = FakeWeChat::start(Duration::ZERO).await;
    let store = RedisStore::connect_lazy(&format!("redis://127.0.0.1:{port}"))
        .expect("lazy store")
        .with_op_timeout(Duration::from_millis(500));
    let client = fake.client(store.clone(), TokenMode::Stable);

    let started = Instant::now();
    assert_all_ok(&query_concurrently(&[client], 50).await, "no redis");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not slowed down"
    );
    assert_eq!(fake.fetches(), 1);
    assert!(!store.is_redis_available());
    assert_eq!(recorder.count(Level::WARN, UNAVAILABLE), 1);
    assert_eq!(recorder.count(Level::WARN, FALLBACK_REFRESH), 1);
    assert_no_secret_logged(&recorder);
}
