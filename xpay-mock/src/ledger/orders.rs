//! Cash orders (现金订单): what WeChat records when it charges a user
//! ([`MockServer::pay`](crate::MockServer::pay)), their delivery, and their refunds:
//! `query_order`, `notify_provide_goods` and `refund_order`.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use xpay::Env;
use xpay::api::{
    BizType, CoinInfo, CoinPayEvent, EnvType, Event, GoodsDeliverEvent, GoodsInfo,
    NotifyProvideGoodsResponse, Order, OrderRef, OrderStatus, OrderType, QueryOrderRequest,
    QueryOrderResponse, RefundEvent, RefundOrderRequest, RefundOrderResponse, SettState,
    WeChatPayInfo,
};

use super::ids::{Ids, Key, duplicate, key};
use super::money::positive;
use crate::answer::Reject;
use crate::errcodes::{INVALID_FIELD, LEFT_FEE_MISMATCH, OPENID_WRONG};
use xpay::clock::unix_now;

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
    /// 2 paid, 4 delivered, 5 refunded ([`OrderStatus`] wire values).
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
    /// The `order` object of `query_order`, typed: WeChat's field names, every field set.
    pub fn to_order(&self) -> Order {
        Order::new()
            .with_order_id(self.order_id.as_str())
            .with_create_time(self.create_time)
            .with_update_time(self.update_time)
            .with_status(OrderStatus::from_wire(self.status))
            .with_biz_type(BizType::ShortDrama)
            .with_order_fee(self.order_fee)
            .with_coupon_fee(0)
            .with_paid_fee(self.paid_fee)
            .with_order_type(OrderType::Payment)
            .with_refund_fee(self.refund_fee)
            .with_paid_time(self.paid_time)
            .with_provide_time(self.provide_time)
            .with_biz_meta(self.biz_meta.as_str())
            .with_env_type(match self.env {
                Env::Production => EnvType::Production,
                Env::Sandbox => EnvType::Sandbox,
            })
            .with_token("")
            .with_left_fee(self.left_fee)
            .with_wx_order_id(self.wx_order_id.as_str())
            .with_channel_order_id(self.mch_order_no.as_str())
            .with_wxpay_order_id(self.transaction_id.as_str())
            .with_sett_time(0)
            .with_sett_state(SettState::NotStarted)
            .with_platform_fee_fen(0)
            .with_cps_fee_fen(0)
    }

    /// [`to_order`](Self::to_order) as JSON.
    pub fn to_order_json(&self) -> Value {
        serde_json::to_value(self.to_order()).unwrap_or(Value::Null)
    }
}

/// Every cash order, by merchant id and by WeChat id, and the refund ids used.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    orders: HashMap<Key, CashOrder>,
    wx_orders: HashMap<Key, String>,
    refunds: HashSet<Key>,
    ids: Ids,
}

impl Orders {
    /// A cash order by merchant order id.
    pub(crate) fn order(&self, env: Env, order_id: &str) -> Option<&CashOrder> {
        self.orders.get(&key(env, order_id))
    }

    /// Checks a payment before anything moves: its fee (`quantity × price`, fen), or the
    /// errcode it answers.
    pub(crate) fn check_payment(&self, p: &Payment) -> Result<i64, Reject> {
        if p.openid.is_empty() {
            return Err(Reject::field("openid", "is empty"));
        }
        if let Some(field) =
            <xpay::api::PaymentOrder as xpay::PaymentSpec>::META.field("outTradeNo")
        {
            field
                .check("payment", &Value::from(p.out_trade_no.as_str()))
                .map_err(|e| Reject::new(INVALID_FIELD, e.to_string()))?;
        }
        positive("quantity", p.quantity)?;
        positive("price", p.price)?;
        if p.mode == PayMode::Goods && p.product_id.as_deref().unwrap_or_default().is_empty() {
            return Err(Reject::field("product_id", "is required in goods mode"));
        }
        if self.orders.contains_key(&key(p.env, &p.out_trade_no)) {
            return Err(duplicate("payment out_trade_no", &p.out_trade_no));
        }
        p.quantity
            .checked_mul(p.price)
            .ok_or_else(|| super::money::too_large("quantity × price"))
    }

    /// Records a payment that passed [`check_payment`](Self::check_payment): the order in
    /// status 2 (paid) and the delivery event to push.
    pub(crate) fn record_paid(&mut self, p: &Payment, fee: i64) -> (CashOrder, Event) {
        let now = unix_now();
        let order = CashOrder {
            order_id: p.out_trade_no.clone(),
            wx_order_id: self.ids.next("1", 20),
            openid: p.openid.clone(),
            env: p.env,
            mode: p.mode,
            product_id: p.product_id.clone(),
            quantity: p.quantity,
            price: p.price,
            attach: p.attach.clone(),
            status: OrderStatus::Paid.wire(),
            order_fee: fee,
            paid_fee: fee,
            left_fee: fee,
            refund_fee: 0,
            create_time: now,
            update_time: now,
            paid_time: now,
            provide_time: 0,
            mch_order_no: self.ids.next("MOCK", 24),
            transaction_id: self.ids.next("4200", 28),
            biz_meta: String::new(),
        };
        self.wx_orders
            .insert(key(p.env, &order.wx_order_id), order.order_id.clone());
        self.orders
            .insert(key(p.env, &order.order_id), order.clone());
        let pay_info = WeChatPayInfo::new()
            .with_mch_order_no(order.mch_order_no.as_str())
            .with_transaction_id(order.transaction_id.as_str())
            .with_paid_time(now);
        let event = match p.mode {
            PayMode::Coin => Event::CoinPay(
                CoinPayEvent::new()
                    .with_open_id(p.openid.as_str())
                    .with_out_trade_no(p.out_trade_no.as_str())
                    .with_env(p.env)
                    .with_wechat_pay_info(pay_info)
                    .with_coin_info(
                        CoinInfo::new()
                            .with_quantity(p.quantity)
                            .with_orig_price(fee)
                            .with_actual_price(fee)
                            .with_attach(p.attach.as_str()),
                    ),
            ),
            PayMode::Goods => Event::GoodsDeliver(
                GoodsDeliverEvent::new()
                    .with_open_id(p.openid.as_str())
                    .with_out_trade_no(p.out_trade_no.as_str())
                    .with_env(p.env)
                    .with_wechat_pay_info(pay_info)
                    .with_goods_info(
                        GoodsInfo::new()
                            .with_product_id(order.product_id.clone().unwrap_or_default())
                            .with_quantity(p.quantity)
                            .with_orig_price(fee)
                            .with_actual_price(fee)
                            .with_attach(p.attach.as_str()),
                    ),
            ),
        };
        (order, event)
    }

    /// Finds a cash order by `order_id` or `wx_order_id`: its key, or 268490002 naming the
    /// field.
    fn find(&self, order: &OrderRef, env: Env) -> Result<Key, Reject> {
        match order {
            OrderRef::OrderId(id) => {
                let k = key(env, id);
                if self.orders.contains_key(&k) {
                    Ok(k)
                } else {
                    Err(Reject::field(
                        "order_id",
                        format!("no order {id} in env {}", env.as_u8()),
                    ))
                }
            }
            OrderRef::WxOrderId(wx) => self
                .wx_orders
                .get(&key(env, wx))
                .map(|id| key(env, id))
                .ok_or_else(|| {
                    Reject::field(
                        "wx_order_id",
                        format!("no order {wx} in env {}", env.as_u8()),
                    )
                }),
            _ => Err(Reject::field(
                "order_id",
                "give exactly one of order_id and wx_order_id",
            )),
        }
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

    /// `query_order`: the payer's order.
    pub(crate) fn query(
        &self,
        r: &QueryOrderRequest,
        env: Env,
    ) -> Result<QueryOrderResponse, Reject> {
        let k = self.find(&r.order, env)?;
        let order = self
            .orders
            .get(&k)
            .ok_or_else(|| Reject::field("order_id", "not found"))?;
        Self::check_payer(order, &r.openid)?;
        Ok(QueryOrderResponse::new().with_order(order.to_order()))
    }

    /// `notify_provide_goods`: the merchant delivered the order itself.
    pub(crate) fn notify_provide_goods(
        &mut self,
        order: &OrderRef,
        env: Env,
    ) -> Result<NotifyProvideGoodsResponse, Reject> {
        let k = self.find(order, env)?;
        self.mark_delivered(&k);
        Ok(NotifyProvideGoodsResponse::new())
    }

    fn mark_delivered(&mut self, k: &Key) {
        if let Some(order) = self.orders.get_mut(k)
            && order.status == OrderStatus::Paid.wire()
        {
            let now = unix_now();
            order.status = OrderStatus::Delivered.wire();
            order.provide_time = now;
            order.update_time = now;
        }
    }

    /// Marks an order delivered after its delivery push was acknowledged.
    pub(crate) fn delivered(&mut self, env: Env, order_id: &str) {
        self.mark_delivered(&key(env, order_id));
    }

    /// `refund_order`: refunds part or all of what is left, and the refund event to push.
    pub(crate) fn refund(
        &mut self,
        r: &RefundOrderRequest,
        env: Env,
    ) -> Result<(RefundOrderResponse, Event), Reject> {
        let refund_fee = positive("refund_fee", r.refund_fee)?;
        let k = self.find(&r.order, env)?;
        let refund_key = key(env, &r.refund_order_id);
        if self.refunds.contains(&refund_key) {
            return Err(duplicate(
                "refund_order refund_order_id",
                &r.refund_order_id,
            ));
        }
        let refund_wx_order_id = self.ids.next("5", 20);
        let wxpay_refund_id = self.ids.next("5030", 28);
        let order = self
            .orders
            .get_mut(&k)
            .ok_or_else(|| Reject::field("order_id", "not found"))?;
        Self::check_payer(order, &r.openid)?;
        if r.left_fee != order.left_fee {
            return Err(Reject::new(
                LEFT_FEE_MISMATCH,
                format!(
                    "left_fee mismatch: {} given, the order has {} left",
                    r.left_fee, order.left_fee
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
        if let Some(meta) = &r.biz_meta {
            order.biz_meta = meta.clone();
        }
        if order.left_fee == 0 {
            order.status = OrderStatus::Refunded.wire();
        }
        let response = RefundOrderResponse::new()
            .with_refund_order_id(r.refund_order_id.as_str())
            .with_refund_wx_order_id(refund_wx_order_id.as_str())
            .with_pay_order_id(order.order_id.as_str())
            .with_pay_wx_order_id(order.wx_order_id.as_str());
        let event = Event::Refund(
            RefundEvent::new()
                .with_open_id(order.openid.as_str())
                .with_wx_refund_id(refund_wx_order_id)
                .with_mch_refund_id(r.refund_order_id.as_str())
                .with_wx_order_id(order.wx_order_id.as_str())
                .with_mch_order_id(order.order_id.as_str())
                .with_refund_fee(refund_fee)
                .with_ret_code(0)
                .with_ret_msg("success")
                .with_refund_start_timestamp(now)
                .with_refund_succ_timestamp(now)
                .with_wxpay_refund_transaction_id(wxpay_refund_id)
                .with_retry_times(0),
        );
        self.refunds.insert(refund_key);
        Ok((response, event))
    }

    /// What the paid orders of an env brought in, net of refunds, fen.
    pub(crate) fn net_paid(&self, env: Env) -> i64 {
        self.orders
            .values()
            .filter(|o| o.env == env)
            .map(|o| o.paid_fee.saturating_sub(o.refund_fee))
            .fold(0i64, i64::saturating_add)
    }
}
