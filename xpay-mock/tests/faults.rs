//! Fault injection: next-N errcodes, HTTP statuses, latency, and expired tokens, seen through
//! the real client.

mod common;

use std::time::{Duration, Instant};

use common::{code, get_json, login, pay, post_json, present, raw_token, start};
use serde_json::json;
use xpay::api::{QueryUserBalanceRequest, StartUploadGoodsRequest, UploadItem};
use xpay::{Env, Error};
use xpay_mock::{Fault, errcodes};

#[tokio::test]
async fn next_n_calls_fail_with_an_errcode_and_move_nothing() {
    let server = start().await;
    let client = server.client();
    let (openid, sk) = login(&server, "kate");
    client
        .send(present(&openid, "gift_1", 50))
        .await
        .expect("present");

    server
        .fail_next("currency_pay", 2, Fault::errcode(268_490_015))
        .expect("fault");
    for _ in 0..2 {
        let e = client
            .send_user(pay(&openid, "pay_1", 10), &sk)
            .await
            .expect_err("injected");
        assert_eq!(code(&e), 268_490_015);
        assert!(e.to_string().contains("rate limited"), "{e}");
    }
    assert_eq!(
        server.balance(&openid, Env::Production).balance,
        50,
        "nothing moved"
    );
    client
        .send_user(pay(&openid, "pay_1", 10), &sk)
        .await
        .expect("third call passes");
    assert_eq!(server.balance(&openid, Env::Production).balance, 40);

    // Aliases name the same endpoint; unknown names are refused.
    server
        .fail_next("currency_present", 1, Fault::errcode_with(-2, "custom"))
        .expect("alias");
    let e = client
        .send(present(&openid, "gift_2", 1))
        .await
        .expect_err("injected");
    assert_eq!(code(&e), -2);
    assert!(
        server
            .fail_next("no_such_action", 1, Fault::errcode(-1))
            .is_err()
    );
    assert!(server.fail_next("query_order", 1, Fault::http(20)).is_err());
}

#[tokio::test]
async fn http_500_is_retried_by_the_client_where_safe() {
    let server = start().await;
    let client = server.client();
    let (openid, sk) = login(&server, "liam");
    let req = || QueryUserBalanceRequest::new(openid.clone(), "127.0.0.1");

    // A safe query: one 500, then success on the client's retry.
    server
        .fail_next("query_user_balance", 1, Fault::http(500))
        .expect("fault");
    client.send_user(req(), &sk).await.expect("recovers");
    let statuses: Vec<u16> = server
        .requests()
        .iter()
        .filter(|r| r.endpoint == "query_user_balance")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [500, 200]);

    // A task start is never retried: the 500 reaches the caller.
    server
        .fail_next("start_upload_goods", 1, Fault::http(503))
        .expect("fault");
    let e = client
        .send(StartUploadGoodsRequest::new(vec![UploadItem::new(
            "item_1",
            "Sword",
            100,
            "r",
            "https://example.com/a.png",
        )]))
        .await
        .expect_err("not retried");
    assert!(matches!(e, Error::Http { status: 503, .. }), "{e}");
}

#[tokio::test]
async fn an_expired_token_is_refetched_once() {
    let server = start().await;
    // Two expiries in quick succession: the manager's refetch interval must not hold back
    // the second refetch.
    let client = server
        .client_builder()
        .token_refetch_interval(Duration::ZERO)
        .build()
        .expect("client");
    let (openid, _) = login(&server, "mia");
    client
        .send(present(&openid, "gift_1", 1))
        .await
        .expect("first");
    assert_eq!(server.token_fetches(), 1);

    server.expire_token();
    client
        .send(present(&openid, "gift_2", 1))
        .await
        .expect("recovers");
    assert_eq!(server.token_fetches(), 2, "exactly one refetch");
    let codes: Vec<i64> = server
        .requests()
        .iter()
        .filter(|r| r.endpoint == "present_currency")
        .map(|r| r.errcode)
        .collect();
    assert_eq!(codes, [0, errcodes::TOKEN_EXPIRED, 0]);
    assert_eq!(server.balance(&openid, Env::Production).balance, 2);

    // A token fetch that fails once is tried again, even for an action never retried
    // (nothing was sent), within the retry policy's attempts.
    server.expire_token();
    server
        .fail_next("stable_token", 1, Fault::http(503))
        .expect("fault");
    client
        .send(StartUploadGoodsRequest::new(vec![UploadItem::new(
            "item_2",
            "Shield",
            100,
            "r",
            "https://example.com/b.png",
        )]))
        .await
        .expect("the token blip is absorbed");
    // Sent with the expired token (refused, nothing done), then once with the new one.
    let codes: Vec<i64> = server
        .requests()
        .iter()
        .filter(|r| r.endpoint == "start_upload_goods")
        .map(|r| r.errcode)
        .collect();
    assert_eq!(codes, [errcodes::TOKEN_EXPIRED, 0]);

    // One that keeps failing (every attempt of the policy) is reported, and the next works.
    server.expire_token();
    server
        .fail_next("stable_token", 3, Fault::errcode(-1))
        .expect("fault");
    let e = client
        .send(present(&openid, "gift_3", 1))
        .await
        .expect_err("no token");
    assert!(
        matches!(&e, Error::WeChat { action, errcode: -1, meaning: Some(_), .. } if action == "stable_token"),
        "{e:?}"
    );
    server.clear_faults();
    client
        .send(present(&openid, "gift_3", 1))
        .await
        .expect("recovers");
}

#[tokio::test]
async fn latency_delays_answers() {
    let server = start().await;
    let client = server.client();
    let (openid, _) = login(&server, "noah");
    client
        .send(present(&openid, "gift_0", 1))
        .await
        .expect("warm up");

    server.set_latency(Duration::from_millis(150));
    let t = Instant::now();
    client
        .send(present(&openid, "gift_1", 1))
        .await
        .expect("slow");
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );

    server.set_latency(Duration::ZERO);
    server
        .set_endpoint_latency("present_currency", Some(Duration::from_millis(300)))
        .expect("latency");
    let t = Instant::now();
    client
        .send(present(&openid, "gift_2", 1))
        .await
        .expect("slow");
    assert!(t.elapsed() >= Duration::from_millis(300));
    server
        .set_endpoint_latency("present_currency", None)
        .expect("latency");
    let t = Instant::now();
    client
        .send(present(&openid, "gift_3", 1))
        .await
        .expect("fast");
    assert!(t.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn faults_over_http() {
    let server = start().await;
    let client = server.client();
    let (openid, _) = login(&server, "olga");

    let v = post_json(
        &server,
        "/mock/fail",
        &json!({"action": "present_currency", "n": 1, "errcode": 268490015}),
    )
    .await;
    assert_eq!(v["errcode"], 0, "{v}");
    let e = client
        .send(present(&openid, "gift_1", 1))
        .await
        .expect_err("injected");
    assert_eq!(code(&e), 268_490_015);

    let v = post_json(
        &server,
        "/mock/fail",
        &json!({"action": "nope", "errcode": 1}),
    )
    .await;
    assert_eq!(v["errcode"], errcodes::INVALID_FIELD, "{v}");
    let v = post_json(
        &server,
        "/mock/fail",
        &json!({"action": "query_order", "errcode": 1, "status": 500}),
    )
    .await;
    assert_eq!(v["errcode"], errcodes::INVALID_FIELD, "{v}");

    let before = server.token_fetches();
    let v = post_json(&server, "/mock/expire_token", &json!({})).await;
    assert_eq!(v["errcode"], 0);
    client
        .send(present(&openid, "gift_2", 1))
        .await
        .expect("recovers");
    assert_eq!(server.token_fetches(), before + 1);

    let v = post_json(&server, "/mock/latency", &json!({"millis": 100})).await;
    assert_eq!(v["errcode"], 0);
    let t = Instant::now();
    let _ = raw_token(&server).await;
    assert!(t.elapsed() >= Duration::from_millis(100));
    let v = post_json(&server, "/mock/reset_faults", &json!({})).await;
    assert_eq!(v["errcode"], 0);

    let stats = get_json(&server, "/mock/stats").await;
    assert_eq!(
        stats["token_fetches"].as_u64(),
        Some(server.token_fetches())
    );
}
