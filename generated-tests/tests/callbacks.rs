//! Pushes typed by the spec, and the axum router end to end over a real local socket: a
//! forged or malformed push never reaches the handler; real ones do, once per delivery, and
//! are answered in their own format.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use xpay::CallbackToken;
use xpay::api::{AutoRenewStatus, Event};
use xpay::callback::{
    CallbackConfig, Decoder, EncodingAesKey, Format, Push, PushQuery, Reply, SealParams,
    encrypt_push, sign_url_verification,
};

const TOKEN: &str = "xpay_token_demo";
const AES: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const APP: &str = "wx1234567890abcdef";
const VECTORS: &str = include_str!("../../xpay-runtime/tests/data/vectors.json");

fn decoder() -> Decoder {
    Decoder::new(
        CallbackConfig::new(CallbackToken::new(TOKEN).unwrap())
            .with_aes_key(EncodingAesKey::new(AES).unwrap())
            .with_app_id(APP),
        &xpay::api::SPEC,
    )
}

fn vector(kind: &str) -> Value {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    all["push"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["kind"] == kind)
        .unwrap()
        .clone()
}

fn vector_query(v: &Value) -> PushQuery {
    PushQuery::parse(&format!(
        "timestamp={}&nonce={}&encrypt_type=aes&msg_signature={}",
        v["timestamp"].as_str().unwrap(),
        v["nonce"].as_str().unwrap(),
        v["msg_signature"].as_str().unwrap()
    ))
}

#[test]
fn vectors_become_typed_events() {
    let d = decoder();
    let v = vector("safe_mode_coin_pay_json");
    let push: Push = d
        .decode_typed(&vector_query(&v), v["body"].as_str().unwrap().as_bytes())
        .unwrap();
    let Event::CoinPay(e) = &push.event else {
        panic!("{:?}", push.event)
    };
    assert_eq!(e.open_id.as_deref(), Some("o-user-1"));
    assert_eq!(e.out_trade_no.as_deref(), Some("trade_20241127_001"));
    let pay = e.wechat_pay_info.as_ref().unwrap();
    assert_eq!(
        pay.transaction_id.as_deref(),
        Some("4200000001"),
        "a digit string stays a string"
    );
    assert_eq!(pay.paid_time, Some(1732700001));
    assert_eq!(e.coin_info.as_ref().unwrap().quantity, Some(60));
    assert_eq!(
        push.event.dedup_key().as_deref(),
        Some("trade_20241127_001")
    );
    assert_eq!(push.envelope.create_time, Some(1732700000));

    let v = vector("safe_mode_goods_deliver_xml");
    let push: Push = d
        .decode_typed(&vector_query(&v), v["body"].as_str().unwrap().as_bytes())
        .unwrap();
    let Event::GoodsDeliver(e) = &push.event else {
        panic!("{:?}", push.event)
    };
    let goods = e.goods_info.as_ref().unwrap();
    assert_eq!(goods.quantity, Some(2));
    assert_eq!(goods.attach.as_deref(), Some("a&b<c>"));
    assert_eq!(
        e.wechat_pay_info
            .as_ref()
            .unwrap()
            .transaction_id
            .as_deref(),
        Some("4200000002")
    );

    let v = vector("safe_mode_refund_json_in_xml_envelope");
    let push: Push = d
        .decode_typed(&vector_query(&v), v["body"].as_str().unwrap().as_bytes())
        .unwrap();
    let Event::Refund(e) = &push.event else {
        panic!("{:?}", push.event)
    };
    assert_eq!(e.refund_fee, Some(50));
    assert_eq!(e.ret_msg.as_deref(), Some(""));
    assert_eq!(push.event.dedup_key().as_deref(), Some("refund_0001"));
}

#[test]
fn unknown_events_arrive_raw_with_every_field() {
    let v = vector("safe_mode_json");
    let d = Decoder::new(
        CallbackConfig::new(CallbackToken::new(v["token"].as_str().unwrap()).unwrap())
            .with_aes_key(EncodingAesKey::new(v["encoding_aes_key"].as_str().unwrap()).unwrap())
            .with_app_id(v["app_id"].as_str().unwrap()),
        &xpay::api::SPEC,
    );
    let push: Push = d
        .decode_typed(&vector_query(&v), v["body"].as_str().unwrap().as_bytes())
        .unwrap();
    let Event::Unknown { name, fields } = &push.event else {
        panic!("{:?}", push.event)
    };
    assert_eq!(name, "debug_demo");
    assert_eq!(fields["debug_str"], "hello world");
    assert_eq!(push.event.dedup_key(), None);
}

/// A known event whose fields do not fit its type still reaches the handler, as
/// `Event::Malformed` with every field and what did not fit: the handler decides, instead of a
/// 500 that WeChat retries 15 times and then drops. JSON and XML alike (a trial found XML
/// pushes answered 500 for `<Quantity>abc</Quantity>`).
#[test]
fn a_known_event_of_the_wrong_shape_reaches_the_handler_as_malformed() {
    let cases = [
        (
            "xpay_coin_pay_notify",
            json!({"CoinInfo": {"Quantity": "sixty"}}),
            "CoinInfo",
            "Quantity",
            json!("sixty"),
        ),
        (
            "xpay_goods_deliver_notify",
            json!({"GoodsInfo": {"Quantity": "1.5"}}),
            "GoodsInfo",
            "Quantity",
            json!("1.5"),
        ),
        (
            "xpay_goods_deliver_notify",
            json!({"GoodsInfo": {"Quantity": "abc"}}),
            "GoodsInfo",
            "Quantity",
            json!("abc"),
        ),
    ];
    for format in [Format::Json, Format::Xml] {
        for (event, fields_in, outer, inner, kept) in &cases {
            let mut message = json!({"ToUserName": "gh", "MsgType": "event", "Event": event,
                                     "OutTradeNo": "trade_0001"});
            for (k, v) in fields_in.as_object().unwrap() {
                message[k] = v.clone();
            }
            let text = match format {
                Format::Json => message.to_string(),
                Format::Xml => xpay::callback::render_message(&message, Format::Xml).unwrap(),
            };
            let signed = seal(&text, format);
            let push = decoder()
                .decode_typed::<Event>(&signed.0, signed.1.as_bytes())
                .unwrap_or_else(|e| panic!("{format} {event}: {e}"));
            let Event::Malformed {
                name,
                fields,
                error,
            } = &push.event
            else {
                panic!("{format}: {:?}", push.event)
            };
            assert_eq!(name, event, "{format}");
            assert_eq!(fields["OutTradeNo"], "trade_0001", "{format}");
            assert_eq!(&fields[*outer][*inner], kept, "{format}");
            assert!(!error.is_empty());
            assert_eq!(push.event.name(), *event);
            assert_eq!(push.event.dedup_key(), None);
        }
    }
}

/// Integers, booleans, enums and the env read digit strings, and an empty value reads as absent:
/// no push is lost to a type detail.
#[test]
fn digit_strings_and_empty_values_are_read() {
    let message = json!({"ToUserName": "gh", "CreateTime": "1732700000", "MsgType": "event",
                         "Event": "xpay_goods_deliver_notify", "Env": "0", "OutTradeNo": "t_0001",
                         "GoodsInfo": {"Quantity": "1", "ActualPrice": ""},
                         "AppleSubscriptionInfo": {"AutoRenewStatus": "1", "RenewalDate": "1735000000000"}})
    .to_string();
    for format in [Format::Json, Format::Xml] {
        let message = match format {
            Format::Json => message.clone(),
            Format::Xml => xpay::callback::render_message(
                &serde_json::from_str(&message).unwrap(),
                Format::Xml,
            )
            .unwrap(),
        };
        let signed = seal(&message, format);
        let push = decoder()
            .decode_typed::<Event>(&signed.0, signed.1.as_bytes())
            .expect("delivered");
        assert_eq!(push.envelope.create_time, Some(1_732_700_000), "{format}");
        let Event::GoodsDeliver(e) = &push.event else {
            panic!("{format}: {:?}", push.event)
        };
        assert_eq!(e.env, Some(xpay::Env::Production), "{format}");
        let goods = e.goods_info.as_ref().expect("goods");
        assert_eq!(goods.quantity, Some(1), "{format}");
        assert_eq!(goods.actual_price, None, "{format}: empty is absent");
        let apple = e.apple_subscription_info.as_ref().expect("apple");
        assert_eq!(
            apple.auto_renew_status,
            Some(AutoRenewStatus::On),
            "{format}"
        );
        assert_eq!(apple.renewal_date, Some(1_735_000_000_000), "{format}");
    }
}

/// The Apple subscription pushes are typed, and their dedup keys join the subscription and the
/// moment (a guess: WeChat publishes none).
#[test]
fn apple_subscription_pushes_are_typed() {
    let message = json!({"ToUserName": "gh", "MsgType": "event",
                         "Event": "xpay_apple_subscribe_unsigning_result_notify",
                         "OpenId": "o1", "Attach": "a", "Action": "unsubscribe",
                         "AppleSubscriptionInfo": {"OriginalTransactionId": "20000012345",
                             "ProductId": "vip_month", "AutoRenewStatus": 0,
                             "RenewalDate": 1735000000000u64, "UnsignedTime": 1734000000000u64}})
    .to_string();
    let signed = seal(&message, Format::Json);
    let push = decoder()
        .decode_typed::<Event>(&signed.0, signed.1.as_bytes())
        .expect("delivered");
    let Event::AppleSubscribeUnsigned(e) = &push.event else {
        panic!("{:?}", push.event)
    };
    assert_eq!(e.action.as_deref(), Some("unsubscribe"));
    assert_eq!(
        e.apple_subscription_info
            .as_ref()
            .and_then(|a| a.auto_renew_status),
        Some(AutoRenewStatus::Off)
    );
    assert_eq!(
        push.event.dedup_key().as_deref(),
        Some("20000012345:1734000000000")
    );
}

fn seal(message: &str, format: Format) -> (PushQuery, String) {
    let p = encrypt_push(
        &CallbackToken::new(TOKEN).unwrap(),
        &EncodingAesKey::new(AES).unwrap(),
        APP,
        "gh_abc",
        message,
        format,
        &SealParams::fresh(),
    )
    .unwrap();
    (p.query, p.body)
}

struct App {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn start(fail_first: bool) -> App {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let failed_once = Arc::new(Mutex::new(!fail_first));
    let log = seen.clone();
    let router = xpay::callback::axum::router(decoder(), move |push: Push| {
        let log = log.clone();
        let failed_once = failed_once.clone();
        async move {
            let mut done = failed_once.lock().unwrap();
            if !*done {
                *done = true;
                return Err("database unavailable".to_string());
            }
            log.lock().unwrap().push(push.event.name().to_string());
            Ok(match &push.event {
                Event::SubscribeIosRefundQuery(_) => Reply::Custom(json!({
                    "result_code": 1, "result_info": "delivered and used", "evidence": "log-42"
                })),
                _ => Reply::Success,
            })
        }
    });
    let app = axum::Router::new().nest("/push", router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    App {
        url: format!("http://{addr}/push"),
        seen,
    }
}

async fn post(app: &App, query: &PushQuery, body: impl Into<reqwest::Body>) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("{}?{}", app.url, query.to_query_string()))
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn coin_pay() -> String {
    json!({"ToUserName": "gh_abc", "FromUserName": "o_official", "CreateTime": 1732700000,
           "MsgType": "event", "Event": "xpay_coin_pay_notify", "OpenId": "o-user-1",
           "OutTradeNo": "trade_0001", "Env": 0,
           "WeChatPayInfo": {"MchOrderNo": "m1", "TransactionId": "4200000001", "PaidTime": 1},
           "CoinInfo": {"Quantity": 60, "OrigPrice": 600, "ActualPrice": 600, "Attach": ""}})
    .to_string()
}

#[tokio::test]
async fn the_router_delivers_json_and_xml_pushes_and_answers_in_kind() {
    let app = start(false).await;
    let (q, body) = seal(&coin_pay(), Format::Json);
    let (status, text) = post(&app, &q, body).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"ErrCode": 0, "ErrMsg": "success"})
    );

    let v = vector("safe_mode_goods_deliver_xml");
    let (status, text) = post(
        &app,
        &vector_query(&v),
        v["body"].as_str().unwrap().to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        text.starts_with("<xml>") && text.contains("<ErrCode>0</ErrCode>"),
        "{text}"
    );
    assert_eq!(
        *app.seen.lock().unwrap(),
        ["xpay_coin_pay_notify", "xpay_goods_deliver_notify"]
    );
}

#[tokio::test]
async fn forged_tampered_and_oversized_pushes_never_reach_the_handler() {
    let app = start(false).await;
    let (mut q, body) = seal(&coin_pay(), Format::Json);
    let good_sig = q.msg_signature.clone();
    q.msg_signature = Some("0".repeat(40));
    assert_eq!(post(&app, &q, body.clone()).await.0, 401);
    // A valid signature over another body.
    q.msg_signature = good_sig;
    let tampered = body.replacen("\"Encrypt\":\"", "\"Encrypt\":\"AAAA", 1);
    assert_ne!(post(&app, &q, tampered).await.0, 200);
    // Another app's push, correctly signed with the shared token.
    let other = encrypt_push(
        &CallbackToken::new(TOKEN).unwrap(),
        &EncodingAesKey::new(AES).unwrap(),
        "wx_other_app",
        "gh",
        &coin_pay(),
        Format::Json,
        &SealParams::fresh(),
    )
    .unwrap();
    assert_eq!(post(&app, &other.query, other.body).await.0, 401);
    // Over the 64 KiB limit.
    let huge = format!(
        "{{\"ToUserName\":\"gh\",\"Encrypt\":\"{}\"}}",
        "A".repeat(70 * 1024)
    );
    assert_eq!(post(&app, &q, huge).await.0, 413);
    // No query at all.
    assert_eq!(post(&app, &PushQuery::parse(""), body).await.0, 401);
    assert!(app.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_handler_error_makes_wechat_retry_and_the_retry_is_delivered() {
    let app = start(true).await;
    let (q, body) = seal(&coin_pay(), Format::Json);
    let (status, text) = post(&app, &q, body.clone()).await;
    assert_eq!(status, 500);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_ne!(v["ErrCode"], 0);
    assert!(
        !text.contains("database"),
        "the handler's error is logged, not sent"
    );
    let (status, _) = post(&app, &q, body).await;
    assert_eq!(status, 200);
    assert_eq!(app.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_ios_refund_query_gets_its_custom_answer() {
    let app = start(false).await;
    let msg =
        json!({"ToUserName": "gh_abc", "FromUserName": "o", "CreateTime": 1, "MsgType": "event",
                     "Event": "xpay_subscribe_ios_refund_query_notify", "pay_order_id": "p1",
                     "provide_status": 1})
        .to_string();
    let (q, body) = seal(&msg, Format::Json);
    let (status, text) = post(&app, &q, body).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        json!({"result_code": 1, "result_info": "delivered and used", "evidence": "log-42"})
    );
}

#[tokio::test]
async fn url_verification_returns_the_echostr() {
    let app = start(false).await;
    let q = sign_url_verification(
        &CallbackToken::new(TOKEN).unwrap(),
        "4375120948345356249",
        &SealParams::fresh(),
    );
    let resp = reqwest::get(format!("{}?{}", app.url, q.to_query_string()))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "4375120948345356249");
    let bad = reqwest::get(format!(
        "{}?signature=00&timestamp=1&nonce=2&echostr=3",
        app.url
    ))
    .await
    .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
}
