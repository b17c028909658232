//! Fetching access tokens from WeChat over HTTP: `stable_token` (default) or the classic `token`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::BoxFuture;
use super::source::{FetchedToken, TokenSource, store_key};
use crate::{AppSecret, Error, Result};

use crate::client::DEFAULT_BASE_URL;

/// Token answers are a few hundred bytes; anything this large is not one.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// How [`WeChatTokenSource`] asks WeChat for a token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TokenMode {
    /// `POST /cgi-bin/stable_token` with `force_refresh: false` (the default). Repeated calls
    /// return the same token and do not invalidate tokens other instances hold; WeChat renews it
    /// 5 minutes before it expires.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`. Each call invalidates the previous token 5 minutes later, so
    /// several instances must share one token through a shared
    /// [`TokenStore`](super::TokenStore).
    Classic,
}

impl TokenMode {
    /// `stable` or `classic`, as in `XPAY_TOKEN_MODE` and the store key.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenMode::Stable => "stable",
            TokenMode::Classic => "classic",
        }
    }

    /// The WeChat action called: `stable_token` or `token`.
    pub const fn action(self) -> &'static str {
        match self {
            TokenMode::Stable => "stable_token",
            TokenMode::Classic => "token",
        }
    }
}

impl fmt::Display for TokenMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenMode {
    type Err = Error;

    /// Parses `stable` or `classic` (ASCII case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("stable") {
            Ok(TokenMode::Stable)
        } else if s.eq_ignore_ascii_case("classic") {
            Ok(TokenMode::Classic)
        } else {
            Err(Error::invalid_setting(
                crate::Setting::TokenMode,
                format!("`{}`: expected `stable` or `classic`", s.escape_debug()),
            ))
        }
    }
}

/// Fetches access tokens from WeChat with the app id and AppSecret.
///
/// Never asks for `force_refresh: true`: WeChat allows it 20 times a day, and it invalidates the
/// tokens every other instance holds.
#[derive(Clone)]
pub struct WeChatTokenSource {
    http: reqwest::Client,
    base_url: String,
    app_id: String,
    secret: AppSecret,
    mode: TokenMode,
}

#[derive(Serialize)]
struct StableTokenRequest<'a> {
    grant_type: &'static str,
    appid: &'a str,
    secret: &'a str,
    force_refresh: bool,
}

impl WeChatTokenSource {
    /// A source for `app_id` on WeChat's origin ([`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL)),
    /// in [`TokenMode::Stable`]. `http` is the HTTP client whose timeouts and proxy apply; it
    /// should not follow redirects, which would re-send the AppSecret.
    pub fn new(http: reqwest::Client, app_id: impl Into<String>, secret: AppSecret) -> Self {
        Self {
            http,
            base_url: DEFAULT_BASE_URL.to_owned(),
            app_id: app_id.into(),
            secret,
            mode: TokenMode::default(),
        }
    }

    /// Uses `base_url` (such as a mock's `http://127.0.0.1:PORT`) instead of WeChat's origin.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Uses `mode` to obtain tokens.
    pub fn with_mode(mut self, mode: TokenMode) -> Self {
        self.mode = mode;
        self
    }

    fn endpoint(&self, path: &str) -> Result<reqwest::Url> {
        let url = format!("{}{path}", self.base_url.trim_end_matches('/'));
        reqwest::Url::parse(&url)
            .map_err(|e| Error::invalid_setting(crate::Setting::BaseUrl, e.to_string()))
    }

    fn request(&self) -> Result<reqwest::RequestBuilder> {
        match self.mode {
            TokenMode::Stable => {
                let body = serde_json::to_vec(&StableTokenRequest {
                    grant_type: "client_credential",
                    appid: &self.app_id,
                    secret: self.secret.expose(),
                    // Never true: see the type's documentation.
                    force_refresh: false,
                })
                .map_err(|e| Error::Token {
                    reason: format!("stable_token: cannot encode the request: {e}"),
                })?;
                Ok(self
                    .http
                    .post(self.endpoint("/cgi-bin/stable_token")?)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body))
            }
            TokenMode::Classic => {
                let mut url = self.endpoint("/cgi-bin/token")?;
                url.query_pairs_mut()
                    .append_pair("grant_type", "client_credential")
                    .append_pair("appid", &self.app_id)
                    .append_pair("secret", self.secret.expose());
                Ok(self.http.get(url))
            }
        }
    }

    async fn fetch_token(&self) -> Result<FetchedToken> {
        let action = self.mode.action();
        let response = self
            .request()?
            .send()
            .await
            .map_err(|e| Error::transport(action, e))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(Error::Http {
                action: action.into(),
                status: status.as_u16(),
            });
        }
        let body = crate::call::read_limited(response, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| e.into_error(action, MAX_RESPONSE_BYTES))?;
        parse_answer(action, &body, self.secret.expose())
    }
}

/// Reads `{"access_token","expires_in"}` or `{"errcode","errmsg"}`. Error messages quote no
/// value from the body except WeChat's errmsg, with `secret` blanked out should it appear and
/// control characters escaped.
fn parse_answer(action: &str, body: &[u8], secret: &str) -> Result<FetchedToken> {
    let decode = |message: &str| Error::decode(action, message, None);
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) else {
        return Err(decode("the response is not a JSON object"));
    };
    let errcode = match answer.get("errcode") {
        None | Some(Value::Null) => 0,
        Some(code) => code
            .as_i64()
            .ok_or_else(|| decode("`errcode` is not an integer"))?,
    };
    if errcode != 0 {
        let errmsg = answer.get("errmsg").and_then(Value::as_str).unwrap_or("");
        let token = answer.get("access_token").and_then(Value::as_str);
        return Err(Error::WeChat {
            action: action.into(),
            errcode,
            errmsg: crate::secret::scrub(errmsg, [secret].into_iter().chain(token)),
            // Filled from the spec in use by the call that needed the token.
            meaning: None,
        });
    }
    let token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| decode("`access_token` is missing or not a string"))?;
    let token = crate::AccessToken::new(token).map_err(|_| decode("`access_token` is empty"))?;
    let expires_in = answer
        .get("expires_in")
        .and_then(Value::as_i64)
        .ok_or_else(|| decode("`expires_in` is missing or not an integer"))?;
    if expires_in <= 0 {
        return Err(decode("`expires_in` is not a positive number of seconds"));
    }
    Ok(FetchedToken {
        token,
        expires_in: Duration::from_secs(expires_in.unsigned_abs()),
    })
}

impl fmt::Debug for WeChatTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeChatTokenSource")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("secret", &self.secret)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl TokenSource for WeChatTokenSource {
    fn fetch(&self) -> BoxFuture<'_, Result<FetchedToken>> {
        Box::pin(self.fetch_token())
    }

    fn store_key(&self) -> String {
        store_key(&self.app_id, self.mode.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::extract::{Query, State};
    use axum::routing::{get, post};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    const SECRET: &str = "THE-APP-SECRET-0123456789";

    #[derive(Clone, Default)]
    struct Seen {
        stable_bodies: Arc<Mutex<Vec<Value>>>,
        classic_queries: Arc<Mutex<Vec<HashMap<String, String>>>>,
    }

    /// A fake WeChat: answers `answer` to both token endpoints and records what it was sent.
    async fn serve(answer: Value) -> (String, Seen) {
        let seen = Seen::default();
        let stable_answer = answer.clone();
        let app = Router::new()
            .route(
                "/cgi-bin/stable_token",
                post(move |State(seen): State<Seen>, body: axum::body::Bytes| {
                    let answer = stable_answer.clone();
                    async move {
                        let body = serde_json::from_slice(&body).expect("JSON body");
                        seen.stable_bodies.lock().expect("lock").push(body);
                        axum::Json(answer)
                    }
                }),
            )
            .route(
                "/cgi-bin/token",
                get(
                    move |State(seen): State<Seen>,
                          Query(query): Query<HashMap<String, String>>| {
                        let answer = answer.clone();
                        async move {
                            seen.classic_queries.lock().expect("lock").push(query);
                            axum::Json(answer)
                        }
                    },
                ),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/"), seen)
    }

    fn source(base_url: &str, mode: TokenMode) -> WeChatTokenSource {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        WeChatTokenSource::new(
            http,
            "wx1234567890",
            AppSecret::new(SECRET).expect("secret"),
        )
        .with_base_url(base_url)
        .with_mode(mode)
    }

    fn ok_answer() -> Value {
        serde_json::json!({"access_token": "ACCESS-TOKEN-FROM-WECHAT", "expires_in": 7200})
    }

    /// Fetches one token in `mode` from a server answering [`ok_answer`], checks the token,
    /// its lifetime and the store key, and returns what the server saw.
    async fn fetch_once(mode: TokenMode, store_key: &str) -> Seen {
        let (base, seen) = serve(ok_answer()).await;
        let source = source(&base, mode);
        assert_eq!(source.store_key(), store_key);
        let fetched = source.fetch().await.expect("fetch");
        assert_eq!(fetched.token.expose(), "ACCESS-TOKEN-FROM-WECHAT");
        assert_eq!(fetched.expires_in, Duration::from_secs(7200));
        seen
    }

    #[tokio::test]
    async fn stable_mode_posts_the_body_with_force_refresh_false() {
        let seen = fetch_once(TokenMode::Stable, "xpay:{wx1234567890}:access_token:stable").await;

        let bodies = seen.stable_bodies.lock().expect("lock").clone();
        assert_eq!(bodies.len(), 1);
        let body = bodies[0].as_object().expect("object");
        assert_eq!(body["grant_type"], "client_credential");
        assert_eq!(body["appid"], "wx1234567890");
        assert_eq!(body["secret"], SECRET);
        assert_eq!(body["force_refresh"], Value::Bool(false));
        assert_eq!(body.len(), 4, "no other fields: {body:?}");
        assert!(seen.classic_queries.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn classic_mode_gets_with_the_query() {
        let seen = fetch_once(
            TokenMode::Classic,
            "xpay:{wx1234567890}:access_token:classic",
        )
        .await;

        let queries = seen.classic_queries.lock().expect("lock").clone();
        assert_eq!(queries.len(), 1);
        let query = &queries[0];
        assert_eq!(query["grant_type"], "client_credential");
        assert_eq!(query["appid"], "wx1234567890");
        assert_eq!(query["secret"], SECRET);
        assert_eq!(query.len(), 3, "no other parameters: {query:?}");
        assert!(seen.stable_bodies.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn errcode_answers_become_errors_naming_the_errcode() {
        let (base, _) = serve(serde_json::json!({
            "errcode": 40125,
            "errmsg": format!("invalid appsecret {SECRET} rid: 1234"),
        }))
        .await;
        for mode in [TokenMode::Stable, TokenMode::Classic] {
            let err = source(&base, mode).fetch().await.expect_err("errcode");
            let Error::WeChat {
                action,
                errcode,
                errmsg,
                ..
            } = &err
            else {
                panic!("expected a WeChat error, got {err:?}");
            };
            assert_eq!((action.as_str(), *errcode), (mode.action(), 40125));
            assert_eq!(errmsg, "invalid appsecret [REDACTED] rid: 1234");
            assert_eq!(err.errcode(), Some(40125));
            assert!(!format!("{err} {err:?}").contains(SECRET));
        }
    }

    #[tokio::test]
    async fn transport_errors_carry_no_url() {
        // Nothing listens on this port once the listener is dropped.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        for mode in [TokenMode::Stable, TokenMode::Classic] {
            let err = source(&format!("http://{addr}"), mode)
                .fetch()
                .await
                .expect_err("refused");
            let Error::Transport { action, source } = &err else {
                panic!("expected a transport error, got {err:?}");
            };
            assert_eq!(action, mode.action());
            assert!(source.url().is_none());
            assert!(!format!("{err} {err:?}").contains(SECRET));
        }
    }

    #[test]
    fn malformed_answers_are_decode_errors_without_values() {
        let cases: [&[u8]; 8] = [
            b"not json",
            b"[1]",
            br#"{"expires_in": 7200}"#,
            br#"{"access_token": "TOKEN-VALUE"}"#,
            br#"{"access_token": "TOKEN-VALUE", "expires_in": "7200"}"#,
            br#"{"access_token": "TOKEN-VALUE", "expires_in": 0}"#,
            br#"{"access_token": "TOKEN-VALUE", "expires_in": -60}"#,
            br#"{"access_token": "", "expires_in": 1}"#,
        ];
        for body in cases {
            let err = parse_answer("stable_token", body, SECRET).expect_err("malformed");
            assert!(matches!(err, Error::Decode { .. }), "{err:?}");
            assert!(!err.to_string().contains("TOKEN-VALUE"), "{err}");
        }
        let ok = parse_answer(
            "token",
            br#"{"errcode": 0, "errmsg": "ok", "access_token": "T", "expires_in": 7200}"#,
            SECRET,
        )
        .expect("errcode 0 is success");
        assert_eq!(ok.token.expose(), "T");
    }

    #[test]
    fn debug_hides_the_secret() {
        let debug = format!("{:?}", source("http://127.0.0.1:1", TokenMode::Stable));
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("wx1234567890"), "{debug}");
    }

    #[test]
    fn token_mode_parses_and_defaults_to_stable() {
        assert_eq!(TokenMode::default(), TokenMode::Stable);
        assert_eq!(
            "stable".parse::<TokenMode>().expect("stable"),
            TokenMode::Stable
        );
        assert_eq!(
            "Classic".parse::<TokenMode>().expect("classic"),
            TokenMode::Classic
        );
        assert!("force".parse::<TokenMode>().is_err());
        assert_eq!(TokenMode::Classic.to_string(), "classic");
    }
}
