//! Helpers shared by the integration tests: a mock, logins, typed requests, and raw signed
//! requests for tampering. (A client for the mock is `server.client()`.)
#![allow(dead_code)]

use serde_json::{Value, json};
use xpay::api::{CurrencyPayRequest, PayItem, PresentCurrencyRequest};
use xpay::signing::{pay_sig, user_signature};
use xpay::{AppKey, JsonString, SessionKey};
use xpay_mock::{MockConfig, MockServer};

/// Starts a mock with default settings.
pub async fn start() -> MockServer {
    MockServer::start(MockConfig::default())
        .await
        .expect("mock starts")
}

/// Logs a user in: (openid, session key).
pub fn login(server: &MockServer, code: &str) -> (String, SessionKey) {
    let (openid, sk) = server.login(code);
    (openid, SessionKey::new(sk).expect("session key"))
}

pub fn present(openid: &str, order_id: &str, amount: i64) -> PresentCurrencyRequest {
    PresentCurrencyRequest::new(openid, order_id, amount)
}

pub fn pay(openid: &str, order_id: &str, amount: i64) -> CurrencyPayRequest {
    CurrencyPayRequest::new(
        openid,
        "127.0.0.1",
        amount,
        order_id,
        JsonString::new(vec![PayItem::new("sword", amount, 1)]),
        "test",
    )
}

/// An HTTP client without proxies.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest")
}

/// Fetches a stable token with raw HTTP.
pub async fn raw_token(server: &MockServer) -> String {
    let c = server.credentials();
    let v = post_json(
        server,
        "/cgi-bin/stable_token",
        &json!({"grant_type": "client_credential", "appid": c.app_id, "secret": c.app_secret, "force_refresh": false}),
    )
    .await;
    v["access_token"].as_str().expect("token").to_string()
}

pub async fn post_json(server: &MockServer, path: &str, body: &Value) -> Value {
    let resp = http()
        .post(format!("{}{path}", server.base_url()))
        .body(body.to_string())
        .send()
        .await
        .expect("send");
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("json answer")
}

pub async fn get_json(server: &MockServer, path_and_query: &str) -> Value {
    let resp = http()
        .get(format!("{}{path_and_query}", server.base_url()))
        .send()
        .await
        .expect("send");
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("json answer")
}

/// What a raw xpay request carries; each part can be tampered with.
pub struct Raw<'a> {
    pub action: &'a str,
    pub token: Option<String>,
    pub signed_body: Vec<u8>,
    pub sent_body: Vec<u8>,
    pub app_key: Option<String>,
    pub session_key: Option<String>,
}

impl<'a> Raw<'a> {
    pub fn new(action: &'a str, token: &str, body: &Value, app_key: &str) -> Self {
        let bytes = serde_json::to_vec(body).expect("body");
        Raw {
            action,
            token: Some(token.to_string()),
            signed_body: bytes.clone(),
            sent_body: bytes,
            app_key: Some(app_key.to_string()),
            session_key: None,
        }
    }

    pub fn with_session_key(mut self, sk: &str) -> Self {
        self.session_key = Some(sk.to_string());
        self
    }

    /// Sends it; returns (HTTP status, JSON answer).
    pub async fn send(&self, server: &MockServer) -> (u16, Value) {
        let path = format!("/xpay/{}", self.action);
        let mut url = reqwest::Url::parse(&format!("{}{path}", server.base_url())).expect("url");
        {
            let mut q = url.query_pairs_mut();
            if let Some(t) = &self.token {
                q.append_pair("access_token", t);
            }
            if let Some(k) = &self.app_key {
                let key = AppKey::new(k.clone()).expect("key");
                q.append_pair("pay_sig", &pay_sig(&key, &path, &self.signed_body));
            }
            if let Some(sk) = &self.session_key {
                let sk = SessionKey::new(sk.clone()).expect("sk");
                q.append_pair("signature", &user_signature(&sk, &self.signed_body));
            }
        }
        let resp = http()
            .post(url)
            .header("content-type", "application/json")
            .body(self.sent_body.clone())
            .send()
            .await
            .expect("send");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }
}

pub fn errcode(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(0)
}

/// The errcode of a client error.
pub fn code(e: &xpay::Error) -> i64 {
    e.errcode()
        .unwrap_or_else(|| panic!("not a WeChat error: {e}"))
}
