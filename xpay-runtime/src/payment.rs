//! Payment parameters for `wx.requestVirtualPayment` (reference §3).

use crate::action::{FillContext, PaymentSpec};
use crate::signing::{payment_pay_sig, user_signature};
use crate::{AppKey, Error, SessionKey};
use serde::Serialize;

/// Exactly what the mini program passes to `wx.requestVirtualPayment`. Serializes to
/// `{"mode","signData","paySig"[,"signature"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentParams {
    /// `short_series_coin` (代币充值) or `short_series_goods` (道具直购).
    pub mode: &'static str,
    /// The signData JSON **string**, passed on unchanged.
    #[serde(rename = "signData")]
    pub sign_data: String,
    /// `hex(HMAC-SHA256(AppKey, "requestVirtualPayment&" + signData))`.
    #[serde(rename = "paySig")]
    pub pay_sig: String,
    /// `hex(HMAC-SHA256(session_key, signData))`, when a session key was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Checks an order, writes its signData and signs it.
pub fn sign_payment<P: PaymentSpec>(
    order: &P,
    ctx: &FillContext<'_>,
    app_key: &AppKey,
    session_key: Option<&SessionKey>,
) -> Result<PaymentParams, Error> {
    order.validate()?;
    let sign_data = order.sign_data(ctx)?;
    Ok(sign_payment_data(
        order.mode(),
        P::URI,
        sign_data,
        app_key,
        session_key,
    ))
}

/// Signs a signData string as it is (no checks): for signData written elsewhere.
pub fn sign_payment_data(
    mode: &'static str,
    uri: &str,
    sign_data: String,
    app_key: &AppKey,
    session_key: Option<&SessionKey>,
) -> PaymentParams {
    let pay_sig = payment_pay_sig(app_key, uri, &sign_data);
    let signature = session_key.map(|k| user_signature(k, sign_data.as_bytes()));
    PaymentParams {
        mode,
        sign_data,
        pay_sig,
        signature,
    }
}
