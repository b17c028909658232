//! The in-memory ledger: token balances, cash orders, refunds, withdrawals and item tasks.
//!
//! Token balances are kept per (openid, env) in two parts, as WeChat reports them: *saved*
//! tokens (bought with money: coin-mode payments made with [`MockServer::pay`]) and
//! *presented* tokens (gifted with `present_currency`). The totals obey, for every account and
//! at every moment:
//!
//! `balance = saved + present = sum_save + sum_present - sum_cost >= 0`
//!
//! | action | effect |
//! |---|---|
//! | `present_currency` | `present += amount`, `sum_present += amount` |
//! | coin payment ([`MockServer::pay`]) | `saved += quantity`, `sum_save += quantity` |
//! | `currency_pay` | deducts `amount`, presented tokens first by default ([`SpendOrder`]); `sum_cost += amount`; answers `order_id`, `balance`, `used_present_amount`; 268490006 when `amount > balance` |
//! | `cancel_currency_pay` | gives back `amount` (at most what the `pay_order_id` paid) to the parts it was taken from, saved first; `sum_cost -= amount`; one cancel per payment: another answers 268490005 |
//! | `query_user_balance` | `balance`, `present_balance`, `sum_save`, `sum_present`, `sum_balance = sum_save + sum_present`, `sum_cost`, `first_save_flag = (sum_save == 0)` |
//!
//! Every id that moves money is single-use per env and per kind (gift, payment, cancel, cash
//! order, refund, withdrawal): a repeat answers 268490004 and moves nothing, whatever its other
//! fields say. Amounts must be positive (268490002 otherwise).
//!
//! Cash orders come from [`MockServer::pay`] (WeChat charging the user): status 2 (paid),
//! `left_fee = paid_fee = order_fee = quantity × price`; status 4 (delivered) once the merchant
//! acknowledges the delivery push or calls `notify_provide_goods`. `refund_order` checks that
//! `left_fee` equals the order's (268490016 otherwise), that `refund_fee <= left_fee`, reduces
//! `left_fee`, sets status 5 (refunded) when it reaches 0, and pushes `xpay_refund_notify`.
//! Refunding a coin order does not take its tokens back.
//!
//! The merchant balance (`query_biz_balance`, always the production figure, as WeChat's) is the
//! paid cash orders of the env minus their refunds and withdrawals; `create_withdraw_order`
//! withdraws `withdraw_amount` yuan (all of it when omitted), never more than that balance
//! (268490002), and succeeds at once (status 2).
//!
//! Item upload and publish tasks finish at once (status 3, or 2 when a published id was never
//! uploaded), so a second start never meets a running task: inject 268490012 with
//! [`MockServer::fail_next`] to test that path.
//!
//! [`MockServer::pay`]: crate::MockServer::pay
//! [`MockServer::fail_next`]: crate::MockServer::fail_next

use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use xpay::Env;

use crate::answer::Reject;
use crate::errcodes::{
    ALREADY_CANCELLED, DUPLICATE, INSUFFICIENT_BALANCE, LEFT_FEE_MISMATCH, OPENID_WRONG,
};
use crate::push::PushJob;
use crate::verify::Verified;

/// Which tokens `currency_pay` spends first. WeChat does not document it; the default spends
/// presented (gifted) tokens first, and `used_present_amount` reports how many were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendOrder {
    /// Presented tokens first, then saved ones.
    #[default]
    PresentFirst,
    /// Saved tokens first, then presented ones.
    SavedFirst,
}

/// What the user buys in a payment ([`MockServer::pay`](crate::MockServer::pay)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayMode {
    /// 代币充值 (`short_series_coin`): `quantity` tokens are credited to the saved balance and
    /// `xpay_coin_pay_notify` is pushed.
    Coin,
    /// 道具直购 (`short_series_goods`): an item; `xpay_goods_deliver_notify` is pushed.
    Goods,
}

impl FromStr for PayMode {
    type Err = String;

    /// `coin` / `goods`, or the `wx.requestVirtualPayment` modes `short_series_coin` /
    /// `short_series_goods`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "coin" | "short_series_coin" => Ok(PayMode::Coin),
            "goods" | "short_series_goods" => Ok(PayMode::Goods),
            other => Err(format!("mode must be coin or goods, got {other:?}")),
        }
    }
}

/// A user's token account in one env.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// `saved + present`.
    pub balance: i64,
    /// Tokens bought with money.
    pub saved: i64,
    /// Tokens gifted with `present_currency`.
    pub present: i64,
    /// Tokens ever bought.
    pub sum_save: i64,
    /// Tokens ever gifted.
    pub sum_present: i64,
    /// Tokens spent, net of cancels.
    pub sum_cost: i64,
}

impl Balance {
    fn fix_total(&mut self) {
        self.balance = self.saved.saturating_add(self.present);
    }
}

/// A payment made by WeChat on a user's behalf: what [`MockServer::pay`] and `POST /mock/pay`
/// take.
///
/// [`MockServer::pay`]: crate::MockServer::pay
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// The payer.
    pub openid: String,
    /// The merchant order id (`outTradeNo`: 8–32 of `[0-9A-Za-z_\-|*@]`, not starting with `_`).
    pub out_trade_no: String,
    /// Coin or goods.
    pub mode: PayMode,
    /// Tokens (coin mode) or items (goods mode), at least 1.
    pub quantity: i64,
    /// Unit price in fen, at least 1 (default 1: a token costs 1 fen).
    #[serde(default = "one")]
    pub price: i64,
    /// The item id; required in goods mode.
    #[serde(default)]
    pub product_id: Option<String>,
    /// Pass-through data echoed in the push.
    #[serde(default)]
    pub attach: String,
    /// 0 production (default) or 1 sandbox.
    #[serde(default)]
    pub env: Env,
}

fn one() -> i64 {
    1
}

impl Payment {
    /// A coin-mode payment of `quantity` tokens at 1 fen each, in production.
    pub fn coin(openid: impl Into<String>, out_trade_no: impl Into<String>, quantity: i64) -> Self {
        Payment {
            openid: openid.into(),
            out_trade_no: out_trade_no.into(),
            mode: PayMode::Coin,
            quantity,
            price: 1,
            product_id: None,
            attach: String::new(),
            env: Env::Production,
        }
    }

    /// A goods-mode payment of `quantity` items at `price` fen each, in production.
    pub fn goods(
        openid: impl Into<String>,
        out_trade_no: impl Into<String>,
        product_id: impl Into<String>,
        price: i64,
        quantity: i64,
    ) -> Self {
        Payment {
            openid: openid.into(),
            out_trade_no: out_trade_no.into(),
            mode: PayMode::Goods,
            quantity,
            price,
            product_id: Some(product_id.into()),
            attach: String::new(),
            env: Env::Production,
        }
    }

    /// Sets the env.
    pub fn with_env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Sets the pass-through data.
    pub fn with_attach(mut self, attach: impl Into<String>) -> Self {
        self.attach = attach.into();
        self
    }

    /// Sets the unit price in fen.
    pub fn with_price(mut self, price: i64) -> Self {
        self.price = price;
        self
    }
}

/// A cash order, as `query_order` reports it (plus who paid and for what).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashOrder {
    /// The merchant order id (`out_trade_no`).
    pub order_id: String,
    /// WeChat's order id (digits).
    pub wx_order_id: String,
    /// The payer.
    pub openid: String,
    /// The env the order lives in.
    pub env: Env,
    /// Coin or goods.
    pub mode: PayMode,
    /// The item id (goods mode).
    pub product_id: Option<String>,
    /// Tokens or items bought.
    pub quantity: i64,
    /// The unit price in fen.
    pub price: i64,
    /// The pass-through data.
    pub attach: String,
    /// 2 paid, 4 delivered, 5 refunded.
    pub status: i64,
    /// `quantity × price`, fen.
    pub order_fee: i64,
    /// What the user paid, fen (= `order_fee`: no coupons).
    pub paid_fee: i64,
    /// Still refundable, fen.
    pub left_fee: i64,
    /// Refunded so far, fen.
    pub refund_fee: i64,
    /// Creation time, unix seconds.
    pub create_time: i64,
    /// Last change, unix seconds.
    pub update_time: i64,
    /// Payment time, unix seconds.
    pub paid_time: i64,
    /// Delivery time, unix seconds (0 until delivered).
    pub provide_time: i64,
    /// The WeChat Pay merchant order number (`MchOrderNo`, `channel_order_id`).
    pub mch_order_no: String,
    /// The WeChat Pay transaction id (`TransactionId`, `wxpay_order_id`): a digit string.
    pub transaction_id: String,
    /// Merchant metadata from the last refund.
    pub biz_meta: String,
}

impl CashOrder {
    /// The `order` object of `query_order`, with WeChat's field names.
    pub fn to_order_json(&self) -> Value {
        json!({
            "order_id": self.order_id,
            "create_time": self.create_time,
            "update_time": self.update_time,
            "status": self.status,
            "biz_type": 0,
            "order_fee": self.order_fee,
            "coupon_fee": 0,
            "paid_fee": self.paid_fee,
            "order_type": 0,
            "refund_fee": self.refund_fee,
            "paid_time": self.paid_time,
            "provide_time": self.provide_time,
            "biz_meta": self.biz_meta,
            "env_type": match self.env { Env::Production => 1, Env::Sandbox => 2 },
            "token": "",
            "left_fee": self.left_fee,
            "wx_order_id": self.wx_order_id,
            "channel_order_id": self.mch_order_no,
            "wxpay_order_id": self.transaction_id,
            "sett_time": 0,
            "sett_state": 0,
            "platform_fee_fen": 0,
            "cps_fee_fen": 0,
        })
    }
}

#[derive(Debug, Clone)]
struct PayRecord {
    openid: String,
    amount: i64,
    used_present: i64,
    cancelled: bool,
}

#[derive(Debug, Clone)]
struct Withdrawal {
    wx_withdraw_no: String,
    amount_fen: i64,
    create_time: i64,
}

/// What a modeled action answers: its fields, and maybe a push to send.
#[derive(Debug)]
pub(crate) struct Handled {
    pub fields: Map<String, Value>,
    pub push: Option<PushJob>,
}

impl Handled {
    fn fields(v: Value) -> Self {
        Handled {
            fields: match v {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            push: None,
        }
    }
}

type Key = (Env, String);

/// The whole ledger.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    spend_order: SpendOrder,
    accounts: HashMap<(String, Env), Balance>,
    presents: HashSet<Key>,
    pays: HashMap<Key, PayRecord>,
    cancels: HashSet<Key>,
    orders: HashMap<Key, CashOrder>,
    wx_orders: HashMap<Key, String>,
    refunds: HashMap<Key, Value>,
    withdrawals: HashMap<Key, Withdrawal>,
    catalogue: HashMap<Env, BTreeSet<String>>,
    upload_task: HashMap<Env, Vec<Value>>,
    publish_task: HashMap<Env, Vec<Value>>,
    seq: u64,
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn str_field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, Reject> {
    body.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| Reject::field(name, "is required"))
}

fn opt_str<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

fn int_field(body: &Map<String, Value>, name: &str) -> Result<i64, Reject> {
    body.get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| Reject::field(name, "must be an integer"))
}

fn positive(name: &str, v: i64) -> Result<i64, Reject> {
    if v > 0 {
        Ok(v)
    } else {
        Err(Reject::field(name, format!("is {v}; it must be positive")))
    }
}

fn too_large(name: &str) -> Reject {
    Reject::field(name, "is too large")
}

fn duplicate(what: &str, id: &str) -> Reject {
    Reject::new(
        DUPLICATE,
        format!("duplicate operation: {what} {id} already succeeded"),
    )
}

/// Formats fen as yuan: `1` → `"0.01"`.
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

/// Parses a positive yuan amount with at most two decimals: `"0.01"` → `1`.
pub(crate) fn parse_yuan(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && frac.is_empty())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        let f: i64 = frac.parse().ok()?;
        if frac.len() == 1 { f * 10 } else { f }
    };
    whole.checked_mul(100)?.checked_add(frac)
}

impl Ledger {
    pub(crate) fn new(spend_order: SpendOrder) -> Self {
        Ledger {
            spend_order,
            ..Ledger::default()
        }
    }

    fn next_digits(&mut self, prefix: &str, width: usize) -> String {
        self.seq += 1;
        let r: u64 = rand::random::<u64>() % 1_000_000;
        let mut s = format!("{prefix}{}{:06}{:06}", unix_now(), self.seq % 1_000_000, r);
        while s.len() < width {
            s.push('0');
        }
        s
    }

    /// A user's balance (zeros for a user never seen).
    pub(crate) fn balance(&self, openid: &str, env: Env) -> Balance {
        self.accounts
            .get(&(openid.to_string(), env))
            .copied()
            .unwrap_or_default()
    }

    /// Every account, for invariant checks.
    #[cfg(test)]
    pub(crate) fn accounts(&self) -> impl Iterator<Item = (&(String, Env), &Balance)> {
        self.accounts.iter()
    }

    /// A cash order by merchant order id.
    pub(crate) fn order(&self, env: Env, order_id: &str) -> Option<&CashOrder> {
        self.orders.get(&(env, order_id.to_string()))
    }

    /// Runs a modeled action; `None` when the ledger has no model for it.
    pub(crate) fn handle(
        &mut self,
        action: &str,
        req: &Verified,
    ) -> Option<Result<Handled, Reject>> {
        let b = &req.body;
        let env = req.env;
        Some(match action {
            "query_user_balance" => str_field(b, "openid").map(|o| self.query_balance(o, env)),
            "present_currency" => self.present(b, env),
            "currency_pay" => self.currency_pay(b, env),
            "cancel_currency_pay" => self.cancel(b, env),
            "query_order" => self.query_order(b, env),
            "refund_order" => self.refund_order(b, env),
            "notify_provide_goods" => self.notify_provide_goods(b, env),
            "create_withdraw_order" => self.create_withdraw(b, env),
            "query_withdraw_order" => self.query_withdraw(b, env),
            "query_biz_balance" => Ok(Handled::fields(json!({
                "balance_available": {
                    "amount": yuan(self.merchant_balance(Env::Production).max(0)),
                    "currency_code": "CNY",
                }
            }))),
            "start_upload_goods" => self.start_upload(b, env),
            "query_upload_goods" => Ok(self.query_task(env, false)),
            "start_publish_goods" => self.start_publish(b, env),
            "query_publish_goods" => Ok(self.query_task(env, true)),
            _ => return None,
        })
    }

    fn query_balance(&self, openid: &str, env: Env) -> Handled {
        let a = self.balance(openid, env);
        Handled::fields(json!({
            "balance": a.balance,
            "present_balance": a.present,
            "sum_save": a.sum_save,
            "sum_present": a.sum_present,
            "sum_balance": a.sum_save.saturating_add(a.sum_present),
            "sum_cost": a.sum_cost,
            "first_save_flag": a.sum_save == 0,
        }))
    }

    fn present(&mut self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let openid = str_field(b, "openid")?;
        let order_id = str_field(b, "order_id")?;
        let amount = positive("amount", int_field(b, "amount")?)?;
        let key = (env, order_id.to_string());
        if self.presents.contains(&key) {
            return Err(duplicate("present_currency order_id", order_id));
        }
        let mut acct = self.balance(openid, env);
        acct.present = acct
            .present
            .checked_add(amount)
            .ok_or_else(|| too_large("amount"))?;
        acct.sum_present = acct
            .sum_present
            .checked_add(amount)
            .ok_or_else(|| too_large("amount"))?;
        acct.fix_total();
        self.accounts.insert((openid.to_string(), env), acct);
        self.presents.insert(key);
        Ok(Handled::fields(json!({
            "balance": acct.balance,
            "order_id": order_id,
            "present_balance": acct.present,
        })))
    }

    fn currency_pay(&mut self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let openid = str_field(b, "openid")?;
        let order_id = str_field(b, "order_id")?;
        let amount = positive("amount", int_field(b, "amount")?)?;
        let key = (env, order_id.to_string());
        if self.pays.contains_key(&key) {
            return Err(duplicate("currency_pay order_id", order_id));
        }
        let mut acct = self.balance(openid, env);
        if amount > acct.balance {
            return Err(Reject::new(
                INSUFFICIENT_BALANCE,
                format!(
                    "insufficient balance: the user has {} tokens and {amount} were asked",
                    acct.balance
                ),
            ));
        }
        let (from_present, from_saved) = match self.spend_order {
            SpendOrder::PresentFirst => {
                let p = acct.present.min(amount);
                (p, amount - p)
            }
            SpendOrder::SavedFirst => {
                let s = acct.saved.min(amount);
                (amount - s, s)
            }
        };
        acct.present -= from_present;
        acct.saved -= from_saved;
        acct.sum_cost = acct
            .sum_cost
            .checked_add(amount)
            .ok_or_else(|| too_large("amount"))?;
        acct.fix_total();
        self.accounts.insert((openid.to_string(), env), acct);
        self.pays.insert(
            key,
            PayRecord {
                openid: openid.to_string(),
                amount,
                used_present: from_present,
                cancelled: false,
            },
        );
        Ok(Handled::fields(json!({
            "order_id": order_id,
            "balance": acct.balance,
            "used_present_amount": from_present,
        })))
    }

    fn cancel(&mut self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let openid = str_field(b, "openid")?;
        let pay_order_id = str_field(b, "pay_order_id")?;
        let order_id = str_field(b, "order_id")?;
        let amount = positive("amount", int_field(b, "amount")?)?;
        let key = (env, order_id.to_string());
        if self.cancels.contains(&key) {
            return Err(duplicate("cancel_currency_pay order_id", order_id));
        }
        let Some(pay) = self.pays.get(&(env, pay_order_id.to_string())) else {
            return Err(Reject::field(
                "pay_order_id",
                format!(
                    "no currency_pay with order_id {pay_order_id} in env {}",
                    env.as_u8()
                ),
            ));
        };
        if pay.openid != openid {
            return Err(Reject::new(
                OPENID_WRONG,
                format!("openid wrong: currency_pay {pay_order_id} was paid by another user"),
            ));
        }
        if pay.cancelled {
            return Err(Reject::new(
                ALREADY_CANCELLED,
                format!("currency_pay {pay_order_id} was already refunded by cancel_currency_pay"),
            ));
        }
        if amount > pay.amount {
            return Err(Reject::field(
                "amount",
                format!(
                    "is {amount}; it must not exceed the {} tokens paid",
                    pay.amount
                ),
            ));
        }
        let saved_part = pay.amount - pay.used_present;
        let to_saved = amount.min(saved_part);
        let to_present = amount - to_saved;
        let mut acct = self.balance(openid, env);
        acct.saved = acct
            .saved
            .checked_add(to_saved)
            .ok_or_else(|| too_large("amount"))?;
        acct.present = acct
            .present
            .checked_add(to_present)
            .ok_or_else(|| too_large("amount"))?;
        acct.sum_cost -= amount;
        acct.fix_total();
        self.accounts.insert((openid.to_string(), env), acct);
        if let Some(pay) = self.pays.get_mut(&(env, pay_order_id.to_string())) {
            pay.cancelled = true;
        }
        self.cancels.insert(key);
        Ok(Handled::fields(json!({ "order_id": order_id })))
    }

    /// Finds a cash order by `order_id` or `wx_order_id`: its key, or 268490002 naming the field.
    fn find_order(&self, b: &Map<String, Value>, env: Env) -> Result<Key, Reject> {
        if let Some(id) = opt_str(b, "order_id") {
            let key = (env, id.to_string());
            return if self.orders.contains_key(&key) {
                Ok(key)
            } else {
                Err(Reject::field(
                    "order_id",
                    format!("no order {id} in env {}", env.as_u8()),
                ))
            };
        }
        let wx = opt_str(b, "wx_order_id").unwrap_or_default();
        self.wx_orders
            .get(&(env, wx.to_string()))
            .map(|id| (env, id.clone()))
            .ok_or_else(|| {
                Reject::field(
                    "wx_order_id",
                    format!("no order {wx} in env {}", env.as_u8()),
                )
            })
    }

    fn check_payer(order: &CashOrder, openid: &str) -> Result<(), Reject> {
        if order.openid == openid {
            Ok(())
        } else {
            Err(Reject::new(
                OPENID_WRONG,
                format!(
                    "openid wrong: order {} was paid by another user",
                    order.order_id
                ),
            ))
        }
    }

    fn query_order(&self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let openid = str_field(b, "openid")?;
        let key = self.find_order(b, env)?;
        let order = self
            .orders
            .get(&key)
            .ok_or_else(|| Reject::field("order_id", "not found"))?;
        Self::check_payer(order, openid)?;
        Ok(Handled::fields(json!({ "order": order.to_order_json() })))
    }

    fn notify_provide_goods(
        &mut self,
        b: &Map<String, Value>,
        env: Env,
    ) -> Result<Handled, Reject> {
        let key = self.find_order(b, env)?;
        self.mark_delivered(&key);
        Ok(Handled::fields(json!({})))
    }

    fn mark_delivered(&mut self, key: &Key) {
        if let Some(order) = self.orders.get_mut(key)
            && order.status == 2
        {
            let now = unix_now();
            order.status = 4;
            order.provide_time = now;
            order.update_time = now;
        }
    }

    /// Marks an order delivered after its delivery push was acknowledged.
    pub(crate) fn delivered(&mut self, env: Env, order_id: &str) {
        self.mark_delivered(&(env, order_id.to_string()));
    }

    fn refund_order(&mut self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let openid = str_field(b, "openid")?;
        let refund_order_id = str_field(b, "refund_order_id")?;
        let left_fee = int_field(b, "left_fee")?;
        let refund_fee = positive("refund_fee", int_field(b, "refund_fee")?)?;
        let key = self.find_order(b, env)?;
        let refund_key = (env, refund_order_id.to_string());
        if self.refunds.contains_key(&refund_key) {
            return Err(duplicate("refund_order refund_order_id", refund_order_id));
        }
        let refund_wx_order_id = self.next_digits("5", 20);
        let wxpay_refund_id = self.next_digits("5030", 28);
        let order = self
            .orders
            .get_mut(&key)
            .ok_or_else(|| Reject::field("order_id", "not found"))?;
        Self::check_payer(order, openid)?;
        if left_fee != order.left_fee {
            return Err(Reject::new(
                LEFT_FEE_MISMATCH,
                format!(
                    "left_fee mismatch: {left_fee} given, the order has {} left",
                    order.left_fee
                ),
            ));
        }
        if refund_fee > order.left_fee {
            return Err(Reject::field(
                "refund_fee",
                format!(
                    "is {refund_fee}; it must not exceed left_fee {}",
                    order.left_fee
                ),
            ));
        }
        let now = unix_now();
        order.left_fee -= refund_fee;
        order.refund_fee += refund_fee;
        order.update_time = now;
        if let Some(meta) = opt_str(b, "biz_meta") {
            order.biz_meta = meta.to_string();
        }
        if order.left_fee == 0 {
            order.status = 5;
        }
        let fields = json!({
            "refund_order_id": refund_order_id,
            "refund_wx_order_id": refund_wx_order_id,
            "pay_order_id": order.order_id,
            "pay_wx_order_id": order.wx_order_id,
        });
        let mut push = Map::new();
        push.insert("OpenId".into(), Value::from(order.openid.clone()));
        push.insert("WxRefundId".into(), Value::from(refund_wx_order_id));
        push.insert("MchRefundId".into(), Value::from(refund_order_id));
        push.insert("WxOrderId".into(), Value::from(order.wx_order_id.clone()));
        push.insert("MchOrderId".into(), Value::from(order.order_id.clone()));
        push.insert("RefundFee".into(), Value::from(refund_fee));
        push.insert("RetCode".into(), Value::from(0));
        push.insert("RetMsg".into(), Value::from("success"));
        push.insert("RefundStartTimestamp".into(), Value::from(now));
        push.insert("RefundSuccTimestamp".into(), Value::from(now));
        push.insert(
            "WxpayRefundTransactionId".into(),
            Value::from(wxpay_refund_id),
        );
        push.insert("RetryTimes".into(), Value::from(0));
        self.refunds.insert(refund_key, fields.clone());
        let mut handled = Handled::fields(fields);
        handled.push = Some(PushJob {
            event: "xpay_refund_notify",
            key: refund_order_id.to_string(),
            env,
            order_id: None,
            fields: push,
        });
        Ok(handled)
    }

    /// Paid minus refunded minus withdrawn, fen.
    fn merchant_balance(&self, env: Env) -> i64 {
        let paid: i64 = self
            .orders
            .values()
            .filter(|o| o.env == env)
            .map(|o| o.paid_fee.saturating_sub(o.refund_fee))
            .fold(0i64, i64::saturating_add);
        let withdrawn: i64 = self
            .withdrawals
            .iter()
            .filter(|((e, _), _)| *e == env)
            .map(|(_, w)| w.amount_fen)
            .fold(0i64, i64::saturating_add);
        paid.saturating_sub(withdrawn)
    }

    fn create_withdraw(&mut self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let withdraw_no = str_field(b, "withdraw_no")?;
        let key = (env, withdraw_no.to_string());
        if self.withdrawals.contains_key(&key) {
            return Err(duplicate("create_withdraw_order withdraw_no", withdraw_no));
        }
        let available = self.merchant_balance(env).max(0);
        let amount = match opt_str(b, "withdraw_amount") {
            Some(text) => parse_yuan(text).filter(|f| *f > 0).ok_or_else(|| {
                Reject::field(
                    "withdraw_amount",
                    format!("is {text:?}; it must be a positive amount in yuan such as \"0.01\""),
                )
            })?,
            None => available,
        };
        if amount == 0 || amount > available {
            return Err(Reject::field(
                "withdraw_amount",
                format!(
                    "is {}; the withdrawable balance is {}",
                    yuan(amount),
                    yuan(available)
                ),
            ));
        }
        let wx_withdraw_no = self.next_digits("9", 24);
        self.withdrawals.insert(
            key,
            Withdrawal {
                wx_withdraw_no: wx_withdraw_no.clone(),
                amount_fen: amount,
                create_time: unix_now(),
            },
        );
        Ok(Handled::fields(json!({
            "withdraw_no": withdraw_no,
            "wx_withdraw_no": wx_withdraw_no,
        })))
    }

    fn query_withdraw(&self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let withdraw_no = str_field(b, "withdraw_no")?;
        let w = self
            .withdrawals
            .get(&(env, withdraw_no.to_string()))
            .ok_or_else(|| {
                Reject::field(
                    "withdraw_no",
                    format!("no withdrawal {withdraw_no} in env {}", env.as_u8()),
                )
            })?;
        Ok(Handled::fields(json!({
            "withdraw_no": withdraw_no,
            "status": 2,
            "withdraw_amount": yuan(w.amount_fen),
            "wx_withdraw_no": w.wx_withdraw_no,
            "withdraw_success_timestamp": w.create_time.to_string(),
            "create_time": w.create_time.to_string(),
            "fail_reason": "",
        })))
    }

    fn start_upload(&mut self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let items = b
            .get("upload_item")
            .and_then(Value::as_array)
            .ok_or_else(|| Reject::field("upload_item", "must be an array"))?;
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
            self.catalogue
                .entry(env)
                .or_default()
                .insert(id.to_string());
            results.push(json!({
                "id": id,
                "name": item.get("name").cloned().unwrap_or_else(|| Value::from("")),
                "price": item.get("price").cloned().unwrap_or_else(|| Value::from(0)),
                "remark": item.get("remark").cloned().unwrap_or_else(|| Value::from("")),
                "item_url": item.get("item_url").cloned().unwrap_or_else(|| Value::from("")),
                "upload_status": 2,
                "errmsg": "",
            }));
        }
        self.upload_task.insert(env, results);
        Ok(Handled::fields(json!({})))
    }

    fn start_publish(&mut self, b: &Map<String, Value>, env: Env) -> Result<Handled, Reject> {
        let items = b
            .get("publish_item")
            .and_then(Value::as_array)
            .ok_or_else(|| Reject::field("publish_item", "must be an array"))?;
        let known = self.catalogue.get(&env);
        let results = items
            .iter()
            .map(|item| {
                let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
                if known.is_some_and(|k| k.contains(id)) {
                    json!({"id": id, "publish_status": 2, "errmsg": ""})
                } else {
                    json!({"id": id, "publish_status": 3, "errmsg": "id was never uploaded (start_upload_goods)"})
                }
            })
            .collect();
        self.publish_task.insert(env, results);
        Ok(Handled::fields(json!({})))
    }

    fn query_task(&self, env: Env, publish: bool) -> Handled {
        let (list, name, status_field) = if publish {
            (
                self.publish_task.get(&env),
                "publish_item",
                "publish_status",
            )
        } else {
            (self.upload_task.get(&env), "upload_item", "upload_status")
        };
        let (items, status) = match list {
            None => (Vec::new(), 0),
            Some(items) => {
                let all_ok = items
                    .iter()
                    .all(|i| i.get(status_field).and_then(Value::as_i64) == Some(2));
                (items.clone(), if all_ok { 3 } else { 2 })
            }
        };
        let mut m = Map::new();
        m.insert(name.into(), Value::Array(items));
        m.insert("status".into(), Value::from(status));
        Handled {
            fields: m,
            push: None,
        }
    }

    /// Records a payment WeChat made for a user: a cash order in status 2, tokens credited in
    /// coin mode, and the delivery push to send.
    pub(crate) fn record_payment(&mut self, p: &Payment) -> Result<(CashOrder, PushJob), Reject> {
        if p.openid.is_empty() {
            return Err(Reject::field("openid", "is empty"));
        }
        if let Some(field) =
            <xpay::api::PaymentOrder as xpay::PaymentSpec>::META.field("outTradeNo")
        {
            field
                .check("payment", &Value::from(p.out_trade_no.as_str()))
                .map_err(|e| Reject::new(crate::errcodes::INVALID_FIELD, e.to_string()))?;
        }
        positive("quantity", p.quantity)?;
        positive("price", p.price)?;
        let product_id = match (p.mode, p.product_id.as_deref()) {
            (PayMode::Goods, None | Some("")) => {
                return Err(Reject::field("product_id", "is required in goods mode"));
            }
            (_, id) => id.map(str::to_string),
        };
        let key = (p.env, p.out_trade_no.clone());
        if self.orders.contains_key(&key) {
            return Err(duplicate("payment out_trade_no", &p.out_trade_no));
        }
        let fee = p
            .quantity
            .checked_mul(p.price)
            .ok_or_else(|| too_large("quantity × price"))?;
        if p.mode == PayMode::Coin {
            let mut acct = self.balance(&p.openid, p.env);
            acct.saved = acct
                .saved
                .checked_add(p.quantity)
                .ok_or_else(|| too_large("quantity"))?;
            acct.sum_save = acct
                .sum_save
                .checked_add(p.quantity)
                .ok_or_else(|| too_large("quantity"))?;
            acct.fix_total();
            self.accounts.insert((p.openid.clone(), p.env), acct);
        }
        let now = unix_now();
        let order = CashOrder {
            order_id: p.out_trade_no.clone(),
            wx_order_id: self.next_digits("1", 20),
            openid: p.openid.clone(),
            env: p.env,
            mode: p.mode,
            product_id: product_id.clone(),
            quantity: p.quantity,
            price: p.price,
            attach: p.attach.clone(),
            status: 2,
            order_fee: fee,
            paid_fee: fee,
            left_fee: fee,
            refund_fee: 0,
            create_time: now,
            update_time: now,
            paid_time: now,
            provide_time: 0,
            mch_order_no: self.next_digits("MOCK", 24),
            transaction_id: self.next_digits("4200", 28),
            biz_meta: String::new(),
        };
        self.wx_orders
            .insert((p.env, order.wx_order_id.clone()), order.order_id.clone());
        self.orders.insert(key, order.clone());

        let mut fields = Map::new();
        fields.insert("OpenId".into(), Value::from(p.openid.clone()));
        fields.insert("OutTradeNo".into(), Value::from(p.out_trade_no.clone()));
        fields.insert("Env".into(), Value::from(p.env.as_u8()));
        fields.insert(
            "WeChatPayInfo".into(),
            json!({
                "MchOrderNo": order.mch_order_no,
                "TransactionId": order.transaction_id,
                "PaidTime": now,
            }),
        );
        let event = match p.mode {
            PayMode::Coin => {
                fields.insert(
                    "CoinInfo".into(),
                    json!({
                        "Quantity": p.quantity,
                        "OrigPrice": fee,
                        "ActualPrice": fee,
                        "Attach": p.attach,
                    }),
                );
                "xpay_coin_pay_notify"
            }
            PayMode::Goods => {
                fields.insert(
                    "GoodsInfo".into(),
                    json!({
                        "ProductId": product_id.unwrap_or_default(),
                        "Quantity": p.quantity,
                        "OrigPrice": fee,
                        "ActualPrice": fee,
                        "Attach": p.attach,
                    }),
                );
                "xpay_goods_deliver_notify"
            }
        };
        let job = PushJob {
            event,
            key: p.out_trade_no.clone(),
            env: p.env,
            order_id: Some(p.out_trade_no.clone()),
            fields,
        };
        Ok((order, job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn req(env: Env, body: Value) -> Verified {
        Verified {
            body: match body {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            env,
        }
    }

    fn call(l: &mut Ledger, action: &str, body: Value) -> Result<Map<String, Value>, i64> {
        match l.handle(action, &req(Env::Production, body)) {
            Some(Ok(h)) => Ok(h.fields),
            Some(Err(r)) => Err(r.errcode),
            None => Err(0),
        }
    }

    #[test]
    fn yuan_round_trips() {
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(12345), "123.45");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(parse_yuan("0.01"), Some(1));
        assert_eq!(parse_yuan("1.5"), Some(150));
        assert_eq!(parse_yuan("12"), Some(1200));
        for bad in [
            "",
            ".5",
            "1.",
            "1.234",
            "-1",
            "a",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn spend_orders() {
        for (order, used) in [(SpendOrder::PresentFirst, 5), (SpendOrder::SavedFirst, 0)] {
            let mut l = Ledger::new(order);
            let _ = l.record_payment(&Payment::coin("u", "coin_order_1", 10));
            assert!(
                call(
                    &mut l,
                    "present_currency",
                    json!({"openid":"u","order_id":"p1","amount":5})
                )
                .is_ok()
            );
            let r = call(
                &mut l,
                "currency_pay",
                json!({"openid":"u","order_id":"c1","amount":7}),
            );
            assert_eq!(
                r.ok().and_then(|m| m["used_present_amount"].as_i64()),
                Some(used)
            );
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Present(i64),
        Coin(i64),
        Pay(i64),
        Cancel(usize, i64),
        Repeat(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..50).prop_map(Op::Present),
            (1i64..50).prop_map(Op::Coin),
            (1i64..80).prop_map(Op::Pay),
            (0usize..8, 1i64..60).prop_map(|(i, a)| Op::Cancel(i, a)),
            (0usize..8).prop_map(Op::Repeat),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn ledger_invariants(ops in proptest::collection::vec(op(), 1..40), saved_first in any::<bool>()) {
            let mut l = Ledger::new(if saved_first { SpendOrder::SavedFirst } else { SpendOrder::PresentFirst });
            let mut expected = 0i64;
            let mut pays: Vec<(String, i64)> = Vec::new();
            for (n, op) in ops.iter().enumerate() {
                let before = l.balance("u", Env::Production).balance;
                match op {
                    Op::Present(a) => {
                        let r = call(&mut l, "present_currency", json!({"openid":"u","order_id":format!("p{n}"),"amount":a}));
                        prop_assert!(r.is_ok());
                        expected += a;
                    }
                    Op::Coin(q) => {
                        let r = l.record_payment(&Payment::coin("u", format!("coin_{n:06}"), *q));
                        prop_assert!(r.is_ok());
                        expected += q;
                    }
                    Op::Pay(a) => {
                        let r = call(&mut l, "currency_pay", json!({"openid":"u","order_id":format!("c{n}"),"amount":a}));
                        if *a > before {
                            prop_assert_eq!(r.err(), Some(INSUFFICIENT_BALANCE));
                        } else {
                            prop_assert!(r.is_ok());
                            expected -= a;
                            pays.push((format!("c{n}"), *a));
                        }
                    }
                    Op::Cancel(i, a) => {
                        if let Some((id, paid)) = pays.get(*i).cloned() {
                            let r = call(&mut l, "cancel_currency_pay", json!({"openid":"u","pay_order_id":id,"order_id":format!("r{n}"),"amount":a}));
                            match r {
                                Ok(_) => { prop_assert!(*a <= paid); expected += a; }
                                Err(code) => prop_assert!(code == ALREADY_CANCELLED || (code == crate::errcodes::INVALID_FIELD && *a > paid)),
                            }
                        }
                    }
                    Op::Repeat(i) => {
                        if let Some((id, _)) = pays.get(*i).cloned() {
                            let r = call(&mut l, "currency_pay", json!({"openid":"u","order_id":id,"amount":1}));
                            prop_assert_eq!(r.err(), Some(DUPLICATE));
                        }
                    }
                }
                for (_, b) in l.accounts() {
                    prop_assert!(b.saved >= 0 && b.present >= 0);
                    prop_assert_eq!(b.balance, b.saved + b.present);
                    prop_assert_eq!(b.balance, b.sum_save + b.sum_present - b.sum_cost);
                }
                prop_assert_eq!(l.balance("u", Env::Production).balance, expected);
            }
        }
    }
}
