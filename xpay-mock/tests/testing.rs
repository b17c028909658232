//! The helpers for tests: the mock's client, its push inbox, and the payment check.

mod common;

use std::time::Duration;

use common::{login, start};
use serde_json::{Value, json};
use xpay::api::{AppleSubscribeOrder, CoinPaymentOrder, GoodsPaymentOrder};
use xpay::signing::payment_pay_sig;
use xpay::{AppKey, Env, PaymentParams};
use xpay_mock::{InboxError, MockServer, PayMode, PaymentCheckError};

/// Coin payment parameters signed by the mock's client, with the user's session key.
fn coin_params(server: &MockServer, session_key: &xpay::SessionKey) -> PaymentParams {
    server
        .client()
        .payment_params(
            &CoinPaymentOrder::new(100, "coin_order_0001").with_attach("a=1"),
            Some(session_key),
        )
        .expect("signed")
}

/// Re-signs tampered signData with the mock's production AppKey (a backend that signs what it
/// should not).
fn resign(server: &MockServer, params: &mut PaymentParams, sign_data: Value) {
    params.sign_data = sign_data.to_string();
    let key = AppKey::new(server.credentials().app_key.clone()).expect("key");
    params.pay_sig = payment_pay_sig(&key, "requestVirtualPayment", &params.sign_data);
}

#[tokio::test]
async fn payments_signed_by_the_client_pass_the_check() {
    let server = start().await;
    let (openid, sk) = login(&server, "amy");
    let params = coin_params(&server, &sk);
    let checked = server
        .check_payment(&params, Some(sk.expose()))
        .expect("valid");
    assert_eq!(checked.kind, "virtual_payment");
    assert_eq!(checked.mode, Some("short_series_coin"));
    assert_eq!(checked.env, Env::Production);
    assert_eq!(checked.out_trade_no(), Some("coin_order_0001"));
    assert_eq!(checked.sign_data["buyQuantity"], 100);
    // Without a session key the user signature is not checked.
    assert!(server.check_payment(&params, None).is_ok());

    // What WeChat charges once the user confirms.
    let payment = checked.to_payment(&openid).expect("a coin payment");
    assert_eq!(
        (payment.mode, payment.quantity, payment.attach.as_str()),
        (PayMode::Coin, 100, "a=1")
    );
    server.pay(payment).await.expect("pay");
    assert_eq!(server.balance(&openid, Env::Production).saved, 100);

    // Goods in the sandbox: signed with the sandbox AppKey, the env written in signData.
    let sandbox = server
        .client_builder()
        .env(Env::Sandbox)
        .build()
        .expect("client");
    let params = sandbox
        .payment_params(
            &GoodsPaymentOrder::new(2, "sword_01", 600, "goods_order_0001")
                .with_activity_selling_price(500),
            Some(&sk),
        )
        .expect("signed");
    let checked = server
        .check_payment(&params, Some(sk.expose()))
        .expect("valid");
    assert_eq!(
        (checked.mode, checked.env),
        (Some("short_series_goods"), Env::Sandbox)
    );
    let payment = checked.to_payment(&openid).expect("a goods payment");
    assert_eq!(
        (payment.product_id.as_deref(), payment.price, payment.env),
        (Some("sword_01"), 500, Env::Sandbox),
        "the activity price is what the user pays"
    );
    let outcome = server.pay(payment).await.expect("pay");
    assert_eq!(outcome.order.order_fee, 1000);

    // A kind without modes: Apple subscriptions, always signed with the production AppKey.
    let params = sandbox
        .payment_params(&AppleSubscribeOrder::new("vip_month", 1800, "a=1"), None)
        .expect("signed");
    let checked = server.check_payment(&params, None).expect("valid");
    assert_eq!(
        (checked.kind, checked.mode, checked.env),
        ("apple_subscribe_sign", None, Env::Production)
    );
    assert_eq!(
        checked.to_payment(&openid),
        None,
        "not modeled by the ledger"
    );
}

#[tokio::test]
async fn every_kind_of_bad_payment_is_named() {
    let server = start().await;
    let (_, sk) = login(&server, "bea");
    let (_, other_sk) = login(&server, "cat");
    let good = coin_params(&server, &sk);
    let data: Value = serde_json::from_str(&good.sign_data).expect("json");

    // signData changed after signing.
    let mut p = good.clone();
    p.sign_data = p
        .sign_data
        .replace(r#""buyQuantity":100"#, r#""buyQuantity":1000"#);
    assert_eq!(
        server.check_payment(&p, None),
        Err(PaymentCheckError::PaySigMismatch {
            env: Env::Production,
            uri: "requestVirtualPayment"
        })
    );
    // The env in signData decides the key: switching it breaks the signature.
    let mut p = good.clone();
    p.sign_data = p.sign_data.replace(r#""env":0"#, r#""env":1"#);
    assert!(matches!(
        server.check_payment(&p, None),
        Err(PaymentCheckError::PaySigMismatch {
            env: Env::Sandbox,
            ..
        })
    ));
    let mut p = good.clone();
    p.sign_data = p.sign_data.replace(r#""env":0"#, r#""env":2"#);
    assert!(matches!(
        server.check_payment(&p, None),
        Err(PaymentCheckError::InvalidField { field, .. }) if field == "env"
    ));

    // The user signature: another user's key, none at all, an empty key.
    assert_eq!(
        server.check_payment(&good, Some(other_sk.expose())),
        Err(PaymentCheckError::SignatureMismatch)
    );
    let unsigned = server
        .client()
        .payment_params(&CoinPaymentOrder::new(100, "coin_order_0001"), None)
        .expect("signed");
    assert_eq!(
        server.check_payment(&unsigned, Some(sk.expose())),
        Err(PaymentCheckError::SignatureMissing)
    );
    assert_eq!(
        server.check_payment(&good, Some("")),
        Err(PaymentCheckError::EmptySessionKey)
    );

    // A mode no payment kind has; signData that is not an object.
    let mut p = good.clone();
    p.mode = Some("short_series_cash");
    assert_eq!(
        server.check_payment(&p, None),
        Err(PaymentCheckError::UnknownMode {
            mode: Some("short_series_cash".into())
        })
    );
    let mut p = good.clone();
    p.sign_data = "[1,2]".into();
    assert!(matches!(
        server.check_payment(&p, None),
        Err(PaymentCheckError::SignDataNotObject { .. })
    ));

    // Another mini program's offer id.
    let foreign = server
        .client_builder()
        .offer_id("1234567890")
        .build()
        .expect("client")
        .payment_params(&CoinPaymentOrder::new(100, "coin_order_0001"), None)
        .expect("signed");
    assert_eq!(
        server.check_payment(&foreign, None),
        Err(PaymentCheckError::OfferIdMismatch {
            expected: server.credentials().offer_id.clone(),
            found: Some("1234567890".into())
        })
    );

    // Correctly signed, but against the spec's rules: a field missing, a value out of range.
    let mut p = good.clone();
    let mut missing = data.clone();
    missing
        .as_object_mut()
        .expect("object")
        .remove("outTradeNo");
    resign(&server, &mut p, missing);
    assert!(matches!(
        server.check_payment(&p, None),
        Err(PaymentCheckError::InvalidField { field, .. }) if field == "outTradeNo"
    ));
    let mut p = good.clone();
    let mut zero = data.clone();
    zero["buyQuantity"] = json!(0);
    resign(&server, &mut p, zero);
    assert!(matches!(
        server.check_payment(&p, None),
        Err(PaymentCheckError::InvalidField { field, .. }) if field == "buyQuantity"
    ));
}

#[tokio::test]
async fn the_client_is_configured_for_the_mock() {
    let server = start().await;
    let client = server.client();
    assert_eq!(client.base_url(), server.base_url());
    assert_eq!(client.app_id(), Some(server.credentials().app_id.as_str()));
    assert!(client.has_app_key(Env::Production) && client.has_app_key(Env::Sandbox));
    let (openid, _) = login(&server, "dan");
    client
        .send(common::present(&openid, "gift_1", 3))
        .await
        .expect("present");
    assert_eq!(server.balance(&openid, Env::Production).balance, 3);
    // Each client has its own token cache.
    server
        .client()
        .send(common::present(&openid, "gift_2", 3))
        .await
        .expect("present");
    assert_eq!(server.token_fetches(), 2);
}

#[tokio::test]
async fn an_inbox_waits_for_a_while_then_says_so() {
    let server = start().await;
    let mut inbox = server.push_inbox().await.expect("inbox");
    assert!(inbox.url().starts_with("http://127.0.0.1:"));
    assert!(inbox.url().ends_with(xpay_mock::testing::PUSH_PATH));
    assert_eq!(
        inbox.next_within(Duration::from_millis(20)).await.err(),
        Some(InboxError::Timeout {
            waited: Duration::from_millis(20)
        })
    );
    assert!(inbox.try_next().is_none());
    assert_eq!(inbox.requests(), 0);
    inbox.shutdown().await;
}

#[tokio::test]
async fn a_received_push_replays_through_a_decoder_of_ones_own() {
    let server = start().await;
    let mut inbox = server.push_inbox().await.expect("inbox");
    let (openid, _) = login(&server, "eve");
    server
        .pay(xpay_mock::Payment::coin(&openid, "replay_order_1", 7))
        .await
        .expect("pay");
    let received = inbox.next().await.expect("a push");
    let decoder = xpay::callback::Decoder::new(server.callback_config(), &xpay::api::SPEC);
    let decoded = decoder
        .decode(&received.query, &received.body)
        .expect("the push as sent decodes");
    assert_eq!(decoded.event.as_deref(), Some("xpay_coin_pay_notify"));
    assert_eq!(
        decoded.get("OutTradeNo").and_then(|v| v.as_str()),
        Some("replay_order_1")
    );
    assert!(received.push.raw.encrypted);
    inbox.shutdown().await;
}
