//! `xpay sign-payment`: the parameters of `wx.requestVirtualPayment` for one order.
//!
//! The order goes to the library as given; its rules (goods needs productId and goodsPrice,
//! outTradeNo's length and characters, buyQuantity ≥ 1) are checked by
//! [`xpay::Client::payment_params_json`] from the spec's tables, so they read the same here as
//! from Rust.

use crate::cli::SignPaymentArgs;
use crate::config;
use crate::error::Failure;
use crate::output;
use serde_json::{Map, Value};
use xpay::SessionKey;
use xpay::api::{PaymentOrder, SPEC};

/// Signs the order and prints `{"mode","signData","paySig"[,"signature"]}`.
pub fn run(args: SignPaymentArgs) -> Result<(), Failure> {
    let client = config::payment_client(&args.offer, &args.keys, &args.env)?;
    let session_key = args.session_key.map(SessionKey::new).transpose()?;
    let mut fields = Map::new();
    fields.insert("buyQuantity".into(), args.buy_quantity.into());
    fields.insert("outTradeNo".into(), args.out_trade_no.into());
    fields.insert("attach".into(), args.attach.into());
    if let Some(id) = args.product_id {
        fields.insert("productId".into(), id.into());
    }
    if let Some(price) = args.goods_price {
        fields.insert("goodsPrice".into(), price.into());
    }
    let kind = <PaymentOrder as xpay::PaymentSpec>::META;
    debug_assert!(SPEC.payment(kind.name).is_some());
    let params = client.payment_params_json(
        kind,
        Some(args.mode.name()),
        &Value::Object(fields),
        session_key.as_ref(),
    )?;
    let json = serde_json::to_string(&params)
        .map_err(|e| Failure::msg(format_args!("cannot serialize the payment parameters: {e}")))?;
    output::json(&json)
}
