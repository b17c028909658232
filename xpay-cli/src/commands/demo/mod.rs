//! `xpay demo`: the end-to-end tour of xpay-rs on an embedded fake WeChat.
//!
//! Everything runs in this process on 127.0.0.1: an [`xpay_mock::MockServer`] with the demo's
//! own throwaway credentials (fixed, so the output is the same from run to run but for ports
//! and the user's session key), and a callback server ([`inbox`]) that the mock pushes to.
//! A [`Client`] talks to the mock exactly as it would talk to WeChat.
//!
//! Each of the [`STEPS`] steps prints a label (`[n/8] …`) and indented details, and checks what
//! it shows against the fake WeChat (its ledger, its keys, its push deliveries). Any
//! disagreement ends the demo with one line naming the step, and exit 1. XPAY_* settings are
//! not read: the demo needs no configuration.

mod inbox;

use crate::cli::DemoArgs;
use crate::error::Failure;
use inbox::{Inbox, Received};
use serde_json::Value;
use std::fmt::{Debug, Display};
use std::io::{self, Write};
use std::time::Duration;
use xpay::api::{
    CancelCurrencyPayRequest, CoinPaymentOrder, CurrencyPayRequest, Event, Order, OrderRef,
    OrderStatus, PayItem, QueryOrderRequest, QueryUserBalanceRequest, QueryUserBalanceResponse,
    RefundOrderRequest, RefundReason, ReqFrom, SPEC,
};
use xpay::callback::{CallbackConfig, EncodingAesKey};
use xpay::signing::hmac_sha256_hex;
use xpay::{CallbackToken, Client, Env, JsonString, PaymentSpec, SessionKey};
use xpay_mock::{Credentials, MockConfig, MockServer, Payment, PushTarget};

/// How many steps the tour has.
pub const STEPS: usize = 8;

/// The step labels, in order (stable: scripts and tests look for them).
pub const LABELS: [&str; STEPS] = [
    "log a user in",
    "sign the wx.requestVirtualPayment parameters",
    "the user pays; the coin-pay push reaches the callback server",
    "query the balance",
    "pay with tokens",
    "cancel the token payment",
    "refund a cash order",
    "an overdraft, explained",
];

const JS_CODE: &str = "demo-login-code";
const USER_IP: &str = "127.0.0.1";
const COIN_ORDER: &str = "demo_coin_0001";
const COIN_QUANTITY: i64 = 100;
const ATTACH: &str = "demo";
const PRODUCT: &str = "sword_01";
const SPEND: i64 = 30;
const SPEND_ORDER: &str = "demo_spend_0001";
const CANCEL_ORDER: &str = "demo_cancel_0001";
const GOODS_ORDER: &str = "demo_goods_0001";
const GOODS_PRICE: i64 = 600;
const REFUND_ORDER: &str = "demo_refund_0001";
const OVERDRAFT_ORDER: &str = "demo_overdraft_0001";
const INSUFFICIENT_BALANCE: i64 = 268_490_006;
const DETAIL: &str = "      ";

/// Runs the tour; prints each step as it goes.
pub fn run(_args: DemoArgs) -> Result<(), Failure> {
    let runtime = super::runtime()?;
    let mut tour = Tour::new(Box::new(io::stdout()));
    let result = runtime.block_on(tour_all(&mut tour, |_| {}));
    result.map_err(|f| tour.locate(f))
}

/// The demo's own throwaway credentials: test values, printed freely, valid nowhere else.
fn demo_credentials() -> Credentials {
    Credentials {
        app_id: "wx0000000000de0001".into(),
        app_secret: "demo-app-secret-0000000000000001".into(),
        offer_id: "1450000001".into(),
        app_key: "demo-app-key-00000000000000000001".into(),
        sandbox_app_key: "demo-sandbox-app-key-000000000001".into(),
        callback_token: "demo-callback-token-0000000000001".into(),
        encoding_aes_key: "eHBheS1kZW1vIHRocm93YXdheSBBRVMga2V5IDAwMDE".into(),
    }
}

/// Prints the tour and remembers the current step, so a failure can say where it happened.
struct Tour {
    step: usize,
    out: Box<dyn Write>,
}

impl Tour {
    /// A tour printing to `out` (stdout for the command), each line flushed as it is written.
    fn new(out: Box<dyn Write>) -> Tour {
        Tour { step: 0, out }
    }

    /// A line at the left margin.
    fn say(&mut self, text: impl Display) -> Result<(), Failure> {
        writeln!(self.out, "{text}")
            .and_then(|()| self.out.flush())
            .map_err(Failure::write)
    }

    /// Starts the next step: a blank line and `[n/8] label`.
    fn step(&mut self) -> Result<(), Failure> {
        self.step += 1;
        let label = LABELS.get(self.step - 1).copied().unwrap_or("…");
        let n = self.step;
        self.say(format_args!("\n[{n}/{STEPS}] {label}"))
    }

    /// An indented detail line of the current step.
    fn detail(&mut self, text: impl Display) -> Result<(), Failure> {
        self.say(format_args!("{DETAIL}{text}"))
    }

    /// Names the step a failure happened in.
    fn locate(&self, failure: Failure) -> Failure {
        match failure {
            Failure::Message(m) if self.step > 0 => {
                let label = LABELS.get(self.step - 1).copied().unwrap_or("…");
                Failure::Message(format!(
                    "demo step {}/{STEPS} ({label}) failed: {m}",
                    self.step
                ))
            }
            Failure::Message(m) => Failure::Message(format!("demo setup failed: {m}")),
            other => other,
        }
    }
}

/// Fails unless `got == want`: the fake WeChat disagrees with what the step expected.
fn expect_eq<T: PartialEq + Debug>(what: &str, got: T, want: T) -> Result<(), Failure> {
    if got == want {
        Ok(())
    } else {
        Err(Failure::msg(format_args!(
            "{what}: expected {want:?}, the fake WeChat says {got:?}"
        )))
    }
}

/// Fails unless `ok`, with this explanation.
fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(Failure::msg(why())) }
}

/// Fen as yuan: `600` → `6.00`.
fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

/// The first characters of a secret, then an ellipsis and its length.
fn hint(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}… ({} characters)", secret.chars().count())
}

/// What the fake WeChat and the callback server share: the demo's world.
struct World {
    mock: MockServer,
    inbox: Inbox,
    client: Client,
    credentials: Credentials,
}

/// The state the steps hand on: the user and what they hold.
struct User {
    openid: String,
    session_key: SessionKey,
}

/// The whole tour. `tamper` may make the fake WeChat misbehave before the first step (tests
/// use it to see a disagreement fail the demo); the command passes a no-op.
async fn tour_all(t: &mut Tour, tamper: fn(&MockServer)) -> Result<(), Failure> {
    let mut w = setup().await?;
    tamper(&w.mock);
    t.say(
        "xpay demo: WeChat virtual payment (小程序虚拟支付) end to end, on an embedded fake WeChat",
    )?;
    t.say(format_args!(
        "  fake WeChat (xpay-mock)  {}",
        w.mock.base_url()
    ))?;
    t.say(format_args!("  callback server          {}", w.inbox.url()))?;
    t.say(format_args!(
        "  app id {}, offer id {}: the demo's own throwaway credentials",
        w.credentials.app_id, w.credentials.offer_id
    ))?;

    let user = log_in(t, &w).await?;
    sign(t, &w, &user)?;
    coin_pay(t, &mut w, &user).await?;
    query_balance(t, &w, &user).await?;
    pay_with_tokens(t, &w, &user).await?;
    cancel(t, &w, &user).await?;
    refund(t, &mut w, &user).await?;
    overdraft(t, &w, &user).await?;

    ensure(w.inbox.is_empty(), || {
        "the callback server received a push the tour did not expect".into()
    })?;
    let World { mock, inbox, .. } = w;
    inbox.shutdown().await;
    mock.shutdown().await;
    t.say(format_args!(
        "\ndone: {STEPS} steps, each checked against the fake WeChat; nothing left 127.0.0.1"
    ))
}

/// Starts the callback server and the fake WeChat pushing to it; builds the client.
async fn setup() -> Result<World, Failure> {
    let credentials = demo_credentials();
    let config = CallbackConfig::new(CallbackToken::new(credentials.callback_token.clone())?)
        .with_aes_key(
            EncodingAesKey::new(credentials.encoding_aes_key.clone()).map_err(Failure::msg)?,
        )
        .with_app_id(credentials.app_id.clone());
    let inbox = Inbox::start(config).await?;
    let mock = MockServer::start(MockConfig::default().with_credentials(credentials.clone()))
        .await
        .map_err(Failure::msg)?;
    mock.set_push_target(Some(PushTarget::json(inbox.url())));
    let client = Client::builder()
        .app_id(&credentials.app_id)
        .app_secret(&credentials.app_secret)
        .offer_id(&credentials.offer_id)
        .app_key(&credentials.app_key)
        .sandbox_app_key(&credentials.sandbox_app_key)
        .env(Env::Production)
        .base_url(mock.base_url())
        .build()?;
    Ok(World {
        mock,
        inbox,
        client,
        credentials,
    })
}

/// 1: `code2session` for the openid and session key.
async fn log_in(t: &mut Tour, w: &World) -> Result<User, Failure> {
    t.step()?;
    t.detail(format_args!(
        "code2session(\"{JS_CODE}\"): GET /sns/jscode2session with the code wx.login gave"
    ))?;
    let login = w.client.code2session(JS_CODE).await?;
    t.detail(format_args!("openid       {}", login.openid))?;
    t.detail(format_args!(
        "session_key  {}: a throwaway test value; it signs this user's pay+user calls",
        hint(login.session_key.expose())
    ))?;
    expect_eq(
        "openid",
        login.openid.as_str(),
        w.mock.openid_for(JS_CODE).as_str(),
    )?;
    expect_eq(
        "the user's latest session key",
        w.mock.session_key(&login.openid).as_deref(),
        Some(login.session_key.expose()),
    )?;
    t.detail("checked: the fake WeChat knows this user by this openid and session key")?;
    Ok(User {
        openid: login.openid,
        session_key: login.session_key,
    })
}

/// 2: `sign_payment` for `wx.requestVirtualPayment`.
fn sign(t: &mut Tour, w: &World, user: &User) -> Result<(), Failure> {
    t.step()?;
    let order = CoinPaymentOrder::new(COIN_QUANTITY, COIN_ORDER).with_attach(ATTACH);
    t.detail(format_args!(
        "order      buy {COIN_QUANTITY} tokens (代币充值), outTradeNo {COIN_ORDER}, attach \"{ATTACH}\""
    ))?;
    let params = w.client.payment_params(&order, Some(&user.session_key))?;
    t.detail(format_args!(
        "mode       {}",
        params.mode.unwrap_or_default()
    ))?;
    t.detail(format_args!("signData   {}", params.sign_data))?;
    t.detail(format_args!("paySig     {}", params.pay_sig))?;
    t.detail(format_args!(
        "signature  {}",
        params.signature.as_deref().unwrap_or("(none)")
    ))?;

    expect_eq("mode", params.mode, Some("short_series_coin"))?;
    let data: Value = serde_json::from_str(&params.sign_data)
        .map_err(|e| Failure::msg(format_args!("signData is not JSON: {e}")))?;
    expect_eq(
        "signData.offerId",
        &data["offerId"],
        &Value::from(w.credentials.offer_id.as_str()),
    )?;
    expect_eq(
        "signData.buyQuantity",
        &data["buyQuantity"],
        &Value::from(COIN_QUANTITY),
    )?;
    expect_eq("signData.env", &data["env"], &Value::from(0))?;
    expect_eq(
        "signData.outTradeNo",
        &data["outTradeNo"],
        &Value::from(COIN_ORDER),
    )?;
    let uri = <CoinPaymentOrder as PaymentSpec>::META.uri;
    let pay_sig = hmac_sha256_hex(
        w.credentials.app_key.as_bytes(),
        &[uri.as_bytes(), b"&", params.sign_data.as_bytes()],
    );
    expect_eq("paySig", params.pay_sig.as_str(), pay_sig.as_str())?;
    let latest = w.mock.session_key(&user.openid).unwrap_or_default();
    let signature = hmac_sha256_hex(latest.as_bytes(), &[params.sign_data.as_bytes()]);
    expect_eq(
        "signature",
        params.signature.as_deref(),
        Some(signature.as_str()),
    )?;
    t.detail(format_args!(
        "checked: paySig = HMAC-SHA256(AppKey, \"{uri}&\" + signData) and signature = HMAC-SHA256(session_key, signData), recomputed from the fake WeChat's keys"
    ))
}

/// What a push looked like on arrival, in one line.
fn arrival(r: &Received, w: &World) -> Result<String, Failure> {
    ensure(r.encrypted, || {
        format!("the {} push was not encrypted", r.event.name())
    })?;
    expect_eq(
        "appid inside the push",
        r.app_id.as_deref(),
        Some(w.credentials.app_id.as_str()),
    )?;
    Ok(format!(
        "{} push in safe mode: msg_signature verified, decrypted (AES-256-CBC), appid {} checked",
        r.format, w.credentials.app_id
    ))
}

/// The reply the callback server sent, checked to be the success answer.
fn checked_reply(r: &Received) -> Result<&str, Failure> {
    expect_eq(
        "reply to the push",
        r.reply.as_str(),
        r#"{"ErrCode":0,"ErrMsg":"success"}"#,
    )?;
    Ok(&r.reply)
}

/// 3: the fake WeChat charges the user; the coin-pay push is received, typed and answered.
async fn coin_pay(t: &mut Tour, w: &mut World, user: &User) -> Result<(), Failure> {
    t.step()?;
    t.detail(format_args!(
        "the user confirms; the fake WeChat charges {} yuan for {COIN_QUANTITY} tokens (outTradeNo {COIN_ORDER})",
        yuan(COIN_QUANTITY)
    ))?;
    let outcome = w
        .mock
        .pay(Payment::coin(&user.openid, COIN_ORDER, COIN_QUANTITY).with_attach(ATTACH))
        .await
        .map_err(Failure::msg)?;
    let delivery = outcome
        .delivery
        .ok_or_else(|| Failure::msg("the fake WeChat sent no push (no push target)"))?;
    let r = w.inbox.next("the xpay_coin_pay_notify push").await?;
    t.detail(format_args!("received   {}", arrival(&r, w)?))?;
    let Event::CoinPay(e) = &r.event else {
        return Err(Failure::msg(format_args!(
            "expected xpay_coin_pay_notify, received {}",
            r.event.name()
        )));
    };
    let coin = e.coin_info.clone().unwrap_or_default();
    t.detail(format_args!(
        "event      {} (Event::CoinPay): OutTradeNo {}, CoinInfo.Quantity {}, Attach \"{}\"",
        r.event.name(),
        e.out_trade_no.as_deref().unwrap_or("(none)"),
        coin.quantity
            .map_or_else(|| "(none)".into(), |q| q.to_string()),
        coin.attach.as_deref().unwrap_or_default()
    ))?;
    t.detail(format_args!(
        "dedup key  {} (WeChat retries a push until answered: credit each key once)",
        r.dedup_key.as_deref().unwrap_or("(none)")
    ))?;
    expect_eq("OutTradeNo", e.out_trade_no.as_deref(), Some(COIN_ORDER))?;
    expect_eq("OpenId", e.open_id.as_deref(), Some(user.openid.as_str()))?;
    expect_eq("CoinInfo.Quantity", coin.quantity, Some(COIN_QUANTITY))?;
    expect_eq("CoinInfo.Attach", coin.attach.as_deref(), Some(ATTACH))?;
    expect_eq("dedup key", r.dedup_key.as_deref(), Some(COIN_ORDER))?;
    let reply = checked_reply(&r)?;
    ensure(delivery.delivered, || {
        format!(
            "the fake WeChat did not count the push as acknowledged: {}",
            delivery.last_error.clone().unwrap_or_default()
        )
    })?;
    expect_eq(
        "order status after the acknowledged push",
        outcome.order.status,
        OrderStatus::Delivered.wire(),
    )?;
    t.detail(format_args!(
        "reply      {reply}: acknowledged on attempt {}; the order is now status {}",
        delivery.attempts,
        status(Some(&OrderStatus::from_wire(outcome.order.status)))
    ))?;
    t.detail("checked: the typed event matches the payment, and the fake WeChat took the reply as an acknowledgement")
}

/// `query_user_balance` for the user.
async fn balance(w: &World, user: &User) -> Result<QueryUserBalanceResponse, Failure> {
    Ok(w.client
        .send_user(
            QueryUserBalanceRequest::new(user.openid.clone(), USER_IP),
            &user.session_key,
        )
        .await?)
}

/// The ledger's balance must match what the step expects and what the API said.
fn check_ledger(w: &World, user: &User, want: i64) -> Result<(), Failure> {
    expect_eq(
        "balance in the fake WeChat's ledger",
        w.mock.balance(&user.openid, Env::Production).balance,
        want,
    )
}

/// An order status as its wire value and a word: `4 (delivered)`.
fn status(s: Option<&OrderStatus>) -> String {
    let Some(s) = s else {
        return "(none)".into();
    };
    // The words are the spec's own (its value docs), through `Display`.
    if s.is_known() {
        format!("{} ({s})", s.wire())
    } else {
        s.wire().to_string()
    }
}

/// A value the answer may have left out.
fn or_none(v: Option<impl Display>) -> String {
    v.map_or_else(|| "(none)".into(), |v| v.to_string())
}

/// 4: `query_user_balance` shows the tokens just bought.
async fn query_balance(t: &mut Tour, w: &World, user: &User) -> Result<(), Failure> {
    t.step()?;
    let b = balance(w, user).await?;
    t.detail(format_args!(
        "query_user_balance → balance {}, present_balance {}, sum_save {}, sum_cost {}, first_save_flag {}",
        or_none(b.balance),
        or_none(b.present_balance),
        or_none(b.sum_save),
        or_none(b.sum_cost),
        or_none(b.first_save_flag)
    ))?;
    expect_eq("balance", b.balance, Some(COIN_QUANTITY))?;
    expect_eq("sum_save", b.sum_save, Some(COIN_QUANTITY))?;
    expect_eq("first_save_flag", b.first_save_flag, Some(false))?;
    check_ledger(w, user, COIN_QUANTITY)?;
    t.detail(format_args!(
        "checked: the {COIN_QUANTITY} tokens just bought, as the fake WeChat's ledger says"
    ))
}

/// 5: `currency_pay` spends tokens on an item.
async fn pay_with_tokens(t: &mut Tour, w: &World, user: &User) -> Result<(), Failure> {
    t.step()?;
    t.detail(format_args!(
        "currency_pay order_id {SPEND_ORDER}: {SPEND} tokens for 1 × {PRODUCT}"
    ))?;
    let resp = w
        .client
        .send_user(spend_request(user, SPEND_ORDER, SPEND), &user.session_key)
        .await?;
    let left = COIN_QUANTITY - SPEND;
    t.detail(format_args!(
        "→ order_id {}, balance {}, used_present_amount {}",
        or_none(resp.order_id.as_deref()),
        or_none(resp.balance),
        or_none(resp.used_present_amount)
    ))?;
    expect_eq("order_id", resp.order_id.as_deref(), Some(SPEND_ORDER))?;
    expect_eq("balance after currency_pay", resp.balance, Some(left))?;
    check_ledger(w, user, left)?;
    t.detail(format_args!(
        "checked: {COIN_QUANTITY} − {SPEND} = {left} in the fake WeChat's ledger"
    ))
}

/// A `currency_pay` of `amount` tokens for one item.
fn spend_request(user: &User, order_id: &str, amount: i64) -> CurrencyPayRequest {
    CurrencyPayRequest::new(
        user.openid.clone(),
        USER_IP,
        amount,
        order_id,
        JsonString(vec![PayItem::new(PRODUCT, amount, 1)]),
        format!("demo: 1 × {PRODUCT}"),
    )
}

/// 6: `cancel_currency_pay` gives the tokens back.
async fn cancel(t: &mut Tour, w: &World, user: &User) -> Result<(), Failure> {
    t.step()?;
    t.detail(format_args!(
        "cancel_currency_pay order_id {CANCEL_ORDER} for pay_order_id {SPEND_ORDER}: {SPEND} tokens back"
    ))?;
    let resp = w
        .client
        .send_user(
            CancelCurrencyPayRequest::new(
                user.openid.clone(),
                USER_IP,
                SPEND_ORDER,
                CANCEL_ORDER,
                SPEND,
            ),
            &user.session_key,
        )
        .await?;
    t.detail(format_args!(
        "→ order_id {}",
        or_none(resp.order_id.as_deref())
    ))?;
    let b = balance(w, user).await?;
    t.detail(format_args!(
        "query_user_balance → balance {}, sum_cost {}",
        or_none(b.balance),
        or_none(b.sum_cost)
    ))?;
    expect_eq("balance after the cancel", b.balance, Some(COIN_QUANTITY))?;
    expect_eq("sum_cost after the cancel", b.sum_cost, Some(0))?;
    check_ledger(w, user, COIN_QUANTITY)?;
    t.detail(format_args!(
        "checked: back to {COIN_QUANTITY}, as before the payment"
    ))
}

/// `query_order` of the goods order.
async fn goods_order(w: &World, user: &User) -> Result<Order, Failure> {
    w.client
        .send(QueryOrderRequest::new(
            user.openid.clone(),
            OrderRef::order_id(GOODS_ORDER),
        ))
        .await?
        .order
        .ok_or_else(|| {
            Failure::msg(format_args!(
                "query_order returned no order for {GOODS_ORDER}"
            ))
        })
}

/// 7: a goods purchase (with its delivery push), then `refund_order` and its push.
async fn refund(t: &mut Tour, w: &mut World, user: &User) -> Result<(), Failure> {
    t.step()?;
    t.detail(format_args!(
        "the user buys 1 × {PRODUCT} for {} yuan (道具直购, outTradeNo {GOODS_ORDER})",
        yuan(GOODS_PRICE)
    ))?;
    let outcome = w
        .mock
        .pay(Payment::goods(
            &user.openid,
            GOODS_ORDER,
            PRODUCT,
            GOODS_PRICE,
            1,
        ))
        .await
        .map_err(Failure::msg)?;
    let r = w.inbox.next("the xpay_goods_deliver_notify push").await?;
    let Event::GoodsDeliver(e) = &r.event else {
        return Err(Failure::msg(format_args!(
            "expected xpay_goods_deliver_notify, received {}",
            r.event.name()
        )));
    };
    arrival(&r, w)?;
    let goods = e.goods_info.clone().unwrap_or_default();
    expect_eq("OutTradeNo", e.out_trade_no.as_deref(), Some(GOODS_ORDER))?;
    expect_eq(
        "GoodsInfo.ProductId",
        goods.product_id.as_deref(),
        Some(PRODUCT),
    )?;
    let reply = checked_reply(&r)?;
    ensure(
        outcome.delivery.as_ref().is_some_and(|d| d.delivered),
        || "the fake WeChat did not count the delivery push as acknowledged".into(),
    )?;
    t.detail(format_args!(
        "received   {} (Event::GoodsDeliver): OutTradeNo {GOODS_ORDER}, GoodsInfo.ProductId {PRODUCT} → reply {reply}",
        r.event.name()
    ))?;

    let order = goods_order(w, user).await?;
    let left_fee = order.left_fee.unwrap_or_default();
    t.detail(format_args!(
        "query_order → status {}, paid_fee {}, left_fee {}",
        status(order.status.as_ref()),
        or_none(order.paid_fee),
        or_none(order.left_fee)
    ))?;
    expect_eq("order status", order.status, Some(OrderStatus::Delivered))?;
    expect_eq("left_fee", order.left_fee, Some(GOODS_PRICE))?;

    let resp = w
        .client
        .send(RefundOrderRequest::new(
            user.openid.clone(),
            OrderRef::order_id(GOODS_ORDER),
            REFUND_ORDER,
            left_fee,
            left_fee,
            RefundReason::UserChoice,
            ReqFrom::User,
        ))
        .await?;
    t.detail(format_args!(
        "refund_order refund_order_id {REFUND_ORDER}: refund_fee {left_fee} of left_fee {left_fee} → accepted as {} (the refund push follows)",
        or_none(resp.refund_order_id.as_deref())
    ))?;
    expect_eq(
        "refund_order_id",
        resp.refund_order_id.as_deref(),
        Some(REFUND_ORDER),
    )?;

    let r = w.inbox.next("the xpay_refund_notify push").await?;
    t.detail(format_args!("received   {}", arrival(&r, w)?))?;
    let Event::Refund(e) = &r.event else {
        return Err(Failure::msg(format_args!(
            "expected xpay_refund_notify, received {}",
            r.event.name()
        )));
    };
    t.detail(format_args!(
        "event      {} (Event::Refund): MchRefundId {}, MchOrderId {}, RefundFee {}, RetCode {}",
        r.event.name(),
        or_none(e.mch_refund_id.as_deref()),
        or_none(e.mch_order_id.as_deref()),
        or_none(e.refund_fee),
        or_none(e.ret_code)
    ))?;
    t.detail(format_args!(
        "dedup key  {}",
        or_none(r.dedup_key.as_deref())
    ))?;
    expect_eq(
        "MchRefundId",
        e.mch_refund_id.as_deref(),
        Some(REFUND_ORDER),
    )?;
    expect_eq("MchOrderId", e.mch_order_id.as_deref(), Some(GOODS_ORDER))?;
    expect_eq("RefundFee", e.refund_fee, Some(left_fee))?;
    expect_eq("RetCode", e.ret_code, Some(0))?;
    expect_eq("dedup key", r.dedup_key.as_deref(), Some(REFUND_ORDER))?;
    let reply = checked_reply(&r)?;
    wait_acknowledged(w, "xpay_refund_notify", REFUND_ORDER).await?;
    t.detail(format_args!("reply      {reply}: acknowledged"))?;

    let order = goods_order(w, user).await?;
    t.detail(format_args!(
        "query_order → status {}, left_fee {}",
        status(order.status.as_ref()),
        or_none(order.left_fee)
    ))?;
    expect_eq("order status", order.status, Some(OrderStatus::Refunded))?;
    expect_eq("left_fee", order.left_fee, Some(0))?;
    t.detail(format_args!(
        "checked: the order is refunded in full and the fake WeChat saw the push acknowledged"
    ))
}

/// Waits until the fake WeChat records the push of `event` with `key` as acknowledged (a
/// refund push is sent in the background, so its delivery is recorded after the handler ran).
async fn wait_acknowledged(w: &World, event: &str, key: &str) -> Result<(), Failure> {
    for _ in 0..500 {
        let delivery = w
            .mock
            .pushes()
            .into_iter()
            .find(|d| d.event == event && d.key == key);
        if let Some(d) = delivery {
            return ensure(d.delivered, || {
                format!(
                    "the fake WeChat did not count the {event} push as acknowledged: {}",
                    d.last_error.unwrap_or_default()
                )
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(Failure::msg(format_args!(
        "the fake WeChat never recorded the delivery of the {event} push"
    )))
}

/// 8: spending more than the balance: WeChat's errcode, in words.
async fn overdraft(t: &mut Tour, w: &World, user: &User) -> Result<(), Failure> {
    t.step()?;
    let before = balance(w, user).await?.balance.unwrap_or_default();
    let amount = before + 1;
    t.detail(format_args!(
        "currency_pay order_id {OVERDRAFT_ORDER}: {amount} tokens, one more than the balance of {before}"
    ))?;
    let err = match w
        .client
        .send_user(
            spend_request(user, OVERDRAFT_ORDER, amount),
            &user.session_key,
        )
        .await
    {
        Ok(_) => {
            return Err(Failure::msg(
                "the fake WeChat accepted a payment larger than the balance",
            ));
        }
        Err(e) => e,
    };
    t.detail(format_args!("error      {err}"))?;
    expect_eq("errcode", err.errcode(), Some(INSUFFICIENT_BALANCE))?;
    let meta = SPEC
        .error(INSUFFICIENT_BALANCE)
        .ok_or_else(|| Failure::msg("the spec's error table has no 268490006"))?;
    t.detail(format_args!(
        "errcode    {} = {}: {}",
        meta.code, meta.name, meta.message
    ))?;
    let after = balance(w, user).await?;
    expect_eq(
        "balance after the refused payment",
        after.balance,
        Some(before),
    )?;
    check_ledger(w, user, before)?;
    t.detail(format_args!(
        "checked: nothing was deducted; the balance is still {before}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use xpay_mock::Fault;

    /// Captures what the tour prints.
    #[derive(Clone, Default)]
    struct Captured(Rc<RefCell<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn tour(tamper: fn(&MockServer)) -> (Result<(), Failure>, String) {
        let runtime = crate::commands::runtime().expect("runtime");
        let out = Captured::default();
        let mut tour = Tour::new(Box::new(out.clone()));
        let result = runtime
            .block_on(tour_all(&mut tour, tamper))
            .map_err(|f| tour.locate(f));
        let text = String::from_utf8(out.0.borrow().clone()).expect("utf-8");
        (result, text)
    }

    fn message(result: Result<(), Failure>) -> String {
        match result {
            Err(Failure::Message(m)) => m,
            other => panic!("expected a one-line failure, got {other:?}"),
        }
    }

    #[test]
    fn the_tour_passes_against_an_honest_fake_wechat() {
        let (result, text) = tour(|_| {});
        assert!(result.is_ok(), "{result:?}\n{text}");
        for (i, label) in LABELS.iter().enumerate() {
            assert!(
                text.contains(&format!("[{}/{STEPS}] {label}\n", i + 1)),
                "{label}\n{text}"
            );
        }
    }

    #[test]
    fn a_cancel_that_moves_nothing_fails_its_step() {
        // The fake answers success but gives nothing back: the balance check must catch it.
        let (result, text) = tour(|mock| {
            mock.fail_next("cancel_currency_pay", 1, Fault::errcode_with(0, "ok"))
                .expect("fault");
        });
        let m = message(result);
        assert!(
            m.starts_with("demo step 6/8 (cancel the token payment) failed: balance after the cancel: expected Some(100)"),
            "{m}"
        );
        assert!(text.contains("[6/8]") && !text.contains("[7/8]"), "{text}");
    }

    #[test]
    fn a_missing_push_fails_its_step() {
        let (result, _) = tour(|mock| mock.set_push_target(None));
        let m = message(result);
        assert!(m.starts_with("demo step 3/8 "), "{m}");
        assert!(m.contains("sent no push"), "{m}");
    }

    #[test]
    fn a_wechat_error_fails_its_step_with_the_errcode() {
        let (result, _) = tour(|mock| {
            mock.fail_next("query_user_balance", 1, Fault::errcode(268_490_003))
                .expect("fault");
        });
        let m = message(result);
        assert!(m.starts_with("demo step 4/8 (query the balance) failed: query_user_balance: WeChat errcode 268490003"), "{m}");
        assert!(!m.contains('\n'));
    }

    #[test]
    fn the_demo_credentials_are_usable() {
        assert!(demo_credentials().validate().is_ok());
    }

    #[test]
    fn helpers() {
        assert_eq!(yuan(600), "6.00");
        assert_eq!(yuan(100), "1.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(hint("AbCdEfGh"), "AbCd… (8 characters)");
        assert_eq!(status(Some(&OrderStatus::Refunded)), "5 (refunded)");
        assert_eq!(status(Some(&OrderStatus::from_wire(42))), "42");
        assert_eq!(status(None), "(none)");
        assert!(expect_eq("x", 1, 1).is_ok());
        assert!(expect_eq("x", 1, 2).is_err());
    }

    #[test]
    fn failures_name_their_step() {
        let mut tour = Tour::new(Box::new(io::sink()));
        tour.step = 5;
        assert_eq!(
            message(Err(tour.locate(Failure::msg("boom")))),
            "demo step 5/8 (pay with tokens) failed: boom"
        );
        tour.step = 0;
        assert_eq!(
            message(Err(tour.locate(Failure::msg("x")))),
            "demo setup failed: x"
        );
    }
}
