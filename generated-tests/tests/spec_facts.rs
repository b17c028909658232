//! The facts the spec gained from WeChat's pages, each checked on the wire (against the
//! independent server of `generated_tests::server`) or against the fake WeChat (xpay-mock):
//! iOS subscriptions, pinned and conditional fields, one item per call, the client's handling of
//! JSON-in-a-string fields and of enum values the spec does not list, and the faults found by
//! replaying public bug reports.

use generated_tests::server::{Keys, Server};
use serde_json::{Value, json};
use xpay::api::{
    AppleSubscribeOrder, OrderRef, PublishItem, QuerySubscribeContractRequest, RefundOrderRequest,
    RefundReason, ReqFrom, StartPublishGoodsRequest, SubmitSubscribePayOrderRequest,
    SubscribeContractMode, UploadItem,
};
use xpay::signing::{pay_sig, payment_pay_sig};
use xpay::{AppKey, Client, Env, Error, RetryPolicy, SessionCheck, SessionKey, Violation};
use xpay_mock::{MockConfig, MockServer};

fn client(server: &Server, env: Env) -> Client {
    Client::builder()
        .app_id("wx_test_app")
        .app_secret("test-secret")
        .offer_id("1450000000")
        .app_key(&server.keys.app_key)
        .sandbox_app_key(&server.keys.sandbox_app_key)
        .base_url(&server.base_url)
        .env(env)
        .retry(RetryPolicy::NONE)
        .build()
        .expect("client")
}

fn mock_client(mock: &MockServer) -> Client {
    mock.client_builder()
        .retry(RetryPolicy::NONE)
        .build()
        .expect("client")
}

fn invalid(e: Error) -> (String, Violation) {
    match e {
        Error::Invalid {
            field, violation, ..
        } => (field, violation),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

fn last_body(server: &Server) -> Value {
    serde_json::from_slice(&server.seen().last().expect("a request").body).expect("json body")
}

/// `out_contract_code` is required in android mode (mode absent or `android`) and may be left
/// out in apple mode; the rule holds for typed and dynamic calls, before anything is sent.
#[tokio::test]
async fn query_subscribe_contract_needs_the_contract_code_unless_apple() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server, Env::Production);
    for request in [
        QuerySubscribeContractRequest::new("o", "vip_month"),
        QuerySubscribeContractRequest::new("o", "vip_month")
            .with_mode(SubscribeContractMode::Android),
    ] {
        let err = client.send(request).await.unwrap_err();
        assert_eq!(
            invalid(err),
            (
                "out_contract_code".into(),
                Violation::MissingUnless {
                    field: "mode".into(),
                    values: vec!["apple".into()]
                }
            )
        );
    }
    let err = client
        .call(
            &xpay::api::SPEC,
            "query_subscribe_contract",
            json!({"openid": "o", "product_id": "vip_month"}),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(invalid(err).1, Violation::MissingUnless { .. }));
    assert!(server.seen().is_empty(), "nothing was sent");

    client
        .send(
            QuerySubscribeContractRequest::new("o", "vip_month")
                .with_mode(SubscribeContractMode::Apple),
        )
        .await
        .expect("apple mode needs no contract code");
    assert_eq!(
        last_body(&server),
        json!({"mode": "apple", "openid": "o", "product_id": "vip_month"})
    );
}

/// Subscriptions have no sandbox: `submit_subscribe_pay_order` always sends env 0 and is
/// signed with the production AppKey, whatever the client's env.
#[tokio::test]
async fn subscription_debits_are_pinned_to_production() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server, Env::Sandbox);
    client
        .send(SubmitSubscribePayOrderRequest::new(
            "o",
            1,
            "vip_month",
            990,
            "sub_20261130_0001",
            "user 42",
        ))
        .await
        .expect("accepted by the checking server");
    let seen = server.seen();
    let seen = seen.last().expect("sent");
    let body: Value = serde_json::from_slice(&seen.body).expect("json");
    assert_eq!(body["env"], 0);
    let production = AppKey::new(&server.keys.app_key).expect("key");
    assert_eq!(
        seen.query["pay_sig"],
        pay_sig(&production, "/xpay/submit_subscribe_pay_order", &seen.body)
    );
    // A dynamic body may leave env out (it is pinned), not set it to 1.
    let err = client
        .call(
            &xpay::api::SPEC,
            "submit_subscribe_pay_order",
            json!({"openid": "o", "buy_quantity": 1, "env": 1, "product_id": "p",
                   "deduct_price": 990, "order_id": "sub_20261130_0002", "attach": ""}),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        ("env".into(), Violation::Pinned { value: "0".into() })
    );
}

/// `start_upload_goods` and `start_publish_goods` take one item per call.
#[tokio::test]
async fn goods_tasks_take_one_item_per_call() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server, Env::Production);
    let item = |id: &str| UploadItem::new(id, "Sword", 600, "r", "https://example.com/a.png");
    let err = client
        .send(xpay::api::StartUploadGoodsRequest::new(vec![
            item("a"),
            item("b"),
        ]))
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        ("upload_item".into(), Violation::TooMany { len: 2, max: 1 })
    );
    let err = client
        .send(StartPublishGoodsRequest::new(Vec::<PublishItem>::new()))
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        ("publish_item".into(), Violation::TooFew { len: 0, min: 1 })
    );
    assert!(server.seen().is_empty());
    client
        .send(xpay::api::StartUploadGoodsRequest::new(vec![item("a")]))
        .await
        .expect("one item");
}

/// `refund_order.biz_meta` is marked required on the official page: sent as "" when unset.
#[tokio::test]
async fn refund_biz_meta_is_always_sent() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server, Env::Production);
    client
        .send(RefundOrderRequest::new(
            "o",
            OrderRef::order_id("trade_0001"),
            "refund_0001",
            600,
            600,
            RefundReason::UserChoice,
            ReqFrom::User,
        ))
        .await
        .expect("sent");
    assert_eq!(last_body(&server)["biz_meta"], "");
}

/// Replayed bug report: `payitem` given as a JSON array in a dynamic call was sent as an array.
/// WeChat documents a string holding JSON: the client writes the text, and the fake WeChat, like
/// WeChat, refuses anything else.
#[tokio::test]
async fn a_json_string_field_given_as_a_value_is_sent_as_its_text() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server, Env::Production);
    let sk = SessionKey::new(&server.keys.session_key).expect("sk");
    let body = json!({"openid": "oFAKE0000000000000000000000", "user_ip": "1.2.3.4", "amount": 6,
                      "order_id": "pay_20261128_0022", "remark": "vip",
                      "payitem": [{"productid": "vip_month_01", "unit_price": 6, "quantity": 1}]});
    client
        .call(&xpay::api::SPEC, "currency_pay", body.clone(), Some(&sk))
        .await
        .expect("sent");
    let sent = last_body(&server);
    let text = sent["payitem"]
        .as_str()
        .expect("payitem is sent as a string");
    assert_eq!(
        serde_json::from_str::<Value>(text).expect("holding JSON"),
        json!([{"productid": "vip_month_01", "unit_price": 6, "quantity": 1}])
    );
    // The spec's field order, whatever order the caller wrote.
    let keys: Vec<&str> = sent
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let raw = String::from_utf8(server.seen().last().unwrap().body.clone()).unwrap();
    let positions: Vec<usize> = [
        "openid", "env", "user_ip", "amount", "order_id", "payitem", "remark",
    ]
    .iter()
    .map(|k| raw.find(&format!("\"{k}\"")).expect(k))
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{raw}");
    assert_eq!(keys.len(), 7);

    // The fake WeChat refuses an array where WeChat wants text.
    let meta = xpay::api::SPEC.action("currency_pay").unwrap();
    let mut as_array = body;
    as_array["env"] = 0.into();
    let err = meta.check_request(&as_array).unwrap_err();
    assert!(
        matches!(&err, Error::Invalid { field, violation: Violation::WrongType { .. }, .. } if field == "payitem"),
        "{err:?}"
    );
}

/// Replayed bug report: `refund_reason: "9"` was accepted and sent although WeChat knows only
/// "0" to "5". The client sends a value the spec does not list (the spec may lag WeChat) with a
/// warning; the fake WeChat refuses it as WeChat would.
#[tokio::test]
async fn an_unlisted_enum_value_is_sent_by_the_client_and_refused_by_the_mock() {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let client = mock_client(&mock);
    let err = client
        .call(
            &xpay::api::SPEC,
            "refund_order",
            json!({"openid": "o", "order_id": "trade_0001", "refund_order_id": "refund_0001",
                   "left_fee": 1, "refund_fee": 1, "refund_reason": "9", "req_from": "1"}),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.errcode(), Some(268_490_002), "{err}");
    // The typed request can carry it too, for a value WeChat added before the spec did.
    let typed = RefundOrderRequest::new(
        "o",
        OrderRef::order_id("trade_0001"),
        "refund_0002",
        1,
        1,
        RefundReason::from_wire("9"),
        ReqFrom::User,
    );
    let err = client.send(typed).await.unwrap_err();
    assert_eq!(
        err.errcode(),
        Some(268_490_002),
        "refused by the mock, not locally: {err}"
    );
    mock.shutdown().await;
}

/// Replayed bug report: `"env":"1"` (a string) in a dynamic call was refused with a message
/// that did not say env must be the number 0 or 1.
#[tokio::test]
async fn a_string_env_is_refused_saying_it_must_be_the_number() {
    let server = Server::start(Keys::default()).await;
    let client = client(&server, Env::Production);
    let err = client
        .call(
            &xpay::api::SPEC,
            "query_order",
            json!({"openid": "o", "order_id": "trade_0001", "env": "1"}),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        invalid(err),
        (
            "env".into(),
            Violation::WrongType {
                expected: "the number 0 (production) or 1 (sandbox)",
                found: "the string \"1\"".into()
            }
        )
    );
}

/// `wx.requestAppleSubscribeSign`: signed over `requestAppleSubscribeSign&` + signData (the
/// spec's guess, one line to change) with the production AppKey, since Apple has no sandbox.
#[test]
fn apple_subscription_signing_uses_the_production_key() {
    let client = Client::builder()
        .offer_id("1450000000")
        .app_key("prod-key")
        .sandbox_app_key("sandbox-key")
        .env(Env::Sandbox)
        .build()
        .expect("client");
    let order =
        AppleSubscribeOrder::new("vip_month", 1800, "user 42").with_activity_selling_price(0);
    let params = client.payment_params(&order, None).expect("signed");
    assert_eq!(params.mode, None);
    assert_eq!(params.env, Env::Production);
    assert_eq!(
        params.sign_data,
        r#"{"offerId":"1450000000","productId":"vip_month","goodsPrice":1800,"activitySellingPrice":0,"attach":"user 42"}"#
    );
    assert_eq!(
        params.pay_sig,
        payment_pay_sig(
            &AppKey::new("prod-key").unwrap(),
            "requestAppleSubscribeSign",
            &params.sign_data
        )
    );
    let long = AppleSubscribeOrder::new("vip_month", 1800, "x".repeat(201));
    assert_eq!(
        invalid(client.payment_params(&long, None).unwrap_err()),
        ("attach".into(), Violation::TooLong { len: 201, max: 200 })
    );
}

/// `/wxa/checksession` tells a current session key from a stale one.
#[tokio::test]
async fn check_session_tells_a_stale_key() {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let client = mock_client(&mock);
    let (openid, first) = mock.login("code-1");
    let first = SessionKey::new(first).unwrap();
    assert_eq!(
        client
            .check_session(&openid, &first)
            .await
            .expect("checked"),
        SessionCheck::Valid
    );
    let (_, second) = mock.login("code-1");
    assert_eq!(
        client
            .check_session(&openid, &first)
            .await
            .expect("checked"),
        SessionCheck::Stale,
        "a later login replaced the key"
    );
    let second = SessionKey::new(second).unwrap();
    assert_eq!(
        client
            .check_session(&openid, &second)
            .await
            .expect("checked"),
        SessionCheck::Valid
    );
    mock.shutdown().await;
}

/// The signature `/wxa/checksession` wants: HMAC-SHA256 of an empty body with the session key
/// as text (reference §6a, computed independently).
#[test]
fn the_checksession_signature_of_an_empty_body() {
    let sk = SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==").unwrap();
    assert_eq!(
        xpay::signing::user_signature(&sk, b""),
        "1f7605aea24c0785899e51bc4c483167a20ea7b0f5f36cfd398e89cb21c91e9c"
    );
}

/// The errcode tables: -15027 (unofficial) and the client-side codes a backend may be asked
/// to explain.
#[test]
fn the_code_tables_explain_server_and_client_codes() {
    let spec = &xpay::api::SPEC;
    assert!(spec.error(-15027).is_some());
    for code in [1001, -1, -2, -4, -5, -15001, -15005, -15006, -15011, -15021] {
        assert!(spec.client_error(code).is_some(), "{code}");
    }
    assert!(spec.client_error(-15015).is_none(), "there is no -15015");
    assert!(spec.error(268_490_004).and_then(|e| e.fix).is_some());
}

/// `relate_limitations` is a string on the official table, an array in its example, and an
/// array of objects per lessdome: each shape is read, and none loses the rest of the answer.
#[test]
fn relate_limitations_is_read_in_every_shape_it_arrives_in() {
    let read = |shape: Value| -> Vec<String> {
        let body = json!({
            "errcode": 0,
            "appid": "wx_test_app",
            "recovery_specifications": [{
                "limitation_case_id": "case-1",
                "relate_limitations": shape,
                "recover_way": "appeal",
            }]
        });
        let resp: xpay::api::QueryPunishmentReasonsResponse =
            serde_json::from_value(body).expect("decodes");
        let spec = &resp.recovery_specifications.expect("list")[0];
        assert_eq!(
            spec.recover_way.as_deref(),
            Some("appeal"),
            "the rest survives"
        );
        spec.relate_limitations.clone().unwrap_or_default()
    };
    assert_eq!(read(json!("pay")), ["pay"]);
    assert_eq!(read(json!(["pay", "withdraw"])), ["pay", "withdraw"]);
    assert_eq!(
        read(json!([{"name": "pay"}])),
        [r#"{"name":"pay"}"#.to_owned()]
    );
    assert!(read(json!("")).is_empty());
}
