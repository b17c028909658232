//! Every action end to end against a local server that checks tokens and signatures on its
//! own (generated_tests::server), plus the token, retry and duplicate paths of the runtime.

use generated_tests::sample_request;
use generated_tests::server::{Answer, Keys, Server};
use serde_json::json;
use std::time::Duration;
use xpay::api::{
    CurrencyPayRequest, OrderRef, PayItem, QueryOrderRequest, QueryUserBalanceRequest,
    StartUploadGoodsRequest, UploadItem,
};
use xpay::meta::Signing;
use xpay::{Client, Env, Error, JsonString, RetryPolicy, SessionKey, Violation};

fn client(server: &Server) -> Client {
    Client::builder()
        .app_id("wx_test_app")
        .app_secret("test-secret")
        .offer_id("1450000000")
        .app_key(&server.keys.app_key)
        .sandbox_app_key(&server.keys.sandbox_app_key)
        .base_url(&server.base_url)
        .retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()
        .expect("client")
}

fn session_key(server: &Server) -> SessionKey {
    SessionKey::new(server.keys.session_key.clone()).expect("session key")
}

#[tokio::test]
async fn every_action_is_accepted_by_an_independent_checker() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    let sk = session_key(&server);
    for meta in xpay::api::SPEC.actions {
        let body = sample_request(meta);
        let sk_arg = (meta.signing == Signing::PayUser).then_some(&sk);
        let resp = client
            .call(&xpay::api::SPEC, meta.name, body, sk_arg)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", meta.name));
        assert_eq!(resp.json().expect("json")["errcode"], 0);
    }
    let seen = server.seen();
    assert_eq!(seen.len(), xpay::api::SPEC.actions.len());
    for (s, meta) in seen.iter().zip(xpay::api::SPEC.actions) {
        assert_eq!(s.path, meta.path);
        assert_eq!(s.rejected, None, "{}", meta.name);
        assert_eq!(
            s.query.contains_key("signature"),
            meta.signing == Signing::PayUser,
            "{}",
            meta.name
        );
        let body: serde_json::Value = serde_json::from_slice(&s.body).expect("json");
        assert!(body.get("access_token").is_none());
        // An action with env gets it: the sample's 1, or the value the spec pins.
        assert_eq!(
            body.get("env").is_some(),
            meta.request.iter().any(|f| f.name == "env"),
            "{}",
            meta.name
        );
    }
    assert_eq!(server.token_fetches(), 1, "one token serves every call");
}

#[tokio::test]
async fn typed_calls_fill_env_and_parse_responses() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    server.script(
        "query_user_balance",
        [Answer::json(json!({
            "errcode": 0, "errmsg": "ok", "balance": 150, "present_balance": 50,
            "sum_save": 100, "sum_present": 50, "sum_balance": 150, "sum_cost": 0,
            // WeChat documents a boolean but sends 0/1.
            "first_save_flag": 1,
            "some_new_field": "ignored"
        }))],
    );
    let resp = client
        .send_user(
            QueryUserBalanceRequest::new("o-user", "127.0.0.1"),
            &session_key(&server),
        )
        .await
        .expect("balance");
    assert_eq!(resp.balance, Some(150));
    assert_eq!(resp.first_save_flag, Some(true));
    let seen = server.seen();
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(
        body,
        json!({"openid": "o-user", "env": 0, "user_ip": "127.0.0.1"})
    );
}

#[tokio::test]
async fn a_sandbox_call_needs_the_sandbox_key() {
    let server = Server::start(Keys::default()).await;
    let client = Client::builder()
        .app_id("wx")
        .app_secret("s")
        .app_key("k")
        .env(Env::Sandbox)
        .base_url(&server.base_url)
        .build()
        .expect("client");
    let err = client
        .send(QueryOrderRequest::new(
            "o",
            OrderRef::order_id("order_0001"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingAppKey { env: Env::Sandbox, context, .. } if context == "query_order"),
        "{err:?}"
    );
    assert!(server.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn rules_are_checked_before_sending() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    // Typed requests cannot set both members of a one_of group; a dynamic body can, and is
    // refused before sending.
    let err = client
        .call(
            &xpay::api::SPEC,
            "query_order",
            json!({"openid": "o", "order_id": "a", "wx_order_id": "b"}),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, violation: Violation::Conflict { with }, .. } if field == "wx_order_id" && with == "order_id"),
        "{err:?}"
    );
    let err = client
        .send(StartUploadGoodsRequest::new(vec![UploadItem::new(
            "bad id!",
            "n",
            1,
            "r",
            "https://x/y.png",
        )]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, violation: Violation::Charset { found: ' ', .. }, .. } if field == "upload_item[0].id"),
        "{err:?}"
    );
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn an_expired_token_is_dropped_and_the_call_retried_once() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    let req = || QueryOrderRequest::new("o", OrderRef::order_id("order_0001"));
    client.send(req()).await.expect("first");
    server.expire_token("ACCESS_TOKEN_2");
    client.send(req()).await.expect("after expiry");
    assert_eq!(server.token_fetches(), 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen[1]
            .rejected
            .as_deref()
            .is_some_and(|r| r.contains("access_token"))
    );
    assert_eq!(seen[2].query["access_token"], "ACCESS_TOKEN_2");
}

#[tokio::test]
async fn a_token_rejected_twice_is_an_error_not_a_loop() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    // Every answer says the token is invalid.
    server.script(
        "query_order",
        (0..5).map(|_| Answer::errcode(40001, "invalid credential")),
    );
    let err = client
        .send(QueryOrderRequest::new(
            "o",
            OrderRef::order_id("order_0001"),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(40001));
    assert_eq!(server.seen().len(), 2, "retried exactly once");
}

#[tokio::test]
async fn a_failed_token_fetch_is_an_error_naming_the_errcode() {
    let server = Server::start(Keys::default()).await;
    server.fail_token_fetches(1);
    let client = client(&server);
    let err = client
        .send(QueryOrderRequest::new(
            "o",
            OrderRef::order_id("order_0001"),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::WeChat { action, errcode: 40125, meaning: Some(_), .. } if action == "stable_token"),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains("test-secret"));
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn idempotent_queries_are_retried_on_system_errors() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    server.script(
        "query_order",
        [
            Answer::errcode(-1, "system error"),
            Answer {
                status: 502,
                body: "bad gateway".into(),
            },
        ],
    );
    let resp = client
        .send(QueryOrderRequest::new(
            "o",
            OrderRef::order_id("order_0001"),
        ))
        .await;
    assert!(resp.is_ok(), "{resp:?}");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn money_moving_calls_are_retried_only_with_the_same_body() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    server.script("currency_pay", [Answer::errcode(-1, "system error")]);
    let req = CurrencyPayRequest::new(
        "o",
        "1.2.3.4",
        30,
        "pay_0001",
        JsonString(vec![PayItem::new("sword", 30, 1)]),
        "中文备注",
    );
    client
        .send_user(req, &session_key(&server))
        .await
        .expect("paid on the second attempt");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, seen[1].body, "the very same bytes");
    assert_eq!(seen[0].query["pay_sig"], seen[1].query["pay_sig"]);
}

#[tokio::test]
async fn batch_starts_are_never_retried() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    server.script("start_upload_goods", [Answer::errcode(-1, "system error")]);
    let err = client
        .send(StartUploadGoodsRequest::new(vec![UploadItem::new(
            "sword_01",
            "Sword",
            100,
            "r",
            "https://x/y.png",
        )]))
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(-1));
    assert!(err.to_string().contains("system error"), "{err}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn retries_stop_at_the_policy_limit() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    server.script(
        "query_order",
        (0..10).map(|_| Answer::errcode(-1, "system error")),
    );
    let err = client
        .send(QueryOrderRequest::new("o", OrderRef::wx_order_id("wx1")))
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(-1));
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn duplicate_is_its_own_error() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    server.script(
        "present_currency",
        [Answer::errcode(268490004, "duplicate order")],
    );
    let err = client
        .call(
            &xpay::api::SPEC,
            "currency_present",
            json!({"openid": "o", "order_id": "gift_0001", "amount": 5}),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Duplicate { .. }), "{err:?}");
    assert_eq!(err.errcode(), Some(268490004));
    assert_eq!(
        server.seen().len(),
        1,
        "a duplicate is an answer, not a failure to retry"
    );
}

#[tokio::test]
async fn wechat_errors_carry_the_spec_meaning() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    server.script(
        "currency_pay",
        [Answer::errcode(268490006, "balance not enough")],
    );
    let err = client
        .call(
            &xpay::api::SPEC,
            "currency_pay",
            json!({"openid": "o", "user_ip": "1.1.1.1", "amount": 1, "order_id": "pay_0002",
                   "payitem": "[{\"productid\":\"a\",\"unit_price\":1,\"quantity\":1}]", "remark": "r"}),
            Some(&session_key(&server)),
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("268490006") && text.contains("insufficient"),
        "{text}"
    );
    assert!(text.contains("currency_pay"), "{text}");
}

#[tokio::test]
async fn dynamic_calls_reject_bad_bodies_naming_the_field() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server);
    for (body, field) in [
        (json!({"openid": 5, "order_id": "x"}), "openid"),
        (json!({"order_id": "x"}), "openid"),
        (
            json!({"openid": "o", "order_id": "x", "nonsense": 1}),
            "nonsense",
        ),
        (
            json!({"openid": "o", "order_id": "x", "access_token": "t"}),
            "access_token",
        ),
        (json!({"openid": "o"}), "order_id"),
    ] {
        let err = client
            .call(&xpay::api::SPEC, "query_order", body, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(field), "{field}: {err}");
    }
    assert!(
        client
            .call(&xpay::api::SPEC, "no_such_action", json!({}), None)
            .await
            .is_err()
    );
    assert!(server.seen().is_empty());
}
