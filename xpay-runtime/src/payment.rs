//! Client-side payment parameters: what the mini program passes to `wx.requestVirtualPayment`
//! (WeChat: <https://developers.weixin.qq.com/miniprogram/dev/api/payment/wx.requestVirtualPayment.html>) or another payment API of the spec, signed on the server.

use serde::Serialize;
use serde_json::Value;

use crate::action::PaymentSpec;
use crate::check::{At, Violation};
use crate::client::Client;
use crate::meta::{Fill, PaymentMeta};
use crate::signing::{payment_pay_sig, user_signature};
use crate::{Env, Result, SessionKey};

/// Exactly what the mini program passes to the payment API. Serializes to
/// `{"mode","signData","paySig"[,"signature"]}` (`mode` only for kinds that have modes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PaymentParams {
    /// `short_series_coin` (代币充值) or `short_series_goods` (道具直购); `None` for payment
    /// kinds without modes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
    /// The signData JSON **string**, passed on unchanged.
    #[serde(rename = "signData")]
    pub sign_data: String,
    /// `hex(HMAC-SHA256(AppKey, uri + "&" + signData))`, with the AppKey of the env written
    /// into signData.
    #[serde(rename = "paySig")]
    pub pay_sig: String,
    /// `hex(HMAC-SHA256(session_key, signData))`, when a session key was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The env written into signData (not sent: it tells which AppKey signed).
    #[serde(skip)]
    pub env: Env,
}

impl Client {
    /// Checks a payment order, writes its signData (the client's offer id and env filled in)
    /// and signs it with the AppKey of the env written into signData, and with the user's
    /// session key when given. The result is exactly what the mini program passes to
    /// `wx.requestVirtualPayment`.
    ///
    /// Errors: [`Error::Invalid`](crate::Error::Invalid) naming the field that breaks a rule of the spec (goods mode
    /// needs `productId` by construction; `outTradeNo` is 8–32 characters of
    /// `[0-9A-Za-z_-|*@]` not starting with `_`; `buyQuantity` ≥ 1),
    /// [`Error::MissingSetting`](crate::Error::MissingSetting) without an offer id,
    /// [`Error::MissingAppKey`](crate::Error::MissingAppKey) without the
    /// AppKey of the env.
    pub fn payment_params<P: PaymentSpec>(
        &self,
        order: &P,
        session_key: Option<&SessionKey>,
    ) -> Result<PaymentParams> {
        order.__validate()?;
        let (sign_data, env) = order
            .__sign_data(&self.fill_context())
            .map_err(|e| self.hint(e))?;
        self.sign_payment(P::META, order.mode(), sign_data, env, session_key)
    }

    /// [`payment_params`](Self::payment_params) for an order given as JSON (`xpay
    /// sign-payment`, or signData fields decided at run time): `fields` holds the signData
    /// fields the caller decides, by their wire names, and `mode` names one of the kind's modes
    /// (`coin`, `short_series_goods`) when it has modes. The same rules are checked, from the
    /// spec's tables, and signData is written in the spec's field order.
    pub fn payment_params_json(
        &self,
        payment: &'static PaymentMeta,
        mode: Option<&str>,
        fields: &Value,
        session_key: Option<&SessionKey>,
    ) -> Result<PaymentParams> {
        const CTX: &str = "payment";
        let mode = match (mode, payment.modes.is_empty()) {
            (None, true) => None,
            (Some(m), false) => Some(payment.mode(m).ok_or_else(|| {
                At::Root.field("mode").error(
                    CTX,
                    Violation::Other(format!(
                        "`{}` is not a mode of {} (modes: {})",
                        m.escape_debug(),
                        payment.name,
                        payment
                            .modes
                            .iter()
                            .map(|m| m.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                )
            })?),
            (None, false) => {
                return Err(At::Root.field("mode").error(CTX, Violation::Missing));
            }
            (Some(_), true) => {
                return Err(At::Root.field("mode").error(
                    CTX,
                    Violation::Other(format!("{} has no modes", payment.name)),
                ));
            }
        };
        let given = match fields {
            Value::Object(m) => m,
            Value::Null => &serde_json::Map::new(),
            other => {
                return Err(At::Root.error(
                    CTX,
                    Violation::WrongType {
                        expected: "a JSON object",
                        found: crate::check::json_kind(other).to_string(),
                    },
                ));
            }
        };
        for key in given.keys() {
            if !payment
                .fields
                .iter()
                .any(|f| f.name == key && f.fill.is_none())
            {
                return Err(At::Root.field(&key.escape_debug().to_string()).error(
                    CTX,
                    Violation::Unknown {
                        known: payment
                            .fields
                            .iter()
                            .filter(|f| f.fill.is_none())
                            .map(|f| f.name)
                            .collect(),
                    },
                ));
            }
        }
        let ctx = self.fill_context();
        let mut out = Vec::with_capacity(payment.fields.len());
        let mut env = payment.sign_env.unwrap_or(ctx.env);
        for f in payment.fields {
            let value = given.get(f.name).filter(|v| !v.is_null());
            let in_mode = mode.is_none_or(|m| f.in_mode(m.name));
            let value = match (f.fill, value) {
                (Some(Fill::Env), _) => {
                    env = ctx.env;
                    Value::from(ctx.env.as_u8())
                }
                (Some(Fill::OfferId), _) => {
                    Value::from(ctx.offer_id(CTX).map_err(|e| self.hint(e))?)
                }
                (None, Some(_)) if !in_mode => {
                    return Err(At::Root.field(f.name).error(
                        CTX,
                        Violation::NotInMode {
                            mode: mode.map(|m| m.name).unwrap_or_default().to_string(),
                        },
                    ));
                }
                (None, Some(v)) => {
                    crate::check::typed(
                        CTX,
                        &At::Root.field(f.name),
                        f.ty,
                        &f.rules,
                        v,
                        crate::check::Side::Client,
                    )?;
                    v.clone()
                }
                (None, None) => match f.default {
                    Some(d) if f.ty.is_number() => {
                        d.parse::<i64>().map(Value::from).unwrap_or(Value::from(d))
                    }
                    Some(d) => Value::from(d),
                    None if f.required && in_mode => {
                        return Err(At::Root.field(f.name).error(CTX, Violation::Missing));
                    }
                    None => continue,
                },
            };
            out.push((f.name, value));
        }
        let sign_data = serde_json::to_string(&Ordered(&out)).map_err(|e| {
            At::Root.error(CTX, Violation::Other(format!("cannot be serialized: {e}")))
        })?;
        self.sign_payment(payment, mode.map(|m| m.wire), sign_data, env, session_key)
    }

    fn sign_payment(
        &self,
        payment: &PaymentMeta,
        mode: Option<&'static str>,
        sign_data: String,
        env: Env,
        session_key: Option<&SessionKey>,
    ) -> Result<PaymentParams> {
        let app_key = self.app_key(env, "payment")?;
        let pay_sig = payment_pay_sig(app_key, payment.uri, &sign_data);
        let signature = session_key.map(|k| user_signature(k, sign_data.as_bytes()));
        Ok(PaymentParams {
            mode,
            sign_data,
            pay_sig,
            signature,
            env,
        })
    }
}

/// Fields written as a JSON object in the given order.
struct Ordered<'a>(&'a [(&'static str, Value)]);

impl Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
