//! Every signing and payment vector of `vectors.json` (WeChat's official ones and independent
//! recomputations), checked against the runtime's signing and payment code.

use serde_json::Value;
use xpay_runtime::api::{PaymentMode, PaymentOrder};
use xpay_runtime::signing::{pay_sig, payment_pay_sig, user_signature};
use xpay_runtime::{AppKey, Client, Env, SessionKey, sign_payment, sign_payment_data};

const VECTORS: &str = include_str!("data/vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors.json is JSON")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("vector field {k}"))
}

/// The committed copy must not drift from the project's shared vectors, when they are beside
/// the checkout.
#[test]
fn committed_vectors_match_the_shared_ones() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/vectors/vectors.json"
    );
    if let Ok(text) = std::fs::read_to_string(shared) {
        let a: Value = serde_json::from_str(&text).expect("shared vectors are JSON");
        assert_eq!(
            a,
            vectors(),
            "xpay-runtime/tests/data/vectors.json differs from shared/vectors/vectors.json"
        );
    }
}

#[test]
fn every_signing_vector() {
    let all = vectors();
    let list = all["signing"].as_array().expect("signing vectors");
    assert!(list.len() >= 4);
    for v in list {
        let body = s(v, "body").as_bytes();
        let got = match s(v, "kind") {
            "pay_sig" => pay_sig(&AppKey::new(s(v, "key")).unwrap(), s(v, "uri"), body),
            "signature" => user_signature(&SessionKey::new(s(v, "session_key")).unwrap(), body),
            other => panic!("unknown vector kind {other}"),
        };
        assert_eq!(got, s(v, "expected"), "{} {}", s(v, "source"), s(v, "kind"));
    }
}

#[test]
fn every_payment_vector() {
    let all = vectors();
    let list = all["payment"].as_array().expect("payment vectors");
    assert!(!list.is_empty());
    for v in list {
        let key = AppKey::new(s(v, "app_key")).unwrap();
        let sk = SessionKey::new(s(v, "session_key")).unwrap();
        let data = s(v, "signData");
        assert_eq!(
            payment_pay_sig(&key, "requestVirtualPayment", data),
            s(v, "paySig")
        );
        let params = sign_payment_data(
            "short_series_goods",
            "requestVirtualPayment",
            data.to_string(),
            &key,
            Some(&sk),
        );
        assert_eq!(params.pay_sig, s(v, "paySig"));
        assert_eq!(params.signature.as_deref(), Some(s(v, "signature")));
        assert_eq!(params.sign_data, data);
    }
}

/// The generated order writes the vector's signData byte for byte (field order, types),
/// given an outTradeNo that passes the rules (the vector's own `xxxxxx` is too short).
#[test]
fn payment_order_writes_the_vector_layout() {
    let client = Client::builder()
        .offer_id("123")
        .app_key("12345")
        .build()
        .unwrap();
    let order = PaymentOrder {
        mode: PaymentMode::Goods,
        buy_quantity: 1,
        product_id: Some("testproductId".into()),
        goods_price: Some(10),
        activity_selling_price: None,
        out_trade_no: "xxxxxx".into(),
        attach: "testdata".into(),
    };
    let key = client.app_key(Env::Production).unwrap();
    let err = sign_payment(&order, &client.fill_context(), key, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("outTradeNo") && err.contains("at least 8"),
        "{err}"
    );

    let order = PaymentOrder {
        out_trade_no: "xxxxxxxx".into(),
        ..order
    };
    let sk = SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==").unwrap();
    let params = sign_payment(&order, &client.fill_context(), key, Some(&sk)).unwrap();
    let expected = r#"{"offerId":"123","buyQuantity":1,"env":0,"currencyType":"CNY","productId":"testproductId","goodsPrice":10,"outTradeNo":"xxxxxxxx","attach":"testdata"}"#;
    assert_eq!(params.sign_data, expected);
    assert_eq!(params.mode, "short_series_goods");
    assert_eq!(
        params.pay_sig,
        payment_pay_sig(key, "requestVirtualPayment", expected)
    );
    assert_eq!(
        params.signature.unwrap(),
        user_signature(&sk, expected.as_bytes())
    );
    let json: Value =
        serde_json::to_value(sign_payment(&order, &client.fill_context(), key, None).unwrap())
            .unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        3,
        "no signature without a session key: {keys:?}"
    );
}

#[test]
fn payment_rules() {
    let client = Client::builder()
        .offer_id("123")
        .app_key("k")
        .build()
        .unwrap();
    let key = client.app_key(Env::Production).unwrap();
    let base = PaymentOrder {
        mode: PaymentMode::Coin,
        buy_quantity: 60,
        product_id: None,
        goods_price: None,
        activity_selling_price: None,
        out_trade_no: "trade_0001".into(),
        attach: String::new(),
    };
    let ok = sign_payment(&base, &client.fill_context(), key, None).unwrap();
    assert_eq!(ok.mode, "short_series_coin");
    assert!(
        !ok.sign_data.contains("productId"),
        "optional fields are left out"
    );
    for (order, field) in [
        (
            PaymentOrder {
                mode: PaymentMode::Goods,
                goods_price: Some(10),
                ..base.clone()
            },
            "productId",
        ),
        (
            PaymentOrder {
                mode: PaymentMode::Goods,
                product_id: Some("p".into()),
                ..base.clone()
            },
            "goodsPrice",
        ),
        (
            PaymentOrder {
                buy_quantity: 0,
                ..base.clone()
            },
            "buyQuantity",
        ),
        (
            PaymentOrder {
                out_trade_no: "_trade_0001".into(),
                ..base.clone()
            },
            "outTradeNo",
        ),
        (
            PaymentOrder {
                out_trade_no: "trade 0001".into(),
                ..base.clone()
            },
            "outTradeNo",
        ),
        (
            PaymentOrder {
                out_trade_no: "t".repeat(33),
                ..base.clone()
            },
            "outTradeNo",
        ),
    ] {
        let err = sign_payment(&order, &client.fill_context(), key, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{field}: {err}");
    }
    // Every allowed character, 8 and 32 long.
    for id in ["0aZ_-|*@", "abcdefghijklmnopqrstuvwxyz012345"] {
        let order = PaymentOrder {
            out_trade_no: id.into(),
            ..base.clone()
        };
        assert!(
            sign_payment(&order, &client.fill_context(), key, None).is_ok(),
            "{id}"
        );
    }
    // No offer id: the error says where to set it.
    let bare = Client::builder().app_key("k").build().unwrap();
    let err = sign_payment(&base, &bare.fill_context(), key, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("offer id"), "{err}");
}

#[test]
fn sandbox_payments_say_env_1_and_need_the_sandbox_key() {
    let client = Client::builder()
        .offer_id("123")
        .app_key("k")
        .env(Env::Sandbox)
        .build()
        .unwrap();
    assert!(
        client
            .app_key(Env::Sandbox)
            .unwrap_err()
            .to_string()
            .contains("sandbox AppKey")
    );
    let client = Client::builder()
        .offer_id("123")
        .app_key("k")
        .sandbox_app_key("sk")
        .env(Env::Sandbox)
        .build()
        .unwrap();
    let order = PaymentOrder {
        mode: PaymentMode::Coin,
        buy_quantity: 1,
        product_id: None,
        goods_price: None,
        activity_selling_price: None,
        out_trade_no: "trade_0001".into(),
        attach: "a".into(),
    };
    let p = sign_payment(
        &order,
        &client.fill_context(),
        client.app_key(Env::Sandbox).unwrap(),
        None,
    )
    .unwrap();
    assert!(p.sign_data.contains(r#""env":1"#), "{}", p.sign_data);
    assert_eq!(
        p.pay_sig,
        payment_pay_sig(
            &AppKey::new("sk").unwrap(),
            "requestVirtualPayment",
            &p.sign_data
        )
    );
}
