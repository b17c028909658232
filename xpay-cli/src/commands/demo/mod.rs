//! `xpay demo`: the end-to-end tour of xpay-rs on an embedded fake WeChat. It only narrates:
//! the fake WeChat ([`MockServer`]), the merchant's push receiver ([`PushInbox`]) and the
//! payment check are xpay-mock's, the calls the library's. Each of the eight steps prints
//! `[n/8] label` and details, then checks them against the fake WeChat; a disagreement ends
//! the demo with one line naming the step (exit 1). `XPAY_*` settings are not read.

use crate::cli::DemoArgs;
use crate::error::Failure;
use std::fmt::{Debug, Display};
use std::io::{self, Write};
use std::time::Duration;
use xpay::api::{
    CancelCurrencyPayRequest, CoinPaymentOrder, CurrencyPayRequest, Event, Order, OrderRef,
    OrderStatus, PayItem, QueryOrderRequest, QueryUserBalanceRequest, QueryUserBalanceResponse,
    RefundOrderRequest, RefundReason, ReqFrom, SPEC,
};
use xpay::{Client, Env, JsonString, SessionKey};
use xpay_mock::{Credentials, MockConfig, MockServer, Payment, PushInbox, ReceivedPush};

#[cfg(test)]
mod tests;

/// How many steps the tour has.
pub const STEPS: usize = 8;

const JS_CODE: &str = "demo-login-code";
const USER_IP: &str = "127.0.0.1";
const COIN_ORDER: &str = "demo_coin_0001";
const COINS: i64 = 100;
const PRODUCT: &str = "sword_01";
const SPEND: i64 = 30;
const SPEND_ORDER: &str = "demo_spend_0001";
const CANCEL_ORDER: &str = "demo_cancel_0001";
const GOODS_ORDER: &str = "demo_goods_0001";
const PRICE: i64 = 600;
const REFUND_ORDER: &str = "demo_refund_0001";
const OVERDRAFT_ORDER: &str = "demo_overdraft_0001";
const INSUFFICIENT_BALANCE: i64 = 268_490_006;
const SUCCESS: &str = r#"{"ErrCode":0,"ErrMsg":"success"}"#;

type Res<T> = Result<T, Failure>;

/// Runs the tour; prints each step as it goes.
pub fn run(_args: DemoArgs) -> Res<()> {
    let mut tour = Tour::new(Box::new(io::stdout()));
    let result = super::runtime()?.block_on(tour_all(&mut tour, |_| {}));
    result.map_err(|f| tour.locate(f))
}

/// The demo's own throwaway credentials: the printed ones fixed (the same output every run
/// but for ports and the user's keys), the rest random.
fn demo_credentials() -> Credentials {
    let app_id = "wx0000000000de0001".into();
    let (offer_id, app_key) = ("1450000001".into(), "demo-app-key-0001".into());
    Credentials {
        app_id,
        offer_id,
        app_key,
        ..Credentials::random()
    }
}

/// Prints the tour and remembers the current step, so a failure can say where it happened.
struct Tour {
    /// The current step's number and label.
    at: (usize, &'static str),
    out: Box<dyn Write>,
}

impl Tour {
    fn new(out: Box<dyn Write>) -> Tour {
        Tour { out, at: (0, "") }
    }

    fn say(&mut self, text: impl Display) -> Res<()> {
        let written = writeln!(self.out, "{text}").and_then(|()| self.out.flush());
        written.map_err(Failure::write)
    }

    /// Starts the next step (its label is stable: scripts and tests look for it).
    fn step(&mut self, label: &'static str) -> Res<()> {
        let n = self.at.0 + 1;
        self.at = (n, label);
        self.say(format_args!("\n[{n}/{STEPS}] {label}"))
    }

    /// An indented line; `kv` aligns a key before its value.
    fn detail(&mut self, text: impl Display) -> Res<()> {
        self.say(format_args!("      {text}"))
    }

    fn kv(&mut self, key: &str, value: impl Display) -> Res<()> {
        self.say(format_args!("      {key:<10} {value}"))
    }

    fn locate(&self, failure: Failure) -> Failure {
        let (n, label) = self.at;
        match failure {
            Failure::Message(m) if n > 0 => {
                Failure::Message(format!("demo step {n}/{STEPS} ({label}) failed: {m}"))
            }
            Failure::Message(m) => Failure::Message(format!("demo setup failed: {m}")),
            other => other,
        }
    }
}

/// Fails unless `got == want`: the fake WeChat disagrees with what the step expected.
fn expect_eq<T: PartialEq + Debug>(what: &str, got: T, want: T) -> Res<()> {
    if got == want {
        return Ok(());
    }
    let why = format!("{what}: expected {want:?}, the fake WeChat says {got:?}");
    Err(Failure::Message(why))
}

fn or_none(v: Option<impl Display>) -> String {
    v.map_or_else(|| "(none)".into(), |v| v.to_string())
}

/// The demo's world: the fake WeChat, the push receiver, the client, and the user.
struct World {
    mock: MockServer,
    inbox: PushInbox,
    client: Client,
    openid: String,
    sk: SessionKey,
}

/// The whole tour. `tamper` may make the fake WeChat misbehave before the first step (tests
/// use it to see a disagreement fail the demo); the command passes a no-op.
async fn tour_all(t: &mut Tour, tamper: fn(&MockServer)) -> Res<()> {
    let config = MockConfig::default().with_credentials(demo_credentials());
    let mock = MockServer::start(config).await.map_err(Failure::msg)?;
    let inbox = mock.push_inbox().await.map_err(Failure::msg)?;
    let client = mock.client_builder().build()?;
    tamper(&mock);
    let (url, inbox_url) = (mock.base_url().to_owned(), inbox.url().to_owned());
    let (app, offer) = (&mock.credentials().app_id, &mock.credentials().offer_id);
    t.say("xpay demo: virtual payment (小程序虚拟支付), fake WeChat")?;
    t.say(format_args!("  fake WeChat (xpay-mock)  {url}"))?;
    t.say(format_args!("  callback server          {inbox_url}"))?;
    t.say(format_args!("  app id {app}, offer id {offer}"))?;
    let mut w = log_in(t, mock, inbox, client).await?;
    pay(t, &mut w).await?;
    tokens(t, &w).await?;
    refund(t, &mut w).await?;
    overdraft(t, &w).await?;
    let stray = w.inbox.try_next().map(|r| r.event().name().to_owned());
    expect_eq("an unexpected push", stray, None)?;
    w.inbox.shutdown().await;
    w.mock.shutdown().await;
    t.say(format_args!("\ndone: {STEPS} steps, each checked"))
}

/// 1: `code2session` gives the openid and the session key.
async fn log_in(t: &mut Tour, mock: MockServer, inbox: PushInbox, client: Client) -> Res<World> {
    t.step("log a user in")?;
    t.detail(format_args!("code2session(\"{JS_CODE}\")"))?;
    let login = client.code2session(JS_CODE).await?;
    let (openid, sk) = (login.openid, login.session_key);
    let shown = sk.expose().len();
    t.detail(format_args!("openid       {openid}"))?;
    t.detail(format_args!("session_key  ({shown} characters, not shown)"))?;
    expect_eq("openid", &openid, &mock.openid_for(JS_CODE))?;
    let latest = mock.session_key(&openid);
    expect_eq("session key", latest.as_deref(), Some(sk.expose()))?;
    t.detail("checked: the fake WeChat knows this user")?;
    Ok(World {
        mock,
        inbox,
        client,
        openid,
        sk,
    })
}

/// 2, 3: the payment parameters, checked as WeChat's client does; the user pays, and the
/// coin-pay push is received, typed and answered.
async fn pay(t: &mut Tour, w: &mut World) -> Res<()> {
    t.step("sign the wx.requestVirtualPayment parameters")?;
    let order = CoinPaymentOrder::new(COINS, COIN_ORDER).with_attach("demo");
    let p = w.client.payment_params(&order, Some(&w.sk))?;
    t.kv("mode", p.mode.unwrap_or_default())?;
    t.kv("signData", &p.sign_data)?;
    t.kv("paySig", &p.pay_sig)?;
    t.kv("signature", or_none(p.signature.as_deref()))?;
    let checked = w.mock.check_payment(&p, Some(w.sk.expose()));
    let checked = checked.map_err(Failure::msg)?;
    expect_eq("outTradeNo", checked.out_trade_no(), Some(COIN_ORDER))?;
    t.detail("checked: paySig and signature, by the fake WeChat")?;
    t.step("the user pays; the coin-pay push reaches the callback server")?;
    let payment = checked.to_payment(&w.openid);
    let payment = payment.ok_or_else(|| Failure::msg("no payment"))?;
    let outcome = w.mock.pay(payment).await.map_err(Failure::msg)?;
    let sent = outcome.delivery.map(|d| d.delivered);
    let sent = sent.ok_or_else(|| Failure::msg("the fake WeChat sent no push"))?;
    let r = next(w, "xpay_coin_pay_notify").await?;
    t.kv("received", arrival(&r, w)?)?;
    let Event::CoinPay(e) = r.event() else {
        return Err(Failure::msg("mistyped push"));
    };
    let trade = or_none(e.out_trade_no.as_deref());
    let quantity = e.coin_info.as_ref().and_then(|c| c.quantity);
    let q = or_none(quantity);
    let fields = format!("OutTradeNo {trade}, CoinInfo.Quantity {q}");
    let name = "xpay_coin_pay_notify (Event::CoinPay)";
    t.kv("event", format_args!("{name}: {fields}"))?;
    let key = r.event().dedup_key();
    t.kv("dedup key", or_none(key.as_deref()))?;
    t.kv("reply", &r.reply)?;
    expect_eq("OutTradeNo", e.out_trade_no.as_deref(), Some(COIN_ORDER))?;
    expect_eq("CoinInfo.Quantity", quantity, Some(COINS))?;
    expect_eq("dedup key", key.as_deref(), Some(COIN_ORDER))?;
    expect_eq("reply", r.reply.as_str(), SUCCESS)?;
    expect_eq("acknowledged", sent, true)?;
    t.detail("checked: the event matches; the reply acknowledged it")
}

/// 4 to 6: the balance, a token payment, and its cancellation, against the ledger.
async fn tokens(t: &mut Tour, w: &World) -> Res<()> {
    t.step("query the balance")?;
    let b = balance(w).await?;
    let (bal, save) = (or_none(b.balance), or_none(b.sum_save));
    let line = format!("balance {bal}, sum_save {save}");
    t.detail(format_args!("query_user_balance → {line}"))?;
    expect_eq("balance", b.balance, Some(COINS))?;
    ledger(w, COINS)?;
    t.detail(format_args!("checked: {COINS} tokens in the ledger"))?;
    t.step("pay with tokens")?;
    t.detail(format_args!("currency_pay {SPEND_ORDER}: {SPEND} tokens"))?;
    let pay = spend(w, SPEND_ORDER, SPEND);
    let resp = w.client.send_user(pay, &w.sk).await?;
    let left = or_none(resp.balance);
    t.detail(format_args!("→ balance {left}"))?;
    expect_eq("balance", resp.balance, Some(COINS - SPEND))?;
    ledger(w, COINS - SPEND)?;
    t.detail(format_args!("checked: {COINS} − {SPEND} = {left}"))?;
    t.step("cancel the token payment")?;
    t.detail(format_args!("cancel_currency_pay {CANCEL_ORDER}"))?;
    let (openid, sk) = (&w.openid, &w.sk);
    let cancel = CancelCurrencyPayRequest::new(openid, USER_IP, SPEND_ORDER, CANCEL_ORDER, SPEND);
    w.client.send_user(cancel, sk).await?;
    let b = balance(w).await?;
    let (bal, cost) = (or_none(b.balance), or_none(b.sum_cost));
    t.detail(format_args!("→ balance {bal}, sum_cost {cost}"))?;
    expect_eq("balance", b.balance, Some(COINS))?;
    expect_eq("sum_cost", b.sum_cost, Some(0))?;
    ledger(w, COINS)?;
    t.detail(format_args!("checked: back to {COINS}"))
}

/// 7: a purchase and its push, `refund_order` and its push (status words are the spec's).
async fn refund(t: &mut Tour, w: &mut World) -> Res<()> {
    t.step("refund a cash order")?;
    let goods = Payment::goods(&w.openid, GOODS_ORDER, PRODUCT, PRICE, 1);
    w.mock.pay(goods).await.map_err(Failure::msg)?;
    let r = next(w, "xpay_goods_deliver_notify").await?;
    let name = r.event().name();
    t.kv("received", format_args!("{name}, {GOODS_ORDER}"))?;
    let fee = goods_order(w).await?.left_fee.unwrap_or(0);
    expect_eq("left_fee", fee, PRICE)?;
    let (by, from) = (OrderRef::order_id(GOODS_ORDER), ReqFrom::User);
    let reason = RefundReason::UserChoice;
    let req = RefundOrderRequest::new(&w.openid, by, REFUND_ORDER, fee, fee, reason, from);
    w.client.send(req).await?;
    t.detail(format_args!("refund_order {REFUND_ORDER}: {fee} fen"))?;
    let r = next(w, "xpay_refund_notify").await?;
    t.kv("received", arrival(&r, w)?)?;
    let Event::Refund(e) = r.event() else {
        return Err(Failure::msg("mistyped push"));
    };
    let id = or_none(e.mch_refund_id.as_deref());
    let of = or_none(e.mch_order_id.as_deref());
    let (refunded, code) = (or_none(e.refund_fee), or_none(e.ret_code));
    let fields = format!("MchRefundId {id}, MchOrderId {of}");
    let more = format!("RefundFee {refunded}, RetCode {code}");
    let name = "xpay_refund_notify (Event::Refund)";
    t.kv("event", format_args!("{name}: {fields}, {more}"))?;
    expect_eq("RefundFee", e.refund_fee, Some(fee))?;
    let (event, wait) = ("xpay_refund_notify", Duration::from_secs(10));
    let done = w.mock.delivery(event, REFUND_ORDER, wait).await;
    expect_eq("acknowledged", done.map(|d| d.delivered), Some(true))?;
    let order = goods_order(w).await?;
    let status = order.status.as_ref().map(|s| format!("{} ({s})", s.wire()));
    let (status, left) = (or_none(status), or_none(order.left_fee));
    let line = format!("status {status}, left_fee {left}");
    t.detail(format_args!("query_order → {line}"))?;
    expect_eq("status", order.status, Some(OrderStatus::Refunded))?;
    t.detail("checked: refunded in full, push acknowledged")
}

/// 8: spending more than the balance: WeChat's errcode, in words.
async fn overdraft(t: &mut Tour, w: &World) -> Res<()> {
    t.step("an overdraft, explained")?;
    let before = balance(w).await?.balance.unwrap_or_default();
    let amount = before + 1;
    t.detail(format_args!("currency_pay {amount} tokens of {before}"))?;
    let pay = spend(w, OVERDRAFT_ORDER, amount);
    let refused = w.client.send_user(pay, &w.sk).await.err();
    let err = refused.ok_or_else(|| Failure::msg("an overdraft passed"))?;
    t.kv("error", &err)?;
    expect_eq("errcode", err.errcode(), Some(INSUFFICIENT_BALANCE))?;
    let meta = SPEC.error(INSUFFICIENT_BALANCE);
    let meta = meta.ok_or_else(|| Failure::msg("no 268490006 in the spec"))?;
    t.kv("errcode", format_args!("{} = {}", meta.code, meta.name))?;
    t.kv("meaning", meta.message)?;
    ledger(w, before)?;
    t.detail(format_args!("checked: the balance is still {before}"))
}

/// The next push the receiver got, which must be of event `want`.
async fn next(w: &mut World, want: &str) -> Res<ReceivedPush> {
    let got = w.inbox.next().await;
    let r = got.map_err(|e| Failure::msg(format_args!("the {want} push: {e}")))?;
    expect_eq("event", r.event().name(), want)?;
    Ok(r)
}

/// How a push arrived, in one line: encrypted, verified, for the demo's app.
fn arrival(r: &ReceivedPush, w: &World) -> Res<String> {
    let (raw, app) = (&r.push.raw, &w.mock.credentials().app_id);
    expect_eq("encrypted", raw.encrypted, true)?;
    expect_eq("appid", raw.app_id.as_ref(), Some(app))?;
    let (format, what) = (raw.envelope_format, "msg_signature verified, decrypted");
    Ok(format!("{format}: {what}, appid {app}"))
}

async fn balance(w: &World) -> Res<QueryUserBalanceResponse> {
    let request = QueryUserBalanceRequest::new(&w.openid, USER_IP);
    Ok(w.client.send_user(request, &w.sk).await?)
}

/// The fake WeChat's own ledger must hold `want`.
fn ledger(w: &World, want: i64) -> Res<()> {
    let held = w.mock.balance(&w.openid, Env::Production).balance;
    expect_eq("balance in the fake WeChat's ledger", held, want)
}

fn spend(w: &World, order_id: &str, amount: i64) -> CurrencyPayRequest {
    let items = JsonString(vec![PayItem::new(PRODUCT, amount, 1)]);
    let remark = format!("demo: 1 × {PRODUCT}");
    CurrencyPayRequest::new(&w.openid, USER_IP, amount, order_id, items, remark)
}

async fn goods_order(w: &World) -> Res<Order> {
    let request = QueryOrderRequest::new(&w.openid, OrderRef::order_id(GOODS_ORDER));
    let order = w.client.send(request).await?.order;
    order.ok_or_else(|| Failure::msg(format_args!("no order {GOODS_ORDER}")))
}
