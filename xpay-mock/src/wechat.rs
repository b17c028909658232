//! The WeChat-facing routes: access tokens, logins, `checksession`, and every
//! `/xpay/{action}` (checked by [`verify`](crate::verify), answered by the
//! [ledger](crate::ledger) or with a [sample](crate::sample)).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::answer::{JsonAnswer, Reject};
use crate::errcodes::{
    DATA_FORMAT_ERROR, INVALID_CODE, INVALID_FIELD, INVALID_GRANT_TYPE, INVALID_URL,
    SESSION_SIGNATURE_INVALID,
};
use crate::faults::{CHECKSESSION, JSCODE2SESSION, STABLE_TOKEN, TOKEN};
use crate::sample::sample_response;
use crate::state::{AppState, Shared};
use crate::verify::{parse_query, query_str, verify};

/// The routes WeChat's servers answer.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cgi-bin/stable_token", post(stable_token))
        .route("/cgi-bin/token", get(classic_token))
        .route("/sns/jscode2session", get(jscode2session))
        .route("/wxa/checksession", get(checksession))
        .route("/xpay/{action}", post(xpay))
}

/// Any other path: HTTP 404 with errcode 40066.
pub(crate) async fn not_found() -> JsonAnswer {
    JsonAnswer {
        status: StatusCode::NOT_FOUND,
        body: json!({"errcode": INVALID_URL, "errmsg": "invalid url: the mock does not serve this path"}),
    }
}

fn token_answer(token: String, expires_in: u64) -> JsonAnswer {
    JsonAnswer::ok(json!({"access_token": token, "expires_in": expires_in}))
}

async fn stable_token(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
    let answer = match s.gate(STABLE_TOKEN).await {
        Some(a) => a,
        None => stable_token_answer(&s, &body),
    };
    s.record(STABLE_TOKEN, &answer);
    answer
}

fn stable_token_answer(s: &Shared, body: &[u8]) -> JsonAnswer {
    let Ok(Value::Object(v)) = serde_json::from_slice::<Value>(body) else {
        return Reject::new(
            DATA_FORMAT_ERROR,
            "data format error: the body must be a JSON object",
        )
        .into();
    };
    if v.get("grant_type").and_then(Value::as_str) != Some("client_credential") {
        return Reject::new(
            INVALID_GRANT_TYPE,
            "invalid grant_type: must be client_credential",
        )
        .into();
    }
    let force = match v.get("force_refresh") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Reject::new(
                DATA_FORMAT_ERROR,
                "data format error: force_refresh must be a boolean",
            )
            .into();
        }
    };
    let mut g = s.lock();
    if let Err(r) = g.auth.check_app(
        v.get("appid").and_then(Value::as_str),
        v.get("secret").and_then(Value::as_str),
    ) {
        return r.into();
    }
    let (token, expires_in) = g.auth.stable_token(force);
    token_answer(token, expires_in)
}

async fn classic_token(State(s): State<AppState>, RawQuery(raw): RawQuery) -> JsonAnswer {
    let answer = match s.gate(TOKEN).await {
        Some(a) => a,
        None => {
            let q = parse_query(raw.as_deref());
            if query_str(&q, "grant_type") != Some("client_credential") {
                Reject::new(
                    INVALID_GRANT_TYPE,
                    "invalid grant_type: must be client_credential",
                )
                .into()
            } else {
                let mut g = s.lock();
                match g
                    .auth
                    .check_app(query_str(&q, "appid"), query_str(&q, "secret"))
                {
                    Err(r) => r.into(),
                    Ok(()) => {
                        let (token, expires_in) = g.auth.classic_token();
                        token_answer(token, expires_in)
                    }
                }
            }
        }
    };
    s.record(TOKEN, &answer);
    answer
}

async fn jscode2session(State(s): State<AppState>, RawQuery(raw): RawQuery) -> JsonAnswer {
    let answer = match s.gate(JSCODE2SESSION).await {
        Some(a) => a,
        None => {
            let q = parse_query(raw.as_deref());
            let mut g = s.lock();
            if let Err(r) = g
                .auth
                .check_app(query_str(&q, "appid"), query_str(&q, "secret"))
            {
                r.into()
            } else if query_str(&q, "grant_type") != Some("authorization_code") {
                Reject::new(
                    INVALID_GRANT_TYPE,
                    "invalid grant_type: must be authorization_code",
                )
                .into()
            } else {
                match query_str(&q, "js_code").filter(|c| !c.is_empty()) {
                    None => Reject::new(INVALID_CODE, "invalid code: js_code is missing").into(),
                    Some(code) => {
                        let (openid, session_key) = g.auth.login(code);
                        JsonAnswer::ok(json!({"openid": openid, "session_key": session_key}))
                    }
                }
            }
        }
    };
    s.record(JSCODE2SESSION, &answer);
    answer
}

/// `/wxa/checksession`: valid when `signature` is `hex(HMAC-SHA256(session_key, ""))` of the
/// user's latest session key; 87009 otherwise.
async fn checksession(State(s): State<AppState>, RawQuery(raw): RawQuery) -> JsonAnswer {
    let answer = match s.gate(CHECKSESSION).await {
        Some(a) => a,
        None => {
            let q = parse_query(raw.as_deref());
            let g = s.lock();
            if let Err(r) = g.auth.check_token(query_str(&q, "access_token")) {
                r.into()
            } else if query_str(&q, "sig_method") != Some("hmac_sha256") {
                Reject::new(INVALID_FIELD, "invalid sig_method: only hmac_sha256").into()
            } else {
                let valid = query_str(&q, "openid")
                    .and_then(|openid| g.auth.session_key(openid))
                    .and_then(|k| xpay::SessionKey::new(k).ok())
                    .zip(query_str(&q, "signature"))
                    .is_some_and(|(k, given)| {
                        xpay::signing::signatures_equal(
                            &xpay::signing::user_signature(&k, b""),
                            given,
                        )
                    });
                if valid {
                    JsonAnswer::ok(json!({}))
                } else {
                    Reject::new(SESSION_SIGNATURE_INVALID, "invalid signature").into()
                }
            }
        }
    };
    s.record(CHECKSESSION, &answer);
    answer
}

async fn xpay(
    State(s): State<AppState>,
    Path(action): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> JsonAnswer {
    let Some(meta) = xpay::api::SPEC
        .actions
        .iter()
        .copied()
        .find(|a| a.name == action)
    else {
        let answer: JsonAnswer = Reject::new(
            INVALID_URL,
            format!(
                "invalid url: /xpay/{action} is not an action of the spec ({} actions known)",
                xpay::api::SPEC.actions.len()
            ),
        )
        .into();
        s.record(&format!("/xpay/{action}"), &answer);
        return answer;
    };
    if let Some(answer) = s.gate(meta.name).await {
        s.record(meta.name, &answer);
        return answer;
    }
    let query = parse_query(raw.as_deref());
    let (answer, push) = {
        let mut g = s.lock();
        let inner = &mut *g;
        match verify(meta, &query, &body, &inner.auth, &s.keys) {
            Err(r) => (r.into(), None),
            Ok(req) => match inner.ledger.handle(meta.name, &req) {
                None => (JsonAnswer::ok(sample_response(meta)), None),
                Some(Err(r)) => (r.into(), None),
                Some(Ok(handled)) => {
                    // Spec-shaped: every response field is there, the ledger's values on top.
                    let mut fields = match sample_response(meta) {
                        Value::Object(m) => m,
                        _ => serde_json::Map::new(),
                    };
                    fields.remove("errcode");
                    fields.remove("errmsg");
                    fields.extend(handled.fields);
                    (JsonAnswer::success(fields), handled.push)
                }
            },
        }
    };
    if let Some(notice) = push {
        s.spawn_push(notice);
    }
    s.record(meta.name, &answer);
    answer
}
