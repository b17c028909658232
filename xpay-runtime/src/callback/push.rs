//! The sending side: signed and encrypted pushes as WeChat builds them, for a fake WeChat
//! server and for tests.

use super::Format;
use super::crypto::{self, EncodingAesKey};
use super::error::CallbackError;
use super::format::{Scalar, render_fields};
use super::query::PushQuery;
use super::reply::SealParams;
use crate::CallbackToken;

/// A push ready to send: the query to put on the URL and the body to POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPush {
    /// The query parameters (use [`PushQuery::to_query_string`]).
    pub query: PushQuery,
    /// The body.
    pub body: String,
    /// The body's format, for the `Content-Type` ([`Format::content_type`]).
    pub format: Format,
}

/// Builds a safe-mode push the way WeChat does: `message` (a JSON or XML document, see
/// [`render_message`](super::render_message)) encrypted for `app_id`, wrapped in a JSON
/// `{"ToUserName","Encrypt"}` or XML envelope, with `signature`, `timestamp`, `nonce`,
/// `encrypt_type=aes` and `msg_signature` in the query.
pub fn encrypt_push(
    token: &CallbackToken,
    key: &EncodingAesKey,
    app_id: &str,
    to_user_name: &str,
    message: &str,
    envelope: Format,
    params: &SealParams,
) -> Result<SignedPush, CallbackError> {
    let encrypt = crypto::encrypt(key, app_id, message.as_bytes(), params.random)?;
    let msg_signature = crypto::msg_signature(token, &params.timestamp, &params.nonce, &encrypt);
    let body = render_fields(
        envelope,
        &[
            ("ToUserName", Scalar::Str(to_user_name)),
            ("Encrypt", Scalar::Str(&encrypt)),
        ],
    );
    Ok(SignedPush {
        query: PushQuery {
            signature: Some(crypto::token_signature(
                token,
                &params.timestamp,
                &params.nonce,
            )),
            timestamp: Some(params.timestamp.clone()),
            nonce: Some(params.nonce.clone()),
            encrypt_type: Some("aes".into()),
            msg_signature: Some(msg_signature),
            ..PushQuery::default()
        },
        body,
        format: envelope,
    })
}

/// Builds a plain-mode push: `message` as the body (in `format`), `signature`, `timestamp` and
/// `nonce` in the query.
pub fn sign_plain_push(
    token: &CallbackToken,
    message: &str,
    format: Format,
    params: &SealParams,
) -> SignedPush {
    SignedPush {
        query: PushQuery {
            signature: Some(crypto::token_signature(
                token,
                &params.timestamp,
                &params.nonce,
            )),
            timestamp: Some(params.timestamp.clone()),
            nonce: Some(params.nonce.clone()),
            ..PushQuery::default()
        },
        body: message.to_string(),
        format,
    }
}

/// Builds the query of a URL verification (the GET WeChat sends when the push URL is saved).
pub fn sign_url_verification(
    token: &CallbackToken,
    echostr: &str,
    params: &SealParams,
) -> PushQuery {
    PushQuery {
        signature: Some(crypto::token_signature(
            token,
            &params.timestamp,
            &params.nonce,
        )),
        timestamp: Some(params.timestamp.clone()),
        nonce: Some(params.nonce.clone()),
        echostr: Some(echostr.to_string()),
        ..PushQuery::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_params_look_right() {
        let a = SealParams::fresh();
        let b = SealParams::fresh();
        assert_eq!(a.nonce.len(), 10);
        assert!(a.timestamp.parse::<i64>().is_ok_and(|t| t > 1_700_000_000));
        assert_ne!(a.random, b.random);
    }
}
