//! `xpay sign-payment`: the parameters of `wx.requestVirtualPayment` for one order.
//!
//! The order goes to the library as given; its rules (goods needs productId and goodsPrice,
//! outTradeNo's length and characters, buyQuantity ≥ 1) are checked by
//! [`xpay_runtime::sign_payment`], so they read the same here as from Rust.

use crate::cli::SignPaymentArgs;
use crate::config;
use crate::error::Failure;
use crate::output;
use xpay_runtime::SessionKey;
use xpay_runtime::api::PaymentOrder;

/// Signs the order and prints `{"mode","signData","paySig"[,"signature"]}`.
pub fn run(args: SignPaymentArgs) -> Result<(), Failure> {
    let env = config::env(&args.env)?;
    let client = config::payment_client(&args.offer, &args.keys, env)?;
    let session_key = args.session_key.map(SessionKey::new).transpose()?;
    let order = PaymentOrder {
        mode: args.mode,
        buy_quantity: args.buy_quantity,
        product_id: args.product_id,
        goods_price: args.goods_price,
        activity_selling_price: None,
        out_trade_no: args.out_trade_no,
        attach: args.attach,
    };
    let params = xpay_runtime::sign_payment(
        &order,
        &client.fill_context(),
        client.app_key(env)?,
        session_key.as_ref(),
    )?;
    let json = serde_json::to_string(&params)
        .map_err(|e| Failure::msg(format_args!("cannot serialize the payment parameters: {e}")))?;
    output::line(json.as_bytes())
}
