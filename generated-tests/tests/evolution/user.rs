//! A user crate written against the built-in spec as the README teaches. The evolution test
//! compiles it, unchanged and under `#![deny(warnings)]`, against the built-in spec and against
//! the spec grown by a field, a response field, an enum value, an event and an action.
#![deny(warnings)]

use xpay::api::{
    CoinPaymentOrder, CurrencyPayRequest, Event, GoodsPaymentOrder, OrderRef, OrderStatus, PayItem,
    PaymentOrder, QueryOrderRequest, QueryUserBalanceRequest, QueryUserBalanceResponse,
};
use xpay::callback::Push;
use xpay::{Client, Env, JsonString, SessionKey};

/// Typed calls, as in the README.
pub async fn calls(client: &Client, sk: &SessionKey) -> xpay::Result<Option<i64>> {
    let balance = client
        .send_user(QueryUserBalanceRequest::new("o-user", "1.2.3.4").with_env(Env::Sandbox), sk)
        .await?;
    let spend = CurrencyPayRequest::new(
        "o-user",
        "1.2.3.4",
        30,
        "order_20261128_0001",
        JsonString(vec![PayItem::new("sword", 30, 1)]),
        "sword",
    );
    match client.send_user(spend, sk).await {
        Ok(resp) => println!("balance now {:?}", resp.balance),
        Err(xpay::Error::Duplicate { .. }) => println!("already paid"),
        Err(e) => eprintln!("{e}"),
    }
    let order = client
        .send(QueryOrderRequest::new("o-user", OrderRef::order_id("trade_0001")))
        .await?
        .order;
    if let Some(status) = order.and_then(|o| o.status) {
        println!("{}", describe(status));
    }
    Ok(balance.balance)
}

/// An exhaustive-looking match on a generated enum: the `_` arm is required (non_exhaustive),
/// and a new value the spec learns lands there or in its own arm, never silently elsewhere.
pub fn describe(status: OrderStatus) -> String {
    match status {
        OrderStatus::Paid => "paid".into(),
        OrderStatus::Delivered => "delivered".into(),
        OrderStatus::Refunded => "refunded".into(),
        other => format!("{} ({other})", other.wire()),
    }
}

/// Payment parameters, as in the README.
pub fn payment(client: &Client, sk: &SessionKey) -> xpay::Result<String> {
    let order = GoodsPaymentOrder::new(1, "sword_01", 600, "trade_20261128_0001").with_attach("user 42");
    let params = client.payment_params(&order, Some(sk))?;
    let coins: PaymentOrder = CoinPaymentOrder::new(60, "trade_20261128_0002").into();
    let more = client.payment_params(&coins, None)?;
    Ok(format!("{}{}", params.sign_data, more.sign_data))
}

/// A push handler, as in the README.
pub async fn handle(push: Push) -> Result<xpay::callback::Reply, std::io::Error> {
    let _key = push.event.dedup_key();
    match &push.event {
        Event::CoinPay(e) => println!("{:?}", e.coin_info),
        Event::GoodsDeliver(e) => println!("{:?}", e.goods_info),
        Event::Refund(e) => println!("{:?}", e.ret_code),
        Event::Unknown { name, .. } => println!("unknown {name}"),
        _ => {}
    }
    Ok(xpay::callback::Reply::Success)
}

/// A test double builds responses and events outside the crate that generated them.
pub fn doubles() -> (QueryUserBalanceResponse, Event) {
    let resp = QueryUserBalanceResponse::new().with_balance(100).with_first_save_flag(true);
    let event = Event::CoinPay(xpay::api::CoinPayEvent::default().with_out_trade_no("trade_0001"));
    (resp, event)
}

/// A dynamic call names the spec it looks in.
pub async fn dynamic(client: &Client) -> xpay::Result<()> {
    client
        .call(
            &xpay::api::SPEC,
            "currency_present",
            serde_json::json!({"openid": "o", "order_id": "gift_0001", "amount": 5}),
            None,
        )
        .await
        .map(|_| ())
}
