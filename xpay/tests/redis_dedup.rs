//! Exactly-once push handling across instances, against a real `redis-server`: three router
//! instances share one Redis; many pushes are each delivered several times, concurrently, to
//! random instances, retried as WeChat retries; every dedup key is handled exactly once. A
//! handler that fails once is retried and succeeds once; an instance killed mid-handle leaves a
//! claim that expires, and the push is then handled. Seen queries are shared the same way.
//!
//! `cargo test dedup` runs these. Without `redis-server` they are skipped with a notice, unless
//! `XPAY_REQUIRE_REDIS=1`.
#![cfg(all(feature = "redis", feature = "axum"))]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use redis::AsyncCommands;
use serde_json::json;
use xpay::CallbackToken;
use xpay::api::Event;
use xpay::callback::axum::PushRouter;
use xpay::callback::dedup::{Dedup, MemoryDedupStore};
use xpay::callback::{
    CallbackConfig, CallbackError, Decoder, EncodingAesKey, Format, Push, Reply, SealParams,
    SignedPush, encrypt_push, render_message, sign_plain_push,
};
use xpay::redis::{RedisConnection, RedisDedupStore, RedisSeenQueries};
use xpay_test_support::RedisServer;

const TOKEN: &str = "dedup-token";
const AES: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP: &str = "wxdedup000000001";

/// How often each key was handled to completion, and how often a handler started.
#[derive(Clone, Default)]
struct Ledger {
    handled: Arc<Mutex<HashMap<String, usize>>>,
    started: Arc<AtomicUsize>,
}

impl Ledger {
    fn handled(&self) -> HashMap<String, usize> {
        self.handled.lock().unwrap().clone()
    }
}

fn decoder() -> Decoder {
    Decoder::new(
        CallbackConfig::new(CallbackToken::new(TOKEN).unwrap())
            .with_aes_key(EncodingAesKey::new(AES).unwrap())
            .with_app_id(APP),
        &xpay::api::SPEC,
    )
}

/// What a handler does for a push: wait a little (a database write), then record it.
type Behaviour = Arc<dyn Fn(&str, usize) -> HandlerStep + Send + Sync>;

#[derive(Clone, Copy)]
enum HandlerStep {
    /// Takes this long, then succeeds.
    Succeed(Duration),
    /// Fails (an `Err`): WeChat must retry.
    Fail,
    /// Takes this long (longer than the test lets it live).
    Hang(Duration),
}

/// One instance: a router on its own port, with its own Redis connection.
async fn instance(
    redis_url: &str,
    ledger: Ledger,
    behaviour: Behaviour,
    lease: Duration,
) -> String {
    let connection = RedisConnection::connect(redis_url).await.expect("redis");
    let dedup = Dedup::new(RedisDedupStore::new(connection)).with_lease(lease);
    let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let routes = PushRouter::new(decoder(), move |push: Push| {
        let ledger = ledger.clone();
        let behaviour = Arc::clone(&behaviour);
        let attempts = Arc::clone(&attempts);
        async move {
            let Event::CoinPay(e) = &push.event else {
                return Ok(Reply::Success);
            };
            let key = e.out_trade_no.clone().unwrap_or_default();
            let n = {
                let mut a = attempts.lock().unwrap();
                let n = a.entry(key.clone()).or_default();
                *n += 1;
                *n
            };
            ledger.started.fetch_add(1, Ordering::SeqCst);
            match behaviour(&key, n) {
                HandlerStep::Succeed(wait) => {
                    tokio::time::sleep(wait).await;
                    *ledger.handled.lock().unwrap().entry(key).or_default() += 1;
                    Ok(Reply::Success)
                }
                HandlerStep::Fail => Err("the database is down".to_string()),
                HandlerStep::Hang(wait) => {
                    tokio::time::sleep(wait).await;
                    *ledger.handled.lock().unwrap().entry(key).or_default() += 1;
                    Ok(Reply::Success)
                }
            }
        }
    })
    .dedup(dedup)
    .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().nest("/push", routes)).await;
    });
    url
}

/// A coin-pay push for `trade`, sealed as WeChat seals it.
fn push_for(trade: &str) -> SignedPush {
    let message = render_message(
        &json!({
            "ToUserName": "gh_dedup", "FromUserName": "o_official", "CreateTime": 1764460800,
            "MsgType": "event", "Event": "xpay_coin_pay_notify", "OpenId": "o-user",
            "OutTradeNo": trade, "Env": 0,
            "CoinInfo": {"Quantity": 60, "OrigPrice": 600, "ActualPrice": 600},
        }),
        Format::Json,
    )
    .unwrap();
    encrypt_push(
        &CallbackToken::new(TOKEN).unwrap(),
        &EncodingAesKey::new(AES).unwrap(),
        APP,
        "gh_dedup",
        &message,
        Format::Json,
        &SealParams::fresh(),
    )
    .unwrap()
}

/// One delivery: true when answered success (HTTP 200 with ErrCode 0).
async fn deliver(http: &reqwest::Client, url: &str, push: &SignedPush) -> bool {
    let sent = http
        .post(format!("{url}?{}", push.query.to_query_string()))
        .body(push.body.clone())
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    match sent {
        Ok(answer) if answer.status().is_success() => answer
            .text()
            .await
            .is_ok_and(|t| t.contains("\"ErrCode\":0")),
        _ => false,
    }
}

/// WeChat's retry schedule (15 retries over about a day), compressed a thousandfold.
const SCHEDULE_MS: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 3600, 3600, 3600, 3600, 3600,
];

/// Delivers `push` as WeChat does: first to a random instance, at once a duplicate to
/// another (WeChat's deliveries do arrive twice), then retries on the schedule until one is
/// answered success. Returns how many deliveries it took.
async fn wechat_delivers(instances: Arc<Vec<String>>, push: SignedPush) -> usize {
    let http = reqwest::Client::new();
    let pick = || instances[rand::random_range(0..instances.len())].clone();
    let (one, other) = (pick(), pick());
    let (first, duplicate) =
        tokio::join!(deliver(&http, &one, &push), deliver(&http, &other, &push));
    let mut deliveries = 2;
    if first || duplicate {
        return deliveries;
    }
    for wait in SCHEDULE_MS.map(|ms| ms.min(200)) {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        deliveries += 1;
        if deliver(&http, &pick(), &push).await {
            return deliveries;
        }
    }
    panic!("a push was never acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedup_three_instances_handle_every_push_exactly_once() {
    let Some(server) = RedisServer::start("dedup_three_instances_handle_every_push_exactly_once")
    else {
        return;
    };
    let ledger = Ledger::default();
    let behaviour: Behaviour =
        Arc::new(|_, _| HandlerStep::Succeed(Duration::from_millis(rand::random_range(0..30))));
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(
            instance(
                &server.url(),
                ledger.clone(),
                Arc::clone(&behaviour),
                Duration::from_secs(5),
            )
            .await,
        );
    }
    let instances = Arc::new(instances);
    let trades: Vec<String> = (0..40).map(|n| format!("trade_dedup_{n:04}")).collect();
    let mut wechat = tokio::task::JoinSet::new();
    for trade in &trades {
        let push = push_for(trade);
        // Several independent deliveries of the same push race each other, as when WeChat's
        // retry overlaps a slow first delivery.
        for _ in 0..3 {
            wechat.spawn(wechat_delivers(Arc::clone(&instances), push.clone()));
        }
    }
    let mut deliveries = 0;
    while let Some(n) = wechat.join_next().await {
        deliveries += n.expect("delivery task");
    }
    let handled = ledger.handled();
    assert_eq!(handled.len(), trades.len(), "every push handled");
    for trade in &trades {
        assert_eq!(handled.get(trade), Some(&1), "{trade} handled exactly once");
    }
    assert!(deliveries >= 6 * trades.len(), "{deliveries} deliveries");

    // Every key of the app carries its hash tag, so a cluster keeps them in one slot.
    let mut redis = server.connection().await;
    let keys: Vec<String> = redis.keys("xpay:*").await.unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        assert!(
            key.starts_with(&format!("xpay:{{{APP}}}:push:xpay_coin_pay_notify:")),
            "{key}"
        );
    }
}

#[tokio::test]
async fn dedup_a_handler_that_fails_once_is_retried_and_succeeds_once() {
    let Some(server) = RedisServer::start("dedup_a_handler_that_fails_once") else {
        return;
    };
    let ledger = Ledger::default();
    let behaviour: Behaviour = Arc::new(|_, attempt| {
        if attempt == 1 {
            HandlerStep::Fail
        } else {
            HandlerStep::Succeed(Duration::ZERO)
        }
    });
    let url = instance(
        &server.url(),
        ledger.clone(),
        behaviour,
        Duration::from_secs(5),
    )
    .await;
    let http = reqwest::Client::new();
    let push = push_for("trade_fails_once");
    assert!(
        !deliver(&http, &url, &push).await,
        "the failure is answered as one"
    );
    assert!(deliver(&http, &url, &push).await, "the retry is handled");
    assert!(
        deliver(&http, &url, &push).await,
        "later retries are answered success"
    );
    assert_eq!(ledger.handled().get("trade_fails_once"), Some(&1));
    assert_eq!(
        ledger.started.load(Ordering::SeqCst),
        2,
        "the third delivery ran nothing"
    );
}

#[test]
fn dedup_an_instance_killed_mid_handle_leaves_a_claim_that_expires() {
    let Some(server) = RedisServer::start("dedup_an_instance_killed_mid_handle") else {
        return;
    };
    let lease = Duration::from_secs(1);
    let push = push_for("trade_killed");
    let ledger = Ledger::default();

    // Instance A, in a runtime of its own, starts handling and is killed halfway.
    let doomed = tokio::runtime::Runtime::new().unwrap();
    let hang: Behaviour = Arc::new(|_, _| HandlerStep::Hang(Duration::from_secs(3600)));
    let a = doomed.block_on(instance(&server.url(), ledger.clone(), hang, lease));
    let started = ledger.started.clone();
    {
        let push = push.clone();
        doomed.spawn(async move {
            let _ = deliver(&reqwest::Client::new(), &a, &push).await;
        });
    }
    while started.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    doomed.shutdown_background();

    // Instance B gets WeChat's retries: busy while the dead claim lives, then handles it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ok: Behaviour = Arc::new(|_, _| HandlerStep::Succeed(Duration::ZERO));
        let b = instance(&server.url(), ledger.clone(), ok, lease).await;
        let http = reqwest::Client::new();
        assert!(
            !deliver(&http, &b, &push).await,
            "still claimed by the dead instance"
        );
        let mut tries = 0;
        while !deliver(&http, &b, &push).await {
            tries += 1;
            assert!(tries < 100, "the dead claim never expired");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(ledger.handled().get("trade_killed"), Some(&1));
    });
}

#[tokio::test]
async fn dedup_seen_queries_are_shared_by_instances() {
    let Some(server) = RedisServer::start("dedup_seen_queries_are_shared") else {
        return;
    };
    let plain = || {
        let seen = RedisSeenQueries::new(RedisConnection::connect_lazy(&server.url()).unwrap());
        Decoder::new(
            CallbackConfig::new(CallbackToken::new(TOKEN).unwrap())
                .with_app_id(APP)
                .with_seen_queries(seen),
            &xpay::api::SPEC,
        )
    };
    let (a, b) = (plain(), plain());
    let message = |trade: &str| {
        render_message(
            &json!({"MsgType": "event", "Event": "xpay_coin_pay_notify", "OutTradeNo": trade}),
            Format::Json,
        )
        .unwrap()
    };
    let pushed = sign_plain_push(
        &CallbackToken::new(TOKEN).unwrap(),
        &message("real"),
        Format::Json,
        &SealParams::fresh(),
    );
    a.receive(&pushed.query, pushed.body.as_bytes())
        .await
        .expect("first");
    b.receive(&pushed.query, pushed.body.as_bytes())
        .await
        .expect("a retry, at another instance");
    let forged = b
        .receive(&pushed.query, message("forged").as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(forged, CallbackError::Replayed { .. }), "{forged}");

    // Redis gone: the check fails closed (WeChat retries), it does not let the push through.
    drop(server);
    let other = sign_plain_push(
        &CallbackToken::new(TOKEN).unwrap(),
        &message("later"),
        Format::Json,
        &SealParams::fresh(),
    );
    let e = a
        .receive(&other.query, other.body.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(e, CallbackError::SeenQueries(_)), "{e}");
}

/// The handler closure itself is called only after the dedup claim: for a push already
/// handled, not even its synchronous part (work before its `async` block) runs. (An in-memory
/// store: this needs no Redis.)
#[tokio::test]
async fn dedup_calls_no_part_of_the_handler_for_a_push_already_handled() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let routes = PushRouter::new(decoder(), move |_push: Push| {
        counted.fetch_add(1, Ordering::SeqCst); // synchronous, before the future
        async { Ok::<_, String>(Reply::Success) }
    })
    .dedup(Dedup::new(MemoryDedupStore::new()))
    .into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/push", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().nest("/push", routes)).await;
    });
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let push = push_for("trade_sync_0001");
    for _ in 0..3 {
        assert!(deliver(&http, &url, &push).await, "acknowledged");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
