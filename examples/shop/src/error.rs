//! [`ShopError`]: what the shop's endpoints answer when something goes wrong.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error of a shop endpoint, answered as `{"error": "…"}` with a fitting HTTP status.
///
/// xpay-rs errors never carry a secret (no AppKey, session key or access token), so their
/// text is safe to log. What the *client* sees is kept short anyway: the details are logged.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The request itself is wrong (an empty login code, …). 400.
    #[error("{0}")]
    BadRequest(String),
    /// WeChat refused the login code (expired, used twice, forged). 401.
    #[error("the login code was refused; call wx.login again")]
    LoginRefused,
    /// No session key is on record for this openid: the user must log in first. 401.
    #[error("not logged in: call /login first")]
    NotLoggedIn,
    /// The shop does not sell this product. 404.
    #[error("no product {0:?}")]
    UnknownProduct(String),
    /// No such order. 404.
    #[error("no order {0:?}")]
    UnknownOrder(String),
    /// The order is not in a state that allows this (refunding a pending order, …). 409.
    #[error("{0}")]
    Conflict(String),
    /// A call to WeChat failed (transport, HTTP status, an errcode, …). 502; logged in full.
    #[error("WeChat call failed: {0}")]
    WeChat(xpay::Error),
    /// The shop is misconfigured or signed something invalid (a bug). 500; logged in full.
    #[error("internal error: {0}")]
    Internal(xpay::Error),
}

impl ShopError {
    /// Sorts an xpay-rs error: configuration and rule errors are ours, the rest WeChat's.
    pub fn from_xpay(e: xpay::Error) -> Self {
        match e {
            xpay::Error::MissingAppKey { .. }
            | xpay::Error::MissingSetting { .. }
            | xpay::Error::InvalidSetting { .. }
            | xpay::Error::Invalid { .. } => ShopError::Internal(e),
            other => ShopError::WeChat(other),
        }
    }

    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            ShopError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ShopError::LoginRefused | ShopError::NotLoggedIn => StatusCode::UNAUTHORIZED,
            ShopError::UnknownProduct(_) | ShopError::UnknownOrder(_) => StatusCode::NOT_FOUND,
            ShopError::Conflict(_) => StatusCode::CONFLICT,
            ShopError::WeChat(_) => StatusCode::BAD_GATEWAY,
            ShopError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ShopError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ShopError::WeChat(e) => {
                tracing::error!(error = %e, "WeChat call failed");
                match e.errcode() {
                    Some(code) => format!("WeChat call failed (errcode {code})"),
                    None => "WeChat call failed".to_string(),
                }
            }
            ShopError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "internal error".to_string()
            }
            other => other.to_string(),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}
