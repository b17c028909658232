//! [`MockServer`]: a running fake WeChat, and the library methods that drive it.
//!
//! The routes live in [`wechat`](crate::wechat) (what WeChat's servers answer) and
//! [`control`](crate::control) (`/mock/*`); the state they share in [`state`](crate::state).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use serde_json::Value;
use xpay::callback::EncodingAesKey;
use xpay::{AppKey, CallbackToken, Env};

use crate::auth::Auth;
use crate::config::MockConfig;
use crate::credentials::Credentials;
use crate::error::{MockError, Result};
use crate::faults::{Fault, Faults, endpoint_key};
use crate::ledger::{Balance, CashOrder, Ledger, Payment};
use crate::push::{Delivery, PushTarget, Pusher};
use crate::serving::Serving;
use crate::state::{AppState, Inner, PayOutcome, RequestRecord, Shared};
use crate::verify::Keys;

/// A running fake WeChat xpay server on 127.0.0.1.
///
/// Start one with [`MockServer::start`]; point a [`Client`](xpay::Client) at
/// [`base_url`](Self::base_url) with the [`credentials`](Self::credentials). It stops when
/// dropped or [`shutdown`](Self::shutdown).
///
/// Endpoints:
///
/// | method and path | what |
/// |---|---|
/// | `POST /cgi-bin/stable_token` | JSON `{grant_type, appid, secret, force_refresh}` → `{access_token, expires_in}` |
/// | `GET /cgi-bin/token?grant_type&appid&secret` | classic token: a new one each call, the old one valid 5 more minutes |
/// | `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code` | `{openid, session_key}` |
/// | `GET /wxa/checksession?access_token&openid&signature&sig_method=hmac_sha256` | errcode 0 for the user's latest session key, 87009 otherwise |
/// | `POST /xpay/{action}` | every action of the built-in spec, checked ([`verify`](crate::verify)) then answered by the [ledger](crate::ledger) or with a [sample](crate::sample) |
/// | `POST /mock/login` | `{js_code}` → `{openid, session_key}` |
/// | `POST /mock/pay` | a [`Payment`] → `{order, delivery}` (see [`pay`](Self::pay)) |
/// | `GET /mock/balance?openid&env` | a [`Balance`] |
/// | `GET /mock/order?order_id&env` | a [`CashOrder`] |
/// | `POST /mock/fail` | `{action, n, errcode[, errmsg] \| status}` (see [`fail_next`](Self::fail_next)) |
/// | `POST /mock/latency` | `{millis[, action]}` |
/// | `POST /mock/expire_token` | see [`expire_token`](Self::expire_token) |
/// | `POST /mock/reset_faults` | drops queued faults and latencies |
/// | `POST /mock/push_target` | `{url, format: "json" \| "xml"}`; `{"url": null}` stops pushes |
/// | `GET /mock/pushes` | every [`Delivery`] so far |
/// | `GET /mock/stats` | `{token_fetches, requests}` |
///
/// An action the spec does not have answers HTTP 200 with errcode 40066 (so clients show an
/// errcode and a message naming the action); any other unknown path answers HTTP 404 with
/// errcode 40066. `/mock/*` answers `{"errcode":0,"errmsg":"ok",…}`, or HTTP 400 with errcode
/// 268490002 for a bad argument. Request bodies are limited to [`MockConfig::max_body_bytes`] (HTTP 413
/// beyond).
///
/// For tests, [`client`](Self::client) gives a [`Client`](xpay::Client) configured for the
/// mock, [`push_inbox`](Self::push_inbox) a callback server that receives its pushes typed,
/// and [`check_payment`](Self::check_payment) checks what a backend hands the mini program.
pub struct MockServer {
    shared: Arc<Shared>,
    base_url: String,
    /// A client for the mock, built at start: what [`client`](Self::client) falls back to.
    fallback_client: xpay::Client,
    addr: SocketAddr,
    serving: Serving,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .field("credentials", &self.shared.credentials)
            .finish_non_exhaustive()
    }
}

fn config_error(what: &str, e: impl std::fmt::Display) -> MockError {
    MockError::Config(format!("{what}: {e}"))
}

impl MockServer {
    /// Binds 127.0.0.1 on the configured port (0 = a free one) and starts serving in the
    /// background on the current tokio runtime (which needs I/O and time enabled). Errors:
    /// [`MockError::Config`] for unusable credentials, [`MockError::Bind`] when the port is
    /// taken.
    pub async fn start(config: MockConfig) -> Result<MockServer> {
        let credentials = config
            .credentials
            .clone()
            .unwrap_or_else(Credentials::random);
        credentials.validate()?;
        let keys = Keys {
            production: AppKey::new(credentials.app_key.clone())
                .map_err(|e| config_error("app_key", e))?,
            sandbox: AppKey::new(credentials.sandbox_app_key.clone())
                .map_err(|e| config_error("sandbox_app_key", e))?,
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(config.push_timeout)
            .user_agent("xpay-mock")
            .build()
            .map_err(|e| config_error("push HTTP client", e.without_url()))?;
        let pusher = Pusher {
            http,
            token: CallbackToken::new(credentials.callback_token.clone())
                .map_err(|e| config_error("callback_token", e))?,
            aes_key: EncodingAesKey::new(credentials.encoding_aes_key.clone())
                .map_err(|e| config_error("encoding_aes_key", e))?,
            app_id: credentials.app_id.clone(),
            original_id: config.original_id.clone(),
            retry: config.push_retry.clone(),
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|source| MockError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| MockError::Bind {
            port: config.port,
            source,
        })?;
        let shared = Arc::new(Shared {
            keys,
            pusher,
            state: Mutex::new(Inner {
                auth: Auth::new(
                    credentials.app_id.clone(),
                    credentials.app_secret.clone(),
                    config.token_ttl,
                ),
                ledger: Ledger::new(config.spend_order),
                faults: Faults::default(),
                push_target: config.push_target.clone(),
                pushes: Vec::new(),
                requests: VecDeque::new(),
            }),
            credentials,
        });
        let base_url = format!("http://{addr}");
        let fallback_client = shared
            .credentials
            .client_builder(&base_url)
            .build()
            .map_err(|e| config_error("client for the mock", e))?;
        let app = router(Arc::clone(&shared), config.max_body_bytes);
        let serving = Serving::start(listener, app, "xpay-mock");
        Ok(MockServer {
            shared,
            base_url,
            fallback_client,
            addr,
            serving,
        })
    }

    /// The state the routes share.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The client built at start (see [`client`](Self::client)).
    pub(crate) fn fallback_client(&self) -> &xpay::Client {
        &self.fallback_client
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the client's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The credentials requests are checked against.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// The `XPAY_NAME=value` lines of the credentials, `XPAY_BASE_URL` last
    /// ([`Credentials::env_lines`]).
    pub fn env_lines(&self) -> Vec<String> {
        self.shared.credentials.env_lines(&self.base_url)
    }

    /// Logs a test user in, as `jscode2session` does: `(openid, session_key)`. The openid is
    /// derived from the code (the same code always gives the same user); the session key is
    /// new each time and replaces the user's earlier one.
    pub fn login(&self, js_code: &str) -> (String, String) {
        self.shared.lock().auth.login(js_code)
    }

    /// The openid a login code gives, without logging in.
    pub fn openid_for(&self, js_code: &str) -> String {
        crate::auth::openid_for(self.shared.lock().auth.app_id(), js_code)
    }

    /// The latest session key of a user, if it ever logged in.
    pub fn session_key(&self, openid: &str) -> Option<String> {
        self.shared
            .lock()
            .auth
            .session_key(openid)
            .map(str::to_string)
    }

    /// Plays WeChat charging a user: records a cash order (status 2, `left_fee = paid_fee =
    /// quantity × price`), credits the tokens in coin mode, and, when a push target is set,
    /// pushes `xpay_coin_pay_notify` or `xpay_goods_deliver_notify` and waits for the delivery
    /// (every retry included). Errors: 268490002 for a bad payment (out_trade_no rules,
    /// quantity or price below 1, goods without product_id), 268490004 for an out_trade_no
    /// already paid in that env.
    pub async fn pay(&self, payment: Payment) -> Result<PayOutcome> {
        self.shared.pay(&payment).await
    }

    /// Pushes any event of the spec with these fields (the envelope is added) to the push
    /// target and waits for the delivery.
    pub async fn push_event(&self, event: &str, fields: Value) -> Result<Delivery> {
        self.shared.push_event(event, fields).await
    }

    /// A user's token balance in an env.
    pub fn balance(&self, openid: &str, env: Env) -> Balance {
        self.shared.lock().ledger.balance(openid, env)
    }

    /// A cash order by its merchant order id.
    pub fn order(&self, env: Env, order_id: &str) -> Option<CashOrder> {
        self.shared.lock().ledger.order(env, order_id).cloned()
    }

    /// Makes the next `n` calls of an endpoint fail with `fault`, before any check (nothing
    /// changes). `endpoint` is an action name or alias, `stable_token`, `token` or
    /// `jscode2session`. Faults queue: after these `n`, faults queued later apply.
    pub fn fail_next(&self, endpoint: &str, n: u32, fault: Fault) -> Result<()> {
        let key = endpoint_key(endpoint)?;
        fault.validate()?;
        self.shared.lock().faults.fail_next(key, n, fault);
        Ok(())
    }

    /// Delays every answer by `latency` (`Duration::ZERO` for none).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().faults.set_latency(latency);
    }

    /// Delays the answers of one endpoint by `latency` instead (`None` to use the global
    /// latency again).
    pub fn set_endpoint_latency(&self, endpoint: &str, latency: Option<Duration>) -> Result<()> {
        let key = endpoint_key(endpoint)?;
        self.shared.lock().faults.set_endpoint_latency(key, latency);
        Ok(())
    }

    /// Drops every queued fault and latency.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Expires the current access token: calls with it answer 42001 and the next fetch hands
    /// out a new one.
    pub fn expire_token(&self) {
        self.shared.lock().auth.expire_current();
    }

    /// How many access tokens were handed out (`stable_token` and `token`).
    pub fn token_fetches(&self) -> u64 {
        self.shared.lock().auth.fetches()
    }

    /// Sets (or with `None` clears) where pushes go.
    pub fn set_push_target(&self, target: Option<PushTarget>) {
        self.shared.lock().push_target = target;
    }

    /// Every push delivery finished so far, oldest first (refund pushes are sent in the
    /// background and appear when done).
    pub fn pushes(&self) -> Vec<Delivery> {
        self.shared.lock().pushes.clone()
    }

    /// The finished delivery of the push of `event` with dedup `key`, waiting up to `wait` for
    /// it (refund pushes are sent in the background, so their delivery is recorded after the
    /// receiver answered); `None` when none finished in time.
    pub async fn delivery(&self, event: &str, key: &str, wait: Duration) -> Option<Delivery> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let done = self
                .pushes()
                .into_iter()
                .find(|d| d.event == event && d.key == key);
            if done.is_some() || tokio::time::Instant::now() >= deadline {
                return done;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The latest requests answered, oldest first (at most [`REQUEST_LOG_LIMIT`](crate::REQUEST_LOG_LIMIT)).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.iter().cloned().collect()
    }

    /// Stops serving: no new connections, open ones finish their request. Waits up to 5 s.
    pub async fn shutdown(mut self) {
        self.serving.stop().await;
    }
}

fn router(shared: AppState, max_body: usize) -> Router {
    Router::new()
        .merge(crate::wechat::routes())
        .merge(crate::control::routes())
        .fallback(crate::wechat::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(shared)
}
