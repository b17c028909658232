//! The control plane: `/mock/*`, everything the library methods of
//! [`MockServer`](crate::MockServer) do, over HTTP (for the `xpay mock` command and tests in
//! other languages).
//!
//! Every route answers `{"errcode":0,"errmsg":"ok",…}`, or HTTP 400 with errcode 268490002
//! for a bad argument.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use xpay::Env;
use xpay::callback::Format;

use crate::answer::JsonAnswer;
use crate::errcodes::INVALID_FIELD;
use crate::error::MockError;
use crate::faults::{Fault, endpoint_key};
use crate::ledger::Payment;
use crate::push::PushTarget;
use crate::state::AppState;
use crate::verify::{parse_query, query_str};

/// The `/mock/*` routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/mock/login", post(login))
        .route("/mock/pay", post(pay))
        .route("/mock/balance", get(balance))
        .route("/mock/order", get(order))
        .route("/mock/fail", post(fail))
        .route("/mock/latency", post(latency))
        .route("/mock/expire_token", post(expire_token))
        .route("/mock/reset_faults", post(reset_faults))
        .route("/mock/push_target", post(push_target))
        .route("/mock/pushes", get(pushes))
        .route("/mock/stats", get(stats))
}

fn bad_request(msg: impl Into<String>) -> JsonAnswer {
    JsonAnswer {
        status: StatusCode::BAD_REQUEST,
        body: json!({"errcode": INVALID_FIELD, "errmsg": msg.into()}),
    }
}

fn ok_with(v: Value) -> JsonAnswer {
    let mut m = match v {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("data".into(), other);
            m
        }
    };
    m.insert("errcode".into(), Value::from(0));
    m.insert("errmsg".into(), Value::from("ok"));
    JsonAnswer::ok(Value::Object(m))
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, JsonAnswer> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("bad JSON body: {e}")))
}

fn parse_env(q: &HashMap<String, String>) -> Result<Env, JsonAnswer> {
    match query_str(q, "env") {
        None => Ok(Env::Production),
        Some(e) => e.parse::<Env>().map_err(bad_request),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginArgs {
    js_code: String,
}

async fn login(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
    match parse_json::<LoginArgs>(&body) {
        Err(a) => a,
        Ok(a) if a.js_code.is_empty() => bad_request("js_code is empty"),
        Ok(a) => {
            let (openid, session_key) = s.lock().auth.login(&a.js_code);
            ok_with(json!({"openid": openid, "session_key": session_key}))
        }
    }
}

async fn pay(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
    let payment = match parse_json::<Payment>(&body) {
        Ok(p) => p,
        Err(a) => return a,
    };
    match s.pay(&payment).await {
        Ok(outcome) => ok_with(json!({"order": outcome.order, "delivery": outcome.delivery})),
        Err(MockError::Rejected { errcode, errmsg }) => JsonAnswer {
            status: StatusCode::BAD_REQUEST,
            body: json!({"errcode": errcode, "errmsg": errmsg}),
        },
        Err(e) => bad_request(e.to_string()),
    }
}

async fn balance(State(s): State<AppState>, RawQuery(raw): RawQuery) -> JsonAnswer {
    let q = parse_query(raw.as_deref());
    let env = match parse_env(&q) {
        Ok(e) => e,
        Err(a) => return a,
    };
    let Some(openid) = query_str(&q, "openid").filter(|o| !o.is_empty()) else {
        return bad_request("openid is required");
    };
    let balance = s.lock().ledger.balance(openid, env);
    ok_with(json!(balance))
}

async fn order(State(s): State<AppState>, RawQuery(raw): RawQuery) -> JsonAnswer {
    let q = parse_query(raw.as_deref());
    let env = match parse_env(&q) {
        Ok(e) => e,
        Err(a) => return a,
    };
    let Some(id) = query_str(&q, "order_id") else {
        return bad_request("order_id is required");
    };
    match s.lock().ledger.order(env, id) {
        Some(o) => ok_with(json!({"order": o})),
        None => JsonAnswer {
            status: StatusCode::NOT_FOUND,
            body: json!({"errcode": INVALID_FIELD, "errmsg": format!("no order {id} in env {}", env.as_u8())}),
        },
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailArgs {
    action: String,
    #[serde(default = "one")]
    n: u32,
    errcode: Option<i64>,
    errmsg: Option<String>,
    status: Option<u16>,
}

fn one() -> u32 {
    1
}

async fn fail(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
    let a = match parse_json::<FailArgs>(&body) {
        Ok(a) => a,
        Err(a) => return a,
    };
    let fault = match (a.errcode, a.status) {
        (Some(code), None) => match a.errmsg {
            Some(m) => Fault::errcode_with(code, m),
            None => Fault::errcode(code),
        },
        (None, Some(status)) => Fault::http(status),
        _ => return bad_request("give exactly one of errcode and status"),
    };
    let key = match endpoint_key(&a.action) {
        Ok(k) => k,
        Err(e) => return bad_request(e.to_string()),
    };
    if let Err(e) = fault.validate() {
        return bad_request(e.to_string());
    }
    s.lock().faults.fail_next(key, a.n, fault);
    ok_with(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyArgs {
    millis: u64,
    action: Option<String>,
}

async fn latency(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
    let a = match parse_json::<LatencyArgs>(&body) {
        Ok(a) => a,
        Err(a) => return a,
    };
    let latency = Duration::from_millis(a.millis);
    match a.action {
        None => s.lock().faults.set_latency(latency),
        Some(action) => match endpoint_key(&action) {
            Ok(key) => s
                .lock()
                .faults
                .set_endpoint_latency(key, (!latency.is_zero()).then_some(latency)),
            Err(e) => return bad_request(e.to_string()),
        },
    }
    ok_with(json!({}))
}

async fn expire_token(State(s): State<AppState>) -> JsonAnswer {
    s.lock().auth.expire_current();
    ok_with(json!({}))
}

async fn reset_faults(State(s): State<AppState>) -> JsonAnswer {
    s.lock().faults.clear();
    ok_with(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PushTargetArgs {
    url: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

async fn push_target(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
    let a = match parse_json::<PushTargetArgs>(&body) {
        Ok(a) => a,
        Err(a) => return a,
    };
    let format = match a.format.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("json") => Format::Json,
        Some("xml") => Format::Xml,
        Some(other) => return bad_request(format!("format must be json or xml, got {other:?}")),
    };
    let target = match a.url {
        None => None,
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(PushTarget { url, format })
        }
        Some(url) => return bad_request(format!("url must be http(s), got {url:?}")),
    };
    s.lock().push_target = target;
    ok_with(json!({}))
}

async fn pushes(State(s): State<AppState>) -> JsonAnswer {
    let pushes = s.lock().pushes.clone();
    ok_with(json!({"pushes": pushes}))
}

async fn stats(State(s): State<AppState>) -> JsonAnswer {
    let g = s.lock();
    ok_with(json!({
        "token_fetches": g.auth.fetches(),
        "requests": g.requests.len(),
        "pushes": g.pushes.len(),
    }))
}
