//! [`MockServer::check_payment`]: what WeChat's client checks in the parameters a backend
//! hands `wx.requestVirtualPayment` (or another payment API of the spec).

use serde_json::{Map, Value};
use xpay::meta::{ModeMeta, PaymentMeta};
use xpay::signing::{payment_pay_sig, signatures_equal, user_signature};
use xpay::{Env, PaymentParams, SessionKey};

use crate::ledger::{PayMode, Payment};
use crate::server::MockServer;
use crate::verify::Keys;

/// Payment parameters that passed [`MockServer::check_payment`]: the payment kind, and the
/// signData read.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckedPayment {
    /// The payment kind's name in the spec (`virtual_payment`, `apple_subscribe_sign`).
    pub kind: &'static str,
    /// The `mode` (`short_series_coin`, `short_series_goods`); `None` for kinds without modes.
    pub mode: Option<&'static str>,
    /// The env whose AppKey signed: signData's `env`, or the kind's fixed env.
    pub env: Env,
    /// The signData fields, by their wire names (`offerId`, `buyQuantity`, `outTradeNo`, …).
    pub sign_data: Map<String, Value>,
}

impl CheckedPayment {
    /// signData's `outTradeNo`, if it has one.
    pub fn out_trade_no(&self) -> Option<&str> {
        self.sign_data.get("outTradeNo").and_then(Value::as_str)
    }

    /// The [`Payment`] WeChat makes once `openid` confirms this one, for
    /// [`MockServer::pay`]: coin mode buys `buyQuantity` tokens at 1 fen each; goods mode
    /// buys `buyQuantity` items of `productId` at `activitySellingPrice` (or `goodsPrice`)
    /// fen each; `attach` and the env are carried over. `None` for kinds the ledger does not
    /// model (Apple subscriptions).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use xpay::api::GoodsPaymentOrder;
    /// use xpay_mock::{MockConfig, MockServer};
    ///
    /// let server = MockServer::start(MockConfig::default()).await?;
    /// let (openid, session_key) = server.login("code-of-alice");
    /// let params = server.client().payment_params(
    ///     &GoodsPaymentOrder::new(1, "sword_01", 600, "order_000001"),
    ///     Some(&xpay::SessionKey::new(session_key.clone())?),
    /// )?;
    /// let checked = server.check_payment(&params, Some(&session_key))?;
    /// let payment = checked.to_payment(&openid).expect("a goods payment");
    /// let outcome = server.pay(payment).await?;
    /// assert_eq!(outcome.order.order_fee, 600);
    /// # Ok(()) }
    /// ```
    pub fn to_payment(&self, openid: &str) -> Option<Payment> {
        let mode: PayMode = self.mode?.parse().ok()?;
        let int = |name: &str| self.sign_data.get(name).and_then(Value::as_i64);
        let text = |name: &str| self.sign_data.get(name).and_then(Value::as_str);
        let out_trade_no = self.out_trade_no()?;
        let quantity = int("buyQuantity")?;
        let payment = match mode {
            PayMode::Coin => Payment::coin(openid, out_trade_no, quantity),
            PayMode::Goods => Payment::goods(
                openid,
                out_trade_no,
                text("productId")?,
                int("activitySellingPrice").or_else(|| int("goodsPrice"))?,
                quantity,
            ),
        };
        Some(
            payment
                .with_env(self.env)
                .with_attach(text("attach").unwrap_or_default()),
        )
    }
}

/// What is wrong with payment parameters ([`MockServer::check_payment`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentCheckError {
    /// `mode` names no mode of a payment kind of the spec (or is missing where every kind
    /// without modes refused the parameters).
    #[error("mode {mode:?} is not a mode of any payment kind of the spec")]
    UnknownMode {
        /// The mode given.
        mode: Option<String>,
    },
    /// signData is not the text of a JSON object.
    #[error("signData is not a JSON object: {reason}")]
    SignDataNotObject {
        /// Why.
        reason: String,
    },
    /// A signData field is missing or breaks a rule of the spec (`env` not 0 or 1 included).
    #[error("signData.{field}: {problem}")]
    InvalidField {
        /// The field's wire name (`buyQuantity`).
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// signData's `offerId` is not the mock's.
    #[error("signData.offerId is {found:?}, not the mock's offer id {expected}")]
    OfferIdMismatch {
        /// The mock's offer id.
        expected: String,
        /// The one in signData (`None` when missing).
        found: Option<String>,
    },
    /// `paySig` is not `hex(HMAC-SHA256(AppKey of env, uri + "&" + signData))`.
    #[error("paySig is not HMAC-SHA256 of \"{uri}&\" + signData with the {env} AppKey")]
    PaySigMismatch {
        /// The env whose AppKey it was checked with.
        env: Env,
        /// The URI of the payment kind (`requestVirtualPayment`).
        uri: &'static str,
    },
    /// A session key was given and the parameters carry no `signature`.
    #[error("signature missing: a session key was given, so the user signature must be there")]
    SignatureMissing,
    /// `signature` is not `hex(HMAC-SHA256(session key, signData))`.
    #[error("signature is not HMAC-SHA256 of signData with the given session key")]
    SignatureMismatch,
    /// The session key given is empty.
    #[error("the session key given is empty")]
    EmptySessionKey,
}

/// Checks `params` as one payment kind (and one of its modes, when it has modes).
fn check_kind(
    params: &PaymentParams,
    kind: &'static PaymentMeta,
    mode: Option<&'static ModeMeta>,
    keys: &Keys,
    offer_id: &str,
    session_key: Option<&str>,
) -> Result<CheckedPayment, PaymentCheckError> {
    let sign_data = match serde_json::from_str::<Value>(&params.sign_data) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            return Err(PaymentCheckError::SignDataNotObject {
                reason: format!("it is {other}"),
            });
        }
        Err(e) => {
            return Err(PaymentCheckError::SignDataNotObject {
                reason: e.to_string(),
            });
        }
    };
    let env = match (kind.sign_env, sign_data.get("env")) {
        (Some(env), _) => env,
        (None, None) => Env::Production,
        (None, Some(v)) => v
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Env::from_u8)
            .ok_or_else(|| PaymentCheckError::InvalidField {
                field: "env".into(),
                problem: format!("is {v}; it must be 0 (production) or 1 (sandbox)"),
            })?,
    };
    match sign_data.get("offerId") {
        Some(Value::String(found)) if found == offer_id => {}
        found => {
            return Err(PaymentCheckError::OfferIdMismatch {
                expected: offer_id.to_string(),
                found: found.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)),
            });
        }
    }
    for field in kind.fields {
        let in_mode = mode.is_none_or(|m| field.in_mode(m.name));
        match sign_data.get(field.name) {
            None if field.required && in_mode => {
                return Err(PaymentCheckError::InvalidField {
                    field: field.name.to_string(),
                    problem: "is missing".into(),
                });
            }
            None => {}
            Some(value) => {
                field
                    .check("signData", value)
                    .map_err(|e| PaymentCheckError::InvalidField {
                        field: field.name.to_string(),
                        problem: e.to_string(),
                    })?;
            }
        }
    }
    let expected = payment_pay_sig(keys.for_env(env), kind.uri, &params.sign_data);
    if !signatures_equal(&expected, &params.pay_sig) {
        return Err(PaymentCheckError::PaySigMismatch { env, uri: kind.uri });
    }
    if let Some(key) = session_key {
        let key = SessionKey::new(key).map_err(|_| PaymentCheckError::EmptySessionKey)?;
        let given = params
            .signature
            .as_deref()
            .ok_or(PaymentCheckError::SignatureMissing)?;
        if !signatures_equal(&user_signature(&key, params.sign_data.as_bytes()), given) {
            return Err(PaymentCheckError::SignatureMismatch);
        }
    }
    Ok(CheckedPayment {
        kind: kind.name,
        mode: mode.map(|m| m.wire),
        env,
        sign_data,
    })
}

impl MockServer {
    /// Checks payment parameters as WeChat's client does before it charges the user: `mode`
    /// names a mode of a payment kind of the spec (none for kinds without modes), signData is
    /// a JSON object whose `offerId` is the mock's and whose fields follow the spec,
    /// `paySig` is `hex(HMAC-SHA256(AppKey, uri + "&" + signData))` with the AppKey of the
    /// env written in signData, and, when `session_key` is given, `signature` is
    /// `hex(HMAC-SHA256(session_key, signData))` (with `None` the user signature is not
    /// checked). Tests need not re-derive the formulas.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use xpay::api::CoinPaymentOrder;
    /// use xpay_mock::{MockConfig, MockServer, PaymentCheckError};
    ///
    /// let server = MockServer::start(MockConfig::default()).await?;
    /// let (_openid, session_key) = server.login("code-of-alice");
    /// let mut params = server.client().payment_params(
    ///     &CoinPaymentOrder::new(100, "order_000001"),
    ///     Some(&xpay::SessionKey::new(session_key.clone())?),
    /// )?;
    /// let checked = server.check_payment(&params, Some(&session_key))?;
    /// assert_eq!(checked.mode, Some("short_series_coin"));
    ///
    /// // Tampered with after signing: 100 tokens for the price of 1.
    /// params.sign_data = params
    ///     .sign_data
    ///     .replace(r#""buyQuantity":100"#, r#""buyQuantity":1"#);
    /// assert!(matches!(
    ///     server.check_payment(&params, None),
    ///     Err(PaymentCheckError::PaySigMismatch { .. })
    /// ));
    /// # Ok(()) }
    /// ```
    pub fn check_payment(
        &self,
        params: &PaymentParams,
        session_key: Option<&str>,
    ) -> Result<CheckedPayment, PaymentCheckError> {
        let shared = self.shared();
        let offer_id = shared.credentials.offer_id.as_str();
        let payments = xpay::api::SPEC.payments;
        match params.mode {
            Some(wire) => {
                let (kind, mode) = payments
                    .iter()
                    .find_map(|&kind| {
                        kind.modes
                            .iter()
                            .find(|m| m.wire == wire)
                            .map(|mode| (kind, mode))
                    })
                    .ok_or_else(|| PaymentCheckError::UnknownMode {
                        mode: Some(wire.to_string()),
                    })?;
                check_kind(
                    params,
                    kind,
                    Some(mode),
                    &shared.keys,
                    offer_id,
                    session_key,
                )
            }
            None => {
                // Kinds without modes, tried in turn: the first that accepts wins, else the
                // first one's error.
                let mut first_error = None;
                for kind in payments.iter().copied().filter(|k| k.modes.is_empty()) {
                    match check_kind(params, kind, None, &shared.keys, offer_id, session_key) {
                        Ok(checked) => return Ok(checked),
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
                Err(first_error.unwrap_or(PaymentCheckError::UnknownMode { mode: None }))
            }
        }
    }
}
