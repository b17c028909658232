//! A local HTTP server that plays WeChat for end-to-end tests and checks every request
//! independently of the code under test: the access token, `pay_sig` over the exact body bytes
//! with the AppKey of the body's env, and the user `signature` with the session key.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// The keys the server checks against.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Production AppKey.
    pub app_key: String,
    /// Sandbox AppKey.
    pub sandbox_app_key: String,
    /// The session key for `pay+user` actions.
    pub session_key: String,
    /// The token `stable_token` hands out.
    pub token: String,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            app_key: "prod-app-key".into(),
            sandbox_app_key: "sandbox-app-key".into(),
            session_key: "9hAb/NEYUlkaMBEsmFgzig==".into(),
            token: "ACCESS_TOKEN_1".into(),
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path, e.g. `/xpay/query_order`.
    pub path: String,
    /// The query parameters.
    pub query: HashMap<String, String>,
    /// The body bytes, untouched.
    pub body: Vec<u8>,
    /// What the server decided: `None` when every check passed, else why not.
    pub rejected: Option<String>,
}

/// A canned answer: an HTTP status and a body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Answer {
    /// 200 with this JSON.
    pub fn json(v: Value) -> Answer {
        Answer {
            status: 200,
            body: v.to_string(),
        }
    }

    /// 200 with `{"errcode": code, "errmsg": msg}`.
    pub fn errcode(code: i64, msg: &str) -> Answer {
        Answer::json(json!({"errcode": code, "errmsg": msg}))
    }
}

#[derive(Default)]
struct Inner {
    seen: Vec<Seen>,
    scripted: HashMap<String, VecDeque<Answer>>,
    token_fetches: usize,
    tokens: VecDeque<String>,
    current_token: String,
    failing_token_fetches: usize,
}

/// The fake WeChat.
#[derive(Clone)]
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The keys checked.
    pub keys: Keys,
    inner: Arc<Mutex<Inner>>,
}

fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

impl Server {
    /// Starts a server on a free loopback port.
    pub async fn start(keys: Keys) -> Server {
        let inner = Arc::new(Mutex::new(Inner {
            current_token: keys.token.clone(),
            ..Inner::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = Server {
            base_url: format!("http://{addr}"),
            keys,
            inner,
        };
        let app = Router::new()
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/xpay/{action}", post(xpay))
            .with_state(server.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        server
    }

    /// Queues answers for an action (used before the default success answer).
    pub fn script(&self, action: &str, answers: impl IntoIterator<Item = Answer>) {
        let mut g = self.inner.lock().expect("lock");
        g.scripted
            .entry(action.to_string())
            .or_default()
            .extend(answers);
    }

    /// Makes the next token fetches hand out these tokens, in order.
    pub fn next_tokens(&self, tokens: &[&str]) {
        let mut g = self.inner.lock().expect("lock");
        g.tokens.extend(tokens.iter().map(|t| t.to_string()));
    }

    /// Makes WeChat forget the token the client holds (as when it expires), so the next call
    /// answers 40001 and the next fetch hands out `new`.
    pub fn expire_token(&self, new: &str) {
        let mut g = self.inner.lock().expect("lock");
        g.current_token = format!("{}-expired", g.current_token);
        g.tokens.push_back(new.to_string());
    }

    /// Makes the next `n` token fetches fail with errcode 40125 (invalid AppSecret).
    pub fn fail_token_fetches(&self, n: usize) {
        self.inner.lock().expect("lock").failing_token_fetches = n;
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().expect("lock").seen.clone()
    }

    /// How many tokens were fetched.
    pub fn token_fetches(&self) -> usize {
        self.inner.lock().expect("lock").token_fetches
    }
}

async fn stable_token(State(s): State<Server>, body: Bytes) -> (StatusCode, String) {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if v["force_refresh"] != json!(false) || v["grant_type"] != "client_credential" {
        return (
            StatusCode::OK,
            json!({"errcode": 40013, "errmsg": "bad token request"}).to_string(),
        );
    }
    let mut g = s.inner.lock().expect("lock");
    g.token_fetches += 1;
    if g.failing_token_fetches > 0 {
        g.failing_token_fetches -= 1;
        return (
            StatusCode::OK,
            json!({"errcode": 40125, "errmsg": "invalid appsecret"}).to_string(),
        );
    }
    if let Some(t) = g.tokens.pop_front() {
        g.current_token = t;
    }
    let t = g.current_token.clone();
    (
        StatusCode::OK,
        json!({"access_token": t, "expires_in": 7200}).to_string(),
    )
}

async fn xpay(
    State(s): State<Server>,
    Path(action): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> (StatusCode, String) {
    let path = format!("/xpay/{action}");
    let mut g = s.inner.lock().expect("lock");
    let current_token = g.current_token.clone();
    let rejected = check(&s.keys, &current_token, &path, &query, &body);
    g.seen.push(Seen {
        path: path.clone(),
        query: query.clone(),
        body: body.to_vec(),
        rejected: rejected.clone().map(|(_, m)| m),
    });
    if let Some((code, msg)) = rejected {
        return (
            StatusCode::OK,
            json!({"errcode": code, "errmsg": msg}).to_string(),
        );
    }
    if let Some(a) = g.scripted.get_mut(&action).and_then(VecDeque::pop_front) {
        return (
            StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK),
            a.body,
        );
    }
    (
        StatusCode::OK,
        json!({"errcode": 0, "errmsg": "ok"}).to_string(),
    )
}

/// The server's own checks, written from the reference, not from the runtime.
fn check(
    keys: &Keys,
    token: &str,
    path: &str,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Option<(i64, String)> {
    if query.get("access_token").map(String::as_str) != Some(token) {
        return Some((
            40001,
            "invalid credential, access_token is invalid or not latest".into(),
        ));
    }
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Some((268490002, format!("body is not JSON: {e}"))),
    };
    if v.get("access_token").is_some() {
        return Some((268490002, "access_token must not be in the body".into()));
    }
    let key = match v.get("env").and_then(Value::as_u64) {
        Some(1) => &keys.sandbox_app_key,
        _ => &keys.app_key,
    };
    let mut msg = path.as_bytes().to_vec();
    msg.push(b'&');
    msg.extend_from_slice(body);
    let want = hmac_hex(key.as_bytes(), &msg);
    if query.get("pay_sig") != Some(&want) {
        return Some((268490003, "pay_sig error".into()));
    }
    // Reference §4: these three are signed with the user's session key as well.
    let user_signed = matches!(
        path,
        "/xpay/query_user_balance" | "/xpay/currency_pay" | "/xpay/cancel_currency_pay"
    );
    match query.get("signature") {
        Some(sig) if *sig != hmac_hex(keys.session_key.as_bytes(), body) => {
            return Some((268490003, "signature error".into()));
        }
        None if user_signed => return Some((268490009, "session_key missing".into())),
        _ => {}
    }
    None
}
