//! Two shop instances behind one load balancer, sharing one Redis (`XPAY_REDIS_URL`), against
//! a real `redis-server`: a plain-mode push query captured at one instance and replayed with
//! another body at the other is refused, as it is at a single instance.
//!
//! Without `redis-server` the test is skipped with a notice, unless `XPAY_REQUIRE_REDIS=1`.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::json;
use xpay::CallbackToken;
use xpay::callback::{Format, SealParams, render_message, sign_plain_push};
use xpay_example_shop::{Config, Shop, app};
use xpay_mock::{MockConfig, MockServer};
use xpay_test_support::RedisServer;

/// A shop configured from the mock's settings, in plain mode (no EncodingAESKey), with Redis;
/// its base URL.
async fn instance(vars: &HashMap<String, String>) -> String {
    let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("config loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let router = app(Shop::from_config(config));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}

#[tokio::test]
async fn a_query_seen_at_one_instance_cannot_sign_another_body_at_another() {
    let Some(redis) = RedisServer::start("a_query_seen_at_one_instance") else {
        return;
    };
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock starts");
    let mut vars: HashMap<String, String> = mock
        .env_lines()
        .iter()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.remove("XPAY_ENCODING_AES_KEY");
    vars.insert("XPAY_REDIS_URL".into(), redis.url());
    let token = CallbackToken::new(vars["XPAY_CALLBACK_TOKEN"].as_str()).expect("token");
    let (a, b) = (instance(&vars).await, instance(&vars).await);

    let push = |out_trade_no: &str| {
        render_message(
            &json!({"ToUserName": "gh", "MsgType": "event", "Event": "xpay_coin_pay_notify",
                    "OutTradeNo": out_trade_no, "CoinInfo": {"Quantity": 60}}),
            Format::Json,
        )
        .expect("renders")
    };
    let first = sign_plain_push(
        &token,
        &push("order_first_01"),
        Format::Json,
        &SealParams::fresh(),
    );
    let query = first.query.to_query_string();
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let post = |base: &str, body: String| {
        http.post(format!("{base}/wechat/push?{query}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    // The first delivery reaches instance A (the shop knows no such order, so it is not
    // applied; what matters is that A saw the query with this body).
    let seen = post(&a, first.body.clone()).await.expect("A answers");
    assert_ne!(seen.status(), StatusCode::UNAUTHORIZED);
    // The same query with another body, at instance B: a replay.
    let forged = post(&b, push("order_forged_1")).await.expect("B answers");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    // WeChat's retry of the first body at B is still a retry, not a replay.
    let retry = post(&b, first.body.clone()).await.expect("B answers");
    assert_ne!(retry.status(), StatusCode::UNAUTHORIZED);
}
