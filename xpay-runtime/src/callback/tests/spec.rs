//! A small hand-written spec table: the push envelope and the coin-pay, goods-deliver and
//! refund events (reference §7). The real one is generated from `spec/xpay.yaml`.

use crate::meta::{EventMeta, FieldMeta, SpecMeta, TypeMeta};

const fn f(name: &'static str, ty: &'static TypeMeta) -> FieldMeta {
    FieldMeta::new(name, ty)
}

const S: &TypeMeta = &TypeMeta::String;
const I: &TypeMeta = &TypeMeta::Int;

static WECHAT_PAY_INFO: TypeMeta = TypeMeta::Object(
    "WeChatPayInfo",
    &[f("MchOrderNo", S), f("TransactionId", S), f("PaidTime", I)],
);
static COIN_INFO: TypeMeta = TypeMeta::Object(
    "CoinInfo",
    &[
        f("Quantity", I),
        f("OrigPrice", I),
        f("ActualPrice", I),
        f("Attach", S),
    ],
);
static GOODS_INFO: TypeMeta = TypeMeta::Object(
    "GoodsInfo",
    &[
        f("ProductId", S),
        f("Quantity", I),
        f("OrigPrice", I),
        f("ActualPrice", I),
        f("Attach", S),
    ],
);
static TEAM_INFO: TypeMeta = TypeMeta::Object(
    "TeamInfo",
    &[
        f("ActivityId", S),
        f("TeamId", S),
        f("TeamType", I),
        f("TeamAction", I),
    ],
);

static COIN_PAY: EventMeta = EventMeta {
    name: "xpay_coin_pay_notify",
    doc: "",
    dedup_key: &["OutTradeNo"],
    custom_reply: false,
    fields: &[
        f("OpenId", S),
        f("OutTradeNo", S),
        f("Env", &TypeMeta::Env),
        f("WeChatPayInfo", &WECHAT_PAY_INFO),
        f("CoinInfo", &COIN_INFO),
    ],
};
static GOODS_DELIVER: EventMeta = EventMeta {
    name: "xpay_goods_deliver_notify",
    doc: "",
    dedup_key: &["OutTradeNo"],
    custom_reply: false,
    fields: &[
        f("OpenId", S),
        f("OutTradeNo", S),
        f("Env", &TypeMeta::Env),
        f("WeChatPayInfo", &WECHAT_PAY_INFO),
        f("GoodsInfo", &GOODS_INFO),
        f("TeamInfo", &TEAM_INFO),
    ],
};
static REFUND: EventMeta = EventMeta {
    name: "xpay_refund_notify",
    doc: "",
    dedup_key: &["MchRefundId"],
    custom_reply: false,
    fields: &[
        f("OpenId", S),
        f("WxRefundId", S),
        f("MchRefundId", S),
        f("WxOrderId", S),
        f("MchOrderId", S),
        f("RefundFee", I),
        f("RetCode", I),
        f("RetMsg", S),
        f("RefundStartTimestamp", I),
        f("RefundSuccTimestamp", I),
        f("WxpayRefundTransactionId", S),
        f("RetryTimes", I),
        f("TeamInfo", &TEAM_INFO),
    ],
};

/// The test spec.
pub(super) static SPEC: SpecMeta = SpecMeta {
    actions: &[],
    envelope: &[
        f("ToUserName", S),
        f("FromUserName", S),
        f("CreateTime", I),
        f("MsgType", S),
        f("Event", S),
    ],
    events: &[&COIN_PAY, &GOODS_DELIVER, &REFUND],
    errors: &[],
    payments: &[],
    client_errors: &[],
};
