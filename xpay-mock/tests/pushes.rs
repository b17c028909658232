//! Pushes reach a merchant's callback (xpay's axum `PushRouter`, in a [`PushInbox`]) that
//! verifies `msg_signature`, decrypts and types them, in JSON and XML; unacknowledged pushes
//! are retried.

mod common;

use std::time::Duration;

use common::login;
use serde_json::{Value, json};
use xpay::Env;
use xpay::api::{
    Event, NotifyProvideGoodsRequest, OrderRef, QueryOrderRequest, RefundOrderRequest,
    RefundReason, ReqFrom,
};
use xpay::callback::ReplyMode;
use xpay_mock::{
    Format, MockConfig, MockError, MockServer, Payment, PushInbox, PushRetry, PushTarget,
    ReceivedPush,
};

async fn mock(retry: PushRetry) -> MockServer {
    MockServer::start(MockConfig::default().with_push_retry(retry))
        .await
        .expect("start")
}

/// The message of a received push, by WeChat's field names.
fn message(received: &ReceivedPush) -> Value {
    Value::Object(received.fields().expect("the message's fields"))
}

fn is_digits(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() >= 16 && s.bytes().all(|b| b.is_ascii_digit()))
}

#[tokio::test]
async fn coin_payment_pushes_an_encrypted_json_notify() {
    let server = mock(PushRetry::once()).await;
    let mut inbox = server.push_inbox().await.expect("inbox");
    let (openid, _) = login(&server, "dave");

    let outcome = server
        .pay(
            Payment::coin(&openid, "coin_trade_001", 70)
                .with_price(10)
                .with_attach("a=1"),
        )
        .await
        .expect("pay");
    let delivery = outcome.delivery.expect("pushed");
    assert!(delivery.delivered, "{delivery:?}");
    assert_eq!((delivery.attempts, delivery.last_status), (1, Some(200)));
    assert_eq!(outcome.order.status, 4, "acknowledged: delivered");
    assert_eq!(
        (outcome.order.order_fee, outcome.order.left_fee),
        (700, 700)
    );

    let received = inbox.next().await.expect("a push");
    let query = &received.query;
    assert_eq!(query.encrypt_type.as_deref(), Some("aes"));
    assert!(query.msg_signature.is_some() && query.signature.is_some() && query.nonce.is_some());
    let raw = &received.push.raw;
    assert!(raw.encrypted);
    assert_eq!(
        (raw.format, raw.envelope_format),
        (Format::Json, Format::Json)
    );
    assert_eq!(
        raw.app_id.as_deref(),
        Some(server.credentials().app_id.as_str())
    );
    assert_eq!(raw.event.as_deref(), Some("xpay_coin_pay_notify"));
    let m = message(&received);
    assert_eq!(m["MsgType"], "event");
    assert_eq!(m["OpenId"], openid.as_str());
    assert_eq!(m["OutTradeNo"], "coin_trade_001");
    assert_eq!(m["Env"], 0);
    assert_eq!(
        m["CoinInfo"],
        json!({"Quantity": 70, "OrigPrice": 700, "ActualPrice": 700, "Attach": "a=1"})
    );
    assert!(is_digits(&m["WeChatPayInfo"]["TransactionId"]), "{m}");
    assert_eq!(
        m["WeChatPayInfo"]["TransactionId"],
        outcome.order.transaction_id.as_str()
    );
    assert!(m["CreateTime"].as_i64().is_some_and(|t| t > 1_700_000_000));
    // The same push, typed.
    let Event::CoinPay(paid) = received.event() else {
        panic!("{:?}", received.event())
    };
    assert_eq!(paid.out_trade_no.as_deref(), Some("coin_trade_001"));
    assert_eq!(paid.coin_info.as_ref().and_then(|c| c.quantity), Some(70));
    assert_eq!(paid.env, Some(Env::Production));
    // And the answer the mock got: WeChat's success, in JSON.
    assert_eq!(received.status, 200);
    let reply: Value = serde_json::from_str(&received.reply).expect("a JSON reply");
    assert_eq!(reply["ErrCode"], 0, "{reply}");

    assert_eq!(server.balance(&openid, Env::Production).saved, 70);
    assert_eq!(server.pushes().len(), 1);
    assert!(inbox.is_empty());
}

#[tokio::test]
async fn goods_payment_pushes_xml_and_typed_values_survive() {
    let server = mock(PushRetry::once()).await;
    let mut inbox = server.push_inbox().await.expect("inbox");
    server.set_push_target(Some(inbox.target(Format::Xml)));
    let (openid, _) = login(&server, "erin");
    let outcome = server
        .pay(Payment::goods(&openid, "goods_trade_001", "sword_01", 600, 2).with_env(Env::Sandbox))
        .await
        .expect("pay");
    assert!(outcome.delivery.as_ref().is_some_and(|d| d.delivered));
    let received = inbox.next().await.expect("a push");
    let raw = &received.push.raw;
    assert_eq!(
        (raw.format, raw.envelope_format),
        (Format::Xml, Format::Xml)
    );
    assert_eq!(raw.event.as_deref(), Some("xpay_goods_deliver_notify"));
    let m = message(&received);
    assert_eq!(m["Env"], 1);
    assert_eq!(m["GoodsInfo"]["ProductId"], "sword_01");
    assert_eq!(m["GoodsInfo"]["Quantity"], 2);
    assert_eq!(m["GoodsInfo"]["ActualPrice"], 1200);
    assert!(
        is_digits(&m["WeChatPayInfo"]["TransactionId"]),
        "a string, even from XML: {m}"
    );
    let Event::GoodsDeliver(delivered) = received.event() else {
        panic!("{:?}", received.event())
    };
    assert_eq!(
        delivered
            .wechat_pay_info
            .as_ref()
            .and_then(|i| i.transaction_id.as_deref()),
        Some(outcome.order.transaction_id.as_str())
    );
    assert!(received.reply.starts_with("<xml>"), "{}", received.reply);
    assert_eq!(
        server.balance(&openid, Env::Sandbox).balance,
        0,
        "goods credit no tokens"
    );
}

#[tokio::test]
async fn refund_order_pushes_a_refund_notify() {
    let server = mock(PushRetry::fixed(3, Duration::from_millis(10))).await;
    let mut inbox = server.push_inbox().await.expect("inbox");
    let client = server.client();
    let (openid, _) = login(&server, "frank");
    let outcome = server
        .pay(Payment::goods(&openid, "goods_trade_002", "shield", 300, 1))
        .await
        .expect("pay");
    inbox.next().await.expect("the delivery push");

    let refund = |refund_id: &str, left: i64, fee: i64| {
        RefundOrderRequest::new(
            openid.clone(),
            OrderRef::wx_order_id(outcome.order.wx_order_id.clone()),
            refund_id,
            left,
            fee,
            RefundReason::UserChoice,
            ReqFrom::User,
        )
        .with_biz_meta("meta")
    };
    // A stale left_fee is refused.
    let e = client
        .send(refund("refund_0001", 200, 100))
        .await
        .expect_err("mismatch");
    assert_eq!(e.errcode(), Some(xpay_mock::errcodes::LEFT_FEE_MISMATCH));
    let r = client
        .send(refund("refund_0001", 300, 100))
        .await
        .expect("refund");
    assert_eq!(r.refund_order_id.as_deref(), Some("refund_0001"));
    assert_eq!(r.pay_order_id.as_deref(), Some("goods_trade_002"));
    let received = inbox.next().await.expect("the refund push");
    assert_eq!(
        received.push.raw.event.as_deref(),
        Some("xpay_refund_notify")
    );
    let m = message(&received);
    assert_eq!(m["MchRefundId"], "refund_0001");
    assert_eq!(m["MchOrderId"], "goods_trade_002");
    assert_eq!(m["RefundFee"], 100);
    assert_eq!(m["RetCode"], 0);
    assert_eq!(m["RetryTimes"], 0);
    assert_eq!(
        m["WxRefundId"],
        r.refund_wx_order_id.as_deref().unwrap_or_default()
    );
    assert_eq!(
        received.event().dedup_key().as_deref(),
        Some("refund_0001"),
        "refunds are told apart by MchRefundId"
    );

    // The order now has 200 left; the second refund empties it.
    let e = client
        .send(refund("refund_0001", 200, 200))
        .await
        .expect_err("dup");
    assert!(matches!(e, xpay::Error::Duplicate { .. }), "{e}");
    let e = client
        .send(refund("refund_0002", 200, 201))
        .await
        .expect_err("too much");
    assert_eq!(e.errcode(), Some(xpay_mock::errcodes::INVALID_FIELD));
    client
        .send(refund("refund_0002", 200, 200))
        .await
        .expect("refund rest");
    inbox.next().await.expect("the second refund push");
    let q = client
        .send(QueryOrderRequest::new(
            openid.clone(),
            OrderRef::order_id("goods_trade_002"),
        ))
        .await
        .expect("query");
    let order = q.order.expect("order");
    assert_eq!(order.left_fee, Some(0));
    assert_eq!(order.refund_fee, Some(300));
    assert_eq!(order.biz_meta.as_deref(), Some("meta"));
    assert_eq!(
        serde_json::to_value(order.status).expect("status"),
        json!(5)
    );
    // Someone else's openid is refused.
    let (other, _) = login(&server, "not-frank");
    let e = client
        .send(QueryOrderRequest::new(
            other,
            OrderRef::order_id("goods_trade_002"),
        ))
        .await
        .expect_err("not the payer");
    assert_eq!(e.errcode(), Some(xpay_mock::errcodes::OPENID_WRONG));
}

#[tokio::test]
async fn unacknowledged_pushes_are_retried() {
    let server = mock(PushRetry::fixed(4, Duration::from_millis(10))).await;
    let mut inbox = server.push_inbox().await.expect("inbox");
    inbox.refuse_next(2);
    let (openid, _) = login(&server, "gina");
    let outcome = server
        .pay(Payment::coin(&openid, "coin_trade_002", 5))
        .await
        .expect("pay");
    let d = outcome.delivery.expect("pushed");
    assert!(d.delivered, "{d:?}");
    assert_eq!(d.attempts, 3);
    assert_eq!(inbox.requests(), 3);
    let received = inbox.next().await.expect("the acknowledged attempt");
    assert_eq!(message(&received)["OutTradeNo"], "coin_trade_002");
    assert!(inbox.is_empty(), "refused attempts are not handed over");

    // RetryTimes counts the attempts of a refund push.
    inbox.refuse_next(1);
    server
        .client()
        .send(RefundOrderRequest::new(
            openid.clone(),
            OrderRef::order_id("coin_trade_002"),
            "refund_0003",
            5,
            5,
            RefundReason::Other,
            ReqFrom::CustomerService,
        ))
        .await
        .expect("refund");
    let received = inbox.next().await.expect("the refund push");
    assert_eq!(message(&received)["RetryTimes"], 1);
    let Event::Refund(refund) = received.event() else {
        panic!("{:?}", received.event())
    };
    assert_eq!(refund.retry_times, Some(1));
}

#[tokio::test]
async fn a_push_never_acknowledged_gives_up_and_the_order_waits_for_notify_provide_goods() {
    let server = mock(PushRetry::fixed(3, Duration::from_millis(5))).await;
    let mut inbox = PushInbox::start(server.callback_config())
        .await
        .expect("inbox");
    server.set_push_target(Some(inbox.target(Format::Xml)));
    inbox.refuse_next(100);
    let (openid, _) = login(&server, "hank");
    let outcome = server
        .pay(Payment::goods(&openid, "goods_trade_003", "bow", 50, 1))
        .await
        .expect("pay");
    let d = outcome.delivery.expect("pushed");
    assert!(!d.delivered);
    assert_eq!((d.attempts, d.last_status), (3, Some(500)));
    assert_eq!(outcome.order.status, 2, "paid, not delivered");
    assert!(
        inbox.try_next().is_none(),
        "a refused push is not handed over"
    );
    server
        .client()
        .send(NotifyProvideGoodsRequest::new(OrderRef::order_id(
            "goods_trade_003",
        )))
        .await
        .expect("notify");
    assert_eq!(
        server
            .order(Env::Production, "goods_trade_003")
            .map(|o| o.status),
        Some(4)
    );

    // Nobody listening at all: a transport error, retried, then given up.
    server.set_push_target(Some(PushTarget::json("http://127.0.0.1:9/nowhere")));
    let outcome = server
        .pay(Payment::coin(&openid, "coin_trade_003", 1))
        .await
        .expect("pay");
    let d = outcome.delivery.expect("tried");
    assert!(
        !d.delivered && d.attempts == 3 && d.last_status.is_none(),
        "{d:?}"
    );
    assert!(d.last_error.is_some());
    inbox.shutdown().await;
}

#[tokio::test]
async fn plain_success_and_encrypted_replies_count_as_acknowledged() {
    for mode in [ReplyMode::PlainSuccess, ReplyMode::Encrypted] {
        let server = mock(PushRetry::once()).await;
        let mut inbox = PushInbox::start(server.callback_config().with_reply_mode(mode))
            .await
            .expect("inbox");
        for format in [Format::Json, Format::Xml] {
            server.set_push_target(Some(inbox.target(format)));
            let (openid, _) = login(&server, "ivy");
            let id = format!("coin_trade_{format}");
            let outcome = server
                .pay(Payment::coin(&openid, &id, 1))
                .await
                .expect("pay");
            assert!(
                outcome.delivery.is_some_and(|d| d.delivered),
                "{mode:?} {format}"
            );
            let received = inbox.next().await.expect("a push");
            match mode {
                ReplyMode::PlainSuccess => assert_eq!(received.reply, "success"),
                _ => assert!(
                    received.reply.contains("Encrypt"),
                    "{mode:?} {format}: {}",
                    received.reply
                ),
            }
        }
    }
}

#[tokio::test]
async fn any_event_can_be_pushed_and_duplicate_payments_are_refused() {
    let server = mock(PushRetry::once()).await;
    let mut inbox = PushInbox::start(server.callback_config())
        .await
        .expect("inbox");
    assert!(
        matches!(
            server.push_event("xpay_complaint_notify", json!({})).await,
            Err(MockError::Config(_))
        ),
        "no target yet"
    );
    server.push_to(&inbox);
    let d = server
        .push_event(
            "xpay_complaint_notify",
            json!({"OpenId": "o1", "WxOrderId": "1", "MchOrderId": "m1", "ComplaintTime": 1, "RetryTimes": 0, "RequestId": "req-1"}),
        )
        .await
        .expect("push");
    assert!(d.delivered);
    assert_eq!(d.key, "req-1");
    let received = inbox.next().await.expect("a push");
    assert_eq!(
        received.push.raw.event.as_deref(),
        Some("xpay_complaint_notify")
    );
    assert_eq!(message(&received)["RequestId"], "req-1");
    assert!(matches!(
        server.push_event("no_such_event", json!({})).await,
        Err(MockError::Config(_))
    ));

    let (openid, _) = login(&server, "jack");
    server
        .pay(Payment::coin(&openid, "coin_trade_004", 1))
        .await
        .expect("pay");
    let e = server
        .pay(Payment::coin(&openid, "coin_trade_004", 1))
        .await
        .expect_err("dup");
    assert_eq!(e.errcode(), Some(xpay_mock::errcodes::DUPLICATE));
    let e = server
        .pay(Payment::coin(&openid, "_bad", 1))
        .await
        .expect_err("bad id");
    assert_eq!(e.errcode(), Some(xpay_mock::errcodes::INVALID_FIELD));
    let mut goods = Payment::goods(&openid, "goods_trade_009", "x", 1, 1);
    goods.product_id = None;
    assert_eq!(
        server.pay(goods).await.expect_err("no product").errcode(),
        Some(xpay_mock::errcodes::INVALID_FIELD)
    );
    assert_eq!(server.balance(&openid, Env::Production).balance, 1);
}

/// The pushes the spec gained (Apple subscription signing and unsigning, WeChat Pay risk
/// control) are sent by the mock, in JSON and XML, and reach the handler typed, with the
/// compound dedup key the spec declares for each.
#[tokio::test]
async fn the_subscription_and_risk_control_pushes_arrive_typed() {
    use xpay::api::{AutoRenewStatus, WxpayCallbackType};
    let server = mock(PushRetry::once()).await;
    let (openid, _) = login(&server, "erin");
    let info = |extra: Value| {
        let mut v = json!({"OriginalTransactionId": "2000000123", "ProductId": "vip_month", "RenewalDate": 1767225600000_i64});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    for format in [Format::Json, Format::Xml] {
        // A receiver of its own per format: the same pushes again would be duplicates.
        let mut inbox = PushInbox::start(server.callback_config())
            .await
            .expect("inbox");
        server.set_push_target(Some(inbox.target(format)));
        let d = server
            .push_event(
                "xpay_apple_subscribe_signing_result_notify",
                json!({"OpenId": openid, "Attach": "a=1", "AppleSubscriptionInfo": info(json!({"AutoRenewStatus": 1, "SignedTime": 1764460800000_i64}))}),
            )
            .await
            .expect("signing push");
        assert!(d.delivered);
        assert_eq!(d.key, "2000000123:1764460800000");
        let push = inbox.next().await.expect("signing push").push;
        let Event::AppleSubscribeSigned(e) = &push.event else {
            panic!("{:?}", push.event)
        };
        let info_in = e.apple_subscription_info.as_ref().expect("info");
        assert_eq!(info_in.auto_renew_status, Some(AutoRenewStatus::On));
        assert_eq!(info_in.signed_time, Some(1764460800000));
        assert_eq!(push.event.dedup_key().as_deref(), Some(d.key.as_str()));

        let d = server
            .push_event(
                "xpay_apple_subscribe_unsigning_result_notify",
                json!({"OpenId": openid, "Action": "unsubscribe", "AppleSubscriptionInfo": info(json!({"AutoRenewStatus": 0, "UnsignedTime": 1765000000000_i64}))}),
            )
            .await
            .expect("unsigning push");
        let push = inbox.next().await.expect("unsigning push").push;
        let Event::AppleSubscribeUnsigned(e) = &push.event else {
            panic!("{:?}", push.event)
        };
        assert_eq!(
            e.apple_subscription_info
                .as_ref()
                .and_then(|i| i.renewal_date),
            Some(1767225600000),
            "the day to stop the benefit"
        );
        assert_eq!(push.event.dedup_key().as_deref(), Some(d.key.as_str()));

        let d = server
            .push_event(
                "xpay_wxpay_callback_notify",
                json!({"BusinessCode": "case-7", "EventType": "punishment", "BusinessState": "1"}),
            )
            .await
            .expect("risk push");
        let push = inbox.next().await.expect("risk push").push;
        let Event::WxpayCallback(e) = &push.event else {
            panic!("{:?}", push.event)
        };
        assert_eq!(e.event_type, Some(WxpayCallbackType::Punishment));
        assert_eq!(d.key, "case-7:punishment:1");
        assert_eq!(push.event.dedup_key().as_deref(), Some(d.key.as_str()));
    }
}
