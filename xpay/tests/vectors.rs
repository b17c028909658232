//! Every signing and payment vector of `vectors.json` (WeChat's official ones and independent
//! recomputations), checked against the runtime's signing and payment code.

use serde_json::Value;
use xpay::api::{CoinPaymentOrder, GoodsPaymentOrder, PaymentOrder};
use xpay::signing::{pay_sig, payment_pay_sig, user_signature};
use xpay::{AppKey, Client, Env, Error, SessionKey, Setting, Violation};

const VECTORS: &str = include_str!("../../xpay-runtime/tests/data/vectors.json");

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
        assert_eq!(user_signature(&sk, data.as_bytes()), s(v, "signature"));
    }
}

fn invalid_field(r: xpay::Result<xpay::PaymentParams>) -> (String, Violation) {
    match r {
        Err(Error::Invalid {
            field, violation, ..
        }) => (field, violation),
        other => panic!("expected Error::Invalid, got {other:?}"),
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
    let order = GoodsPaymentOrder::new(1, "testproductId", 10, "xxxxxx").with_attach("testdata");
    assert_eq!(
        invalid_field(client.payment_params(&order, None)),
        (
            "outTradeNo".to_string(),
            Violation::TooShort { len: 6, min: 8 }
        )
    );

    let mut order = order;
    order.out_trade_no = "xxxxxxxx".into();
    let sk = SessionKey::new("9hAb/NEYUlkaMBEsmFgzig==").unwrap();
    let params = client.payment_params(&order, Some(&sk)).unwrap();
    let expected = r#"{"offerId":"123","buyQuantity":1,"env":0,"currencyType":"CNY","productId":"testproductId","goodsPrice":10,"outTradeNo":"xxxxxxxx","attach":"testdata"}"#;
    assert_eq!(params.sign_data, expected);
    assert_eq!(params.mode, Some("short_series_goods"));
    let key = AppKey::new("12345").unwrap();
    assert_eq!(
        params.pay_sig,
        payment_pay_sig(&key, "requestVirtualPayment", expected)
    );
    assert_eq!(
        params.signature.unwrap(),
        user_signature(&sk, expected.as_bytes())
    );
    // The same order through the enum, and as JSON (what the CLI signs), gives the same bytes.
    let as_enum: PaymentOrder = order.clone().into();
    assert_eq!(
        client.payment_params(&as_enum, None).unwrap().sign_data,
        expected
    );
    let as_json = client
        .payment_params_json(
            payment_meta(),
            Some("goods"),
            &serde_json::json!({"outTradeNo": "xxxxxxxx", "attach": "testdata", "goodsPrice": 10, "productId": "testproductId", "buyQuantity": 1}),
            None,
        )
        .unwrap();
    assert_eq!(as_json.sign_data, expected);
    let json: Value = serde_json::to_value(client.payment_params(&order, None).unwrap()).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["mode", "paySig", "signData"],
        "no signature without a session key"
    );
}

fn payment_meta() -> &'static xpay::meta::PaymentMeta {
    xpay::api::SPEC
        .payment("virtual_payment")
        .expect("the payment kind")
}

#[test]
fn payment_rules() {
    let client = Client::builder()
        .offer_id("123")
        .app_key("k")
        .build()
        .unwrap();
    let base = CoinPaymentOrder::new(60, "trade_0001");
    let ok = client.payment_params(&base, None).unwrap();
    assert_eq!(ok.mode, Some("short_series_coin"));
    assert_eq!(
        ok.sign_data,
        r#"{"offerId":"123","buyQuantity":60,"env":0,"currencyType":"CNY","outTradeNo":"trade_0001","attach":""}"#,
        "coin mode has no item fields; attach defaults to empty"
    );
    let with = |f: fn(&mut CoinPaymentOrder)| {
        let mut o = base.clone();
        f(&mut o);
        o
    };
    for (order, field, violation) in [
        (
            with(|o| o.buy_quantity = 0),
            "buyQuantity",
            Violation::TooSmall { value: 0, min: 1 },
        ),
        (
            with(|o| o.out_trade_no = "_trade_0001".into()),
            "outTradeNo",
            Violation::Leading { found: '_' },
        ),
        (
            with(|o| o.out_trade_no = "trade 0001".into()),
            "outTradeNo",
            Violation::Charset {
                found: ' ',
                allowed: "0-9A-Za-z_|*@-",
            },
        ),
        (
            with(|o| o.out_trade_no = "t".repeat(33)),
            "outTradeNo",
            Violation::TooLong { len: 33, max: 32 },
        ),
    ] {
        assert_eq!(
            invalid_field(client.payment_params(&order, None)),
            (field.to_string(), violation)
        );
    }
    // Goods mode needs its item by construction; as JSON it is checked at run time.
    for (fields, missing) in [
        (serde_json::json!({"goodsPrice": 10}), "productId"),
        (serde_json::json!({"productId": "p"}), "goodsPrice"),
    ] {
        let mut fields = fields;
        fields["buyQuantity"] = 1.into();
        fields["outTradeNo"] = "trade_0001".into();
        assert_eq!(
            invalid_field(client.payment_params_json(payment_meta(), Some("goods"), &fields, None)),
            (missing.to_string(), Violation::Missing)
        );
    }
    // Item fields do not belong to coin mode.
    assert_eq!(
        invalid_field(client.payment_params_json(
            payment_meta(),
            Some("coin"),
            &serde_json::json!({"buyQuantity": 1, "outTradeNo": "trade_0001", "productId": "p"}),
            None
        )),
        (
            "productId".to_string(),
            Violation::NotInMode {
                mode: "coin".into()
            }
        )
    );
    // Every allowed character, 8 and 32 long.
    for id in ["0aZ_-|*@", "abcdefghijklmnopqrstuvwxyz012345"] {
        let mut order = base.clone();
        order.out_trade_no = id.into();
        assert!(client.payment_params(&order, None).is_ok(), "{id}");
    }
    // No offer id: the error names the setting.
    let bare = Client::builder().app_key("k").build().unwrap();
    assert!(matches!(
        bare.payment_params(&base, None),
        Err(Error::MissingSetting {
            setting: Setting::OfferId,
            ..
        })
    ));
}

#[test]
fn sandbox_payments_say_env_1_and_are_signed_with_the_sandbox_key() {
    let client = Client::builder()
        .offer_id("123")
        .app_key("k")
        .env(Env::Sandbox)
        .build()
        .unwrap();
    let order = CoinPaymentOrder::new(1, "trade_0001").with_attach("a");
    assert!(matches!(
        client.payment_params(&order, None),
        Err(Error::MissingAppKey {
            env: Env::Sandbox,
            ..
        })
    ));
    let client = Client::builder()
        .offer_id("123")
        .app_key("k")
        .sandbox_app_key("sk")
        .env(Env::Sandbox)
        .build()
        .unwrap();
    let p = client.payment_params(&order, None).unwrap();
    assert!(p.sign_data.contains(r#""env":1"#), "{}", p.sign_data);
    assert_eq!(p.env, Env::Sandbox);
    assert_eq!(
        p.pay_sig,
        payment_pay_sig(
            &AppKey::new("sk").unwrap(),
            "requestVirtualPayment",
            &p.sign_data
        )
    );
}
