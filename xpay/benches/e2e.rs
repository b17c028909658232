//! A whole call: a typed `query_user_balance` call against a local HTTP server,
//! beside a hand-written reqwest + hmac + serde call to the same server with the same
//! connection reuse. Latency of one call, and 64 calls at once.
//!
//! `cargo bench -p xpay --bench e2e`

use axum::Router;
use axum::routing::post;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;
use tokio::task::JoinSet;
use xpay::api::QueryUserBalanceRequest;
use xpay::{Client, SessionKey};

const ANSWER: &str = r#"{"errcode":0,"errmsg":"ok","balance":150,"present_balance":50,"sum_save":100,"sum_present":50,"sum_balance":150,"sum_cost":0,"first_save_flag":true}"#;

async fn serve() -> String {
    let app = Router::new().route("/xpay/query_user_balance", post(|| async { ANSWER }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn hex_hmac(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Serialize)]
struct Body<'a> {
    openid: &'a str,
    env: u8,
    user_ip: &'a str,
}

#[derive(Deserialize)]
struct Status {
    errcode: i64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Balance {
    balance: Option<i64>,
    present_balance: Option<i64>,
    sum_save: Option<i64>,
    sum_present: Option<i64>,
    sum_balance: Option<i64>,
    sum_cost: Option<i64>,
    first_save_flag: Option<bool>,
}

/// What a careful hand-written call does: serialize once, sign, send, check errcode, parse.
async fn handwritten(http: &reqwest::Client, base: &str) -> Balance {
    let body = serde_json::to_vec(&Body {
        openid: "o-user",
        env: 0,
        user_ip: "127.0.0.1",
    })
    .unwrap();
    let path = "/xpay/query_user_balance";
    let pay_sig = hex_hmac(b"prod-app-key", &[path.as_bytes(), b"&", &body]);
    let signature = hex_hmac(b"9hAb/NEYUlkaMBEsmFgzig==", &[&body]);
    let url =
        format!("{base}{path}?access_token=ACCESS_TOKEN&pay_sig={pay_sig}&signature={signature}");
    let bytes = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let st: Status = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(st.errcode, 0);
    serde_json::from_slice(&bytes).unwrap()
}

fn request() -> QueryUserBalanceRequest {
    QueryUserBalanceRequest::new("o-user", "127.0.0.1")
}

fn e2e(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(serve());
    let client = Client::builder()
        .app_id("wx")
        .access_token("ACCESS_TOKEN")
        .app_key("prod-app-key")
        .base_url(&base)
        .build()
        .unwrap();
    let sk = SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==").unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    // Warm both connection pools and check both paths work.
    rt.block_on(async {
        assert_eq!(
            client.send_user(request(), &sk).await.unwrap().balance,
            Some(150)
        );
        assert_eq!(handwritten(&http, &base).await.balance, Some(150));
    });

    let mut g = c.benchmark_group("e2e_query_user_balance");
    g.bench_function("xpay generated client, 1 call", |b| {
        b.to_async(&rt)
            .iter(|| async { client.send_user(request(), &sk).await.unwrap() })
    });
    g.bench_function("baseline hand-written reqwest+hmac+serde, 1 call", |b| {
        b.to_async(&rt)
            .iter(|| async { handwritten(&http, &base).await })
    });
    g.bench_function("xpay generated client, 64 concurrent", |b| {
        b.to_async(&rt).iter(|| async {
            let mut set = JoinSet::new();
            for _ in 0..64 {
                let (client, sk) = (client.clone(), sk.clone());
                set.spawn(async move { client.send_user(request(), &sk).await.unwrap() });
            }
            while let Some(r) = set.join_next().await {
                r.unwrap();
            }
        })
    });
    g.bench_function("baseline hand-written, 64 concurrent", |b| {
        b.to_async(&rt).iter(|| async {
            let mut set = JoinSet::new();
            for _ in 0..64 {
                let (http, base) = (http.clone(), base.clone());
                set.spawn(async move { handwritten(&http, &base).await });
            }
            while let Some(r) = set.join_next().await {
                r.unwrap();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, e2e);
criterion_main!(benches);
