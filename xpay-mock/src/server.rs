//! [`MockServer`]: the axum router, its shared state, and the library methods that drive it.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use xpay::callback::{EncodingAesKey, Format};
use xpay::{AppKey, CallbackToken, Env};

use crate::answer::{JsonAnswer, Reject};
use crate::auth::Auth;
use crate::config::MockConfig;
use crate::credentials::Credentials;
use crate::errcodes::{
    DATA_FORMAT_ERROR, INVALID_CODE, INVALID_FIELD, INVALID_GRANT_TYPE, INVALID_URL,
    SESSION_SIGNATURE_INVALID,
};
use crate::error::{MockError, Result};
use crate::faults::{
    CHECKSESSION, Fault, Faults, JSCODE2SESSION, STABLE_TOKEN, TOKEN, endpoint_key,
};
use crate::ledger::{Balance, CashOrder, Ledger, Payment};
use crate::push::{Delivery, PushJob, PushTarget, Pusher};
use crate::sample::sample_response;
use crate::verify::{Keys, parse_query, verify};

/// How many requests [`MockServer::requests`] remembers (the oldest are dropped).
pub const REQUEST_LOG_LIMIT: usize = 10_000;

/// One request as the mock answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// The endpoint: an action name, `stable_token`, `token`, `jscode2session`, or the path
    /// of an unknown action.
    pub endpoint: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The errcode answered (0 for success).
    pub errcode: i64,
}

/// What [`MockServer::pay`] did: the cash order recorded and, when a push target is set, the
/// delivery of its push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayOutcome {
    /// The order, after the push (status 4 when the push was acknowledged).
    pub order: CashOrder,
    /// The push's delivery; `None` without a push target.
    pub delivery: Option<Delivery>,
}

struct Inner {
    auth: Auth,
    ledger: Ledger,
    faults: Faults,
    push_target: Option<PushTarget>,
    pushes: Vec<Delivery>,
    requests: VecDeque<RequestRecord>,
}

pub(crate) struct Shared {
    credentials: Credentials,
    keys: Keys,
    pusher: Pusher,
    state: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, endpoint: &str, answer: &JsonAnswer) {
        let mut g = self.lock();
        if g.requests.len() >= REQUEST_LOG_LIMIT {
            g.requests.pop_front();
        }
        g.requests.push_back(RequestRecord {
            endpoint: endpoint.to_string(),
            status: answer.status.as_u16(),
            errcode: answer.errcode(),
        });
    }

    /// Latency and injected faults: the answer of a faulted call, if any.
    async fn gate(&self, endpoint: &str) -> Option<JsonAnswer> {
        let (latency, fault) = {
            let mut g = self.lock();
            (g.faults.latency(endpoint), g.faults.take(endpoint))
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        fault.map(|f| f.answer())
    }

    /// Sends a push and records its delivery; marks the order delivered when acknowledged.
    async fn deliver(&self, target: &PushTarget, job: &PushJob) -> Delivery {
        let delivery = self.pusher.deliver(target, job).await;
        let mut g = self.lock();
        if delivery.delivered
            && let Some(order_id) = &job.order_id
        {
            g.ledger.delivered(job.env, order_id);
        }
        g.pushes.push(delivery.clone());
        delivery
    }

    fn spawn_push(self: &Arc<Self>, job: PushJob) {
        let target = self.lock().push_target.clone();
        if let Some(target) = target {
            let shared = Arc::clone(self);
            tokio::spawn(async move {
                shared.deliver(&target, &job).await;
            });
        }
    }

    async fn pay(&self, payment: &Payment) -> Result<PayOutcome> {
        let (order, job, target) = {
            let mut g = self.lock();
            let (order, job) =
                g.ledger
                    .record_payment(payment)
                    .map_err(|r| MockError::Rejected {
                        errcode: r.errcode,
                        errmsg: r.errmsg,
                    })?;
            (order, job, g.push_target.clone())
        };
        let Some(target) = target else {
            return Ok(PayOutcome {
                order,
                delivery: None,
            });
        };
        let delivery = self.deliver(&target, &job).await;
        let order = self
            .lock()
            .ledger
            .order(payment.env, &payment.out_trade_no)
            .cloned()
            .unwrap_or(order);
        Ok(PayOutcome {
            order,
            delivery: Some(delivery),
        })
    }

    async fn push_event(&self, event: &str, fields: Value) -> Result<Delivery> {
        let Value::Object(fields) = fields else {
            return Err(MockError::Config(
                "push fields must be a JSON object".into(),
            ));
        };
        let target = self
            .lock()
            .push_target
            .clone()
            .ok_or_else(|| MockError::Config("no push target is set".into()))?;
        let meta = xpay::api::SPEC
            .event(event)
            .ok_or_else(|| MockError::Config(format!("unknown event `{event}`")))?;
        // The event's dedup key, as a receiver computes it (empty when the push has none).
        let key = meta
            .dedup_key_of(&Value::Object(fields.clone()))
            .unwrap_or_default();
        let event: &'static str = meta.name;
        let job = PushJob {
            event,
            key,
            env: Env::Production,
            order_id: None,
            fields,
        };
        Ok(self.deliver(&target, &job).await)
    }
}

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
pub struct MockServer {
    shared: Arc<Shared>,
    base_url: String,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
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
        let app = router(Arc::clone(&shared), config.max_body_bytes);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "xpay-mock stopped serving");
            }
        });
        Ok(MockServer {
            shared,
            base_url: format!("http://{addr}"),
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
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

    /// The latest requests answered, oldest first (at most [`REQUEST_LOG_LIMIT`]).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.iter().cloned().collect()
    }

    /// Stops serving: no new connections, open ones finish their request. Waits up to 5 s.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

type AppState = Arc<Shared>;

fn router(shared: AppState, max_body: usize) -> Router {
    Router::new()
        .route("/cgi-bin/stable_token", post(stable_token))
        .route("/cgi-bin/token", get(classic_token))
        .route("/sns/jscode2session", get(jscode2session))
        .route("/wxa/checksession", get(checksession))
        .route("/xpay/{action}", post(xpay))
        .route("/mock/login", post(mock_login))
        .route("/mock/pay", post(mock_pay))
        .route("/mock/balance", get(mock_balance))
        .route("/mock/order", get(mock_order))
        .route("/mock/fail", post(mock_fail))
        .route("/mock/latency", post(mock_latency))
        .route("/mock/expire_token", post(mock_expire_token))
        .route("/mock/reset_faults", post(mock_reset_faults))
        .route("/mock/push_target", post(mock_push_target))
        .route("/mock/pushes", get(mock_pushes))
        .route("/mock/stats", get(mock_stats))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(shared)
}

async fn not_found() -> JsonAnswer {
    JsonAnswer {
        status: StatusCode::NOT_FOUND,
        body: json!({"errcode": INVALID_URL, "errmsg": "invalid url: the mock does not serve this path"}),
    }
}

fn get_str<'a>(q: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    q.get(name).map(String::as_str)
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
            if get_str(&q, "grant_type") != Some("client_credential") {
                Reject::new(
                    INVALID_GRANT_TYPE,
                    "invalid grant_type: must be client_credential",
                )
                .into()
            } else {
                let mut g = s.lock();
                match g
                    .auth
                    .check_app(get_str(&q, "appid"), get_str(&q, "secret"))
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
                .check_app(get_str(&q, "appid"), get_str(&q, "secret"))
            {
                r.into()
            } else if get_str(&q, "grant_type") != Some("authorization_code") {
                Reject::new(
                    INVALID_GRANT_TYPE,
                    "invalid grant_type: must be authorization_code",
                )
                .into()
            } else {
                match get_str(&q, "js_code").filter(|c| !c.is_empty()) {
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
            if let Err(r) = g.auth.check_token(get_str(&q, "access_token")) {
                r.into()
            } else if get_str(&q, "sig_method") != Some("hmac_sha256") {
                Reject::new(INVALID_FIELD, "invalid sig_method: only hmac_sha256").into()
            } else {
                let valid = get_str(&q, "openid")
                    .and_then(|openid| g.auth.session_key(openid))
                    .and_then(|k| xpay::SessionKey::new(k).ok())
                    .zip(get_str(&q, "signature"))
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
                        _ => Map::new(),
                    };
                    fields.remove("errcode");
                    fields.remove("errmsg");
                    fields.extend(handled.fields);
                    (JsonAnswer::success(fields), handled.push)
                }
            },
        }
    };
    if let Some(job) = push {
        s.spawn_push(job);
    }
    s.record(meta.name, &answer);
    answer
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
    match get_str(q, "env") {
        None => Ok(Env::Production),
        Some(e) => e.parse::<Env>().map_err(bad_request),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginArgs {
    js_code: String,
}

async fn mock_login(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
    match parse_json::<LoginArgs>(&body) {
        Err(a) => a,
        Ok(a) if a.js_code.is_empty() => bad_request("js_code is empty"),
        Ok(a) => {
            let (openid, session_key) = s.lock().auth.login(&a.js_code);
            ok_with(json!({"openid": openid, "session_key": session_key}))
        }
    }
}

async fn mock_pay(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
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

async fn mock_balance(State(s): State<AppState>, RawQuery(raw): RawQuery) -> JsonAnswer {
    let q = parse_query(raw.as_deref());
    let env = match parse_env(&q) {
        Ok(e) => e,
        Err(a) => return a,
    };
    let Some(openid) = get_str(&q, "openid").filter(|o| !o.is_empty()) else {
        return bad_request("openid is required");
    };
    let balance = s.lock().ledger.balance(openid, env);
    ok_with(json!(balance))
}

async fn mock_order(State(s): State<AppState>, RawQuery(raw): RawQuery) -> JsonAnswer {
    let q = parse_query(raw.as_deref());
    let env = match parse_env(&q) {
        Ok(e) => e,
        Err(a) => return a,
    };
    let Some(id) = get_str(&q, "order_id") else {
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

async fn mock_fail(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
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

async fn mock_latency(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
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

async fn mock_expire_token(State(s): State<AppState>) -> JsonAnswer {
    s.lock().auth.expire_current();
    ok_with(json!({}))
}

async fn mock_reset_faults(State(s): State<AppState>) -> JsonAnswer {
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

async fn mock_push_target(State(s): State<AppState>, body: Bytes) -> JsonAnswer {
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

async fn mock_pushes(State(s): State<AppState>) -> JsonAnswer {
    let pushes = s.lock().pushes.clone();
    ok_with(json!({"pushes": pushes}))
}

async fn mock_stats(State(s): State<AppState>) -> JsonAnswer {
    let g = s.lock();
    ok_with(json!({
        "token_fetches": g.auth.fetches(),
        "requests": g.requests.len(),
        "pushes": g.pushes.len(),
    }))
}
