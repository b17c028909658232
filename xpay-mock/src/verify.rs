//! The checks every `/xpay/{action}` request goes through, driven by the action's row of the
//! spec table (no per-action code):
//!
//! 1. `access_token` (query): 41001 missing, 40001 unknown or revoked, 42001 expired;
//! 2. the body is a JSON object, its `env` (when the action has one) 0 or 1: 268490002;
//! 3. `pay_sig` (query) = HMAC-SHA256(AppKey of the body's env, path & body bytes), the
//!    production AppKey when the action has no env field: 268490003 when missing or wrong;
//! 4. for `pay+user` actions, a `signature` (query) must be there: 268490003 when missing;
//! 5. required fields, types and rules (`check::value` on the request table) and exactly-one-of
//!    groups: 268490002 with an errmsg naming the field;
//! 6. for `pay+user` actions, `signature` = HMAC-SHA256(latest session key of the body's
//!    openid, body bytes): 268490009 when that openid never logged in or the request is signed
//!    with a key a later login replaced (a stale key; WeChat: <https://developers.weixin.qq.com/miniprogram/dev/server/API/user-login/api_checksessionkey>), 268490003 when it matches
//!    no key of the openid.
//!
//! Signatures are compared in constant time and must be lowercase hex, as WeChat's are.

use std::collections::HashMap;

use serde_json::{Map, Value};
use xpay::meta::ActionMeta;
use xpay::signing::{pay_sig, signatures_equal, user_signature};
use xpay::{AppKey, Env, Error, SessionKey};

use crate::answer::Reject;
use crate::auth::Auth;
use crate::errcodes::{INVALID_FIELD, SESSION_KEY_MISSING, SIGNATURE_ERROR};

/// The AppKeys requests are signed with.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub production: AppKey,
    pub sandbox: AppKey,
}

impl Keys {
    pub(crate) fn for_env(&self, env: Env) -> &AppKey {
        match env {
            Env::Production => &self.production,
            Env::Sandbox => &self.sandbox,
        }
    }
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub(crate) struct Verified {
    /// The body.
    pub body: Map<String, Value>,
    /// The body's env (production when the action has none).
    pub env: Env,
}

/// Parses a raw query string: names and values percent-decoded, the first of a repeated name
/// wins. Never fails.
pub(crate) fn parse_query(raw: Option<&str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        out.entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    out
}

/// The value of `name` in a parsed query.
pub(crate) fn query_str<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.get(name).map(String::as_str)
}

fn invalid(e: &Error) -> Reject {
    Reject::new(INVALID_FIELD, e.to_string())
}

/// Runs every check on one request (see the module docs for the order and errcodes).
pub(crate) fn verify(
    meta: &ActionMeta,
    query: &HashMap<String, String>,
    body: &[u8],
    auth: &Auth,
    keys: &Keys,
) -> Result<Verified, Reject> {
    auth.check_token(query.get("access_token").map(String::as_str))?;

    let map = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(Reject::field("(body)", "must be a JSON object")),
        Err(e) => return Err(Reject::field("(body)", format!("is not JSON: {e}"))),
    };

    let env = match meta.env_field() {
        Some(f) => match map.get(f.name) {
            None | Some(Value::Null) => Env::Production,
            Some(v) => v
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .and_then(Env::from_u8)
                .ok_or_else(|| Reject::field(f.name, "must be 0 (production) or 1 (sandbox)"))?,
        },
        None => Env::Production,
    };

    let expected = pay_sig(keys.for_env(env), meta.path, body);
    match query.get("pay_sig") {
        None => return Err(Reject::new(SIGNATURE_ERROR, "pay_sig missing")),
        Some(given) if !signatures_equal(&expected, given) => {
            return Err(Reject::new(
                SIGNATURE_ERROR,
                format!("pay_sig error (checked with the {env} AppKey)"),
            ));
        }
        Some(_) => {}
    }

    let signature = if meta.needs_session_key() {
        match query.get("signature") {
            Some(s) => Some(s),
            None => {
                return Err(Reject::new(
                    SIGNATURE_ERROR,
                    "signature missing: this action is signed with the user's session_key too",
                ));
            }
        }
    } else {
        None
    };

    let value = Value::Object(map);
    meta.check_request(&value).map_err(|e| invalid(&e))?;
    let Value::Object(map) = value else {
        return Err(Reject::field("(body)", "must be a JSON object"));
    };

    if let Some(given) = signature {
        let Some(openid) = map.get("openid").and_then(Value::as_str) else {
            return Err(Reject::field(
                "openid",
                "is required to check the signature",
            ));
        };
        let Some(latest) = auth.session_key(openid) else {
            return Err(Reject::new(
                SESSION_KEY_MISSING,
                format!(
                    "session_key not found for openid {openid}: the user never logged in (jscode2session)"
                ),
            ));
        };
        let signed_with = |key: &str| {
            SessionKey::new(key)
                .map(|k| signatures_equal(&user_signature(&k, body), given))
                .unwrap_or(false)
        };
        if !signed_with(latest) {
            if auth
                .retired_session_keys(openid)
                .iter()
                .any(|k| signed_with(k))
            {
                return Err(Reject::new(
                    SESSION_KEY_MISSING,
                    "session_key expired: signed with an earlier session_key of the openid, which a later login replaced",
                ));
            }
            return Err(Reject::new(
                SIGNATURE_ERROR,
                "signature error (checked with the latest session_key of the openid)",
            ));
        }
    }

    Ok(Verified { body: map, env })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_and_first_wins() {
        let q = parse_query(Some(
            "access_token=a%2Bb&pay_sig=x&pay_sig=y&signature=%zz&flag",
        ));
        assert_eq!(q.get("access_token").map(String::as_str), Some("a+b"));
        assert_eq!(q.get("pay_sig").map(String::as_str), Some("x"));
        assert_eq!(q.get("signature").map(String::as_str), Some("%zz"));
        assert_eq!(q.get("flag").map(String::as_str), Some(""));
        assert!(parse_query(None).is_empty());
        let _ = parse_query(Some("%e4%b8=&&=&%"));
    }
}
