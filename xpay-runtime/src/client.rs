//! [`Client`] and its [`ClientBuilder`]: configuration, the HTTP client, tokens, and the keys
//! each env signs with.

use crate::action::FillContext;
use crate::error::Setting;
use crate::token::{
    FixedTokenSource, MemoryStore, TokenManager, TokenMode, TokenSource, TokenStore,
    WeChatTokenSource,
};
use crate::{AccessToken, AppKey, AppSecret, Env, Error, Result, SessionKey};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// WeChat's API origin, which serves `/xpay/*`, `/cgi-bin/*`, `/sns/*` and `/wxa/*`.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// The default response size limit: 16 MiB (answers are a few KiB; bill lists are larger).
const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How failed calls are retried (only as each action's `retry` rule allows).
///
/// Built from [`RetryPolicy::default`] or [`RetryPolicy::NONE`] with the `with_` setters, so
/// that it can gain settings without breaking a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the first retry; doubled each time.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Whether each wait is drawn at random between half of it and all of it, so that
    /// instances retrying after one outage do not retry in lockstep (on by default).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms then 400 ms (with jitter), at most 2 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        jitter: false,
    };

    /// Sets the number of attempts in all, the first included (default 3). Zero is refused by
    /// [`ClientBuilder::build`] with [`Error::InvalidSetting`]. An action is retried only as its
    /// spec `retry` rule allows ([`Retry`](crate::meta::Retry)): money-moving calls only with the
    /// same order id and body, and `never` actions not at all.
    pub const fn with_max_attempts(self, max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..self
        }
    }

    /// Sets the wait before the first retry (default 200 ms); each later wait doubles, up to
    /// [`with_max_backoff`](Self::with_max_backoff).
    pub const fn with_initial_backoff(self, initial_backoff: Duration) -> Self {
        Self {
            initial_backoff,
            ..self
        }
    }

    /// Sets the longest wait between attempts (default 2 s).
    pub const fn with_max_backoff(self, max_backoff: Duration) -> Self {
        Self {
            max_backoff,
            ..self
        }
    }

    /// Turns the jitter on or off (default on). With it, each wait is drawn between half of it
    /// and all of it.
    pub const fn with_jitter(self, jitter: bool) -> Self {
        Self { jitter, ..self }
    }

    /// The wait before attempt `attempt + 1`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let wait = self
            .initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff);
        if self.jitter && !wait.is_zero() {
            wait.mul_f64(rand::random_range(0.5..=1.0))
        } else {
            wait
        }
    }
}

/// A WeChat virtual-payment client: typed calls ([`send`](Self::send),
/// [`send_user`](Self::send_user)), dynamic calls ([`call`](Self::call)), payment parameters
/// ([`payment_params`](Self::payment_params)) and `code2session`. Cheap to clone; clones share
/// the HTTP connection pool and the token cache.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) app_id: Option<String>,
    pub(crate) app_secret: Option<AppSecret>,
    pub(crate) offer_id: Option<String>,
    pub(crate) app_key: Option<AppKey>,
    pub(crate) sandbox_app_key: Option<AppKey>,
    pub(crate) env: Env,
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: Option<TokenManager>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// Cross-cutting behaviour around each request.
    pub(crate) hook: Option<Arc<dyn crate::hook::Hook>>,
    /// Which settings came from the environment, so errors name their variables.
    pub(crate) provenance: crate::settings::Provenance,
    /// What is missing when `tokens` is `None`: the app id when only it lacks, else a token
    /// source.
    pub(crate) token_gap: Setting,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("app_id", &i.app_id)
            .field("offer_id", &i.offer_id)
            .field("env", &i.env)
            .field("base_url", &i.base_url)
            .field("app_secret", &i.app_secret)
            .field("app_key", &i.app_key)
            .field("sandbox_app_key", &i.sandbox_app_key)
            .field("retry", &i.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The env calls and payments target unless a body says otherwise.
    pub fn env(&self) -> Env {
        self.inner.env
    }

    /// The app id, if configured.
    pub fn app_id(&self) -> Option<&str> {
        self.inner.app_id.as_deref()
    }

    /// The base URL (`https://api.weixin.qq.com` unless overridden).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Whether the AppKey of `env` is configured (to check at startup, before the first
    /// order).
    pub fn has_app_key(&self, env: Env) -> bool {
        match env {
            Env::Production => self.inner.app_key.is_some(),
            Env::Sandbox => self.inner.sandbox_app_key.is_some(),
        }
    }

    /// Fails with [`Error::MissingSetting`] for the first of `settings` that is not
    /// configured, so that an application stops at startup rather than at its first order.
    /// Understands the app id, the AppSecret, the offer id, the AppKey of an env and a token
    /// source (the AppSecret, a fixed token or a source of yours); any other setting passes.
    /// Names the variable to set when the client came from
    /// [`ClientBuilder::from_env`](crate::ClientBuilder::from_env).
    pub fn require(&self, settings: &[Setting]) -> Result<()> {
        let i = &self.inner;
        for &setting in settings {
            let present = match setting {
                Setting::AppId => i.app_id.is_some(),
                Setting::AppSecret => i.app_secret.is_some(),
                Setting::OfferId => i.offer_id.is_some(),
                Setting::AppKey(env) => self.has_app_key(env),
                Setting::TokenSource => i.tokens.is_some(),
                _ => true,
            };
            if !present {
                let missing = match setting {
                    Setting::TokenSource => i.token_gap,
                    other => other,
                };
                return Err(self.hint(Error::missing_setting(missing, "starting up")));
            }
        }
        Ok(())
    }

    /// A current access token (fetched or refreshed as needed).
    pub async fn access_token(&self) -> Result<AccessToken> {
        self.tokens()?.get().await
    }

    /// What generated code fills unset fields from.
    pub(crate) fn fill_context(&self) -> FillContext<'_> {
        FillContext {
            env: self.inner.env,
            offer_id: self.inner.offer_id.as_deref(),
        }
    }

    /// The AppKey for an env, or an error that says which key is missing and what needs it.
    pub(crate) fn app_key(&self, env: Env, context: &str) -> Result<&AppKey> {
        let key = match env {
            Env::Production => self.inner.app_key.as_ref(),
            Env::Sandbox => self.inner.sandbox_app_key.as_ref(),
        };
        key.ok_or_else(|| {
            self.hint(Error::MissingAppKey {
                env,
                context: context.to_string(),
                env_var: None,
            })
        })
    }

    pub(crate) fn tokens(&self) -> Result<&TokenManager> {
        self.inner.tokens.as_ref().ok_or_else(|| {
            self.hint(Error::missing_setting(
                self.inner.token_gap,
                "calling WeChat",
            ))
        })
    }

    pub(crate) fn url(&self, path: &str) -> Result<reqwest::Url> {
        reqwest::Url::parse(&format!("{}{path}", self.inner.base_url))
            .map_err(|e| Error::invalid_setting(Setting::BaseUrl, e.to_string()))
    }

    /// Adds the environment variable to set to a setting error, when that setting came from
    /// the environment.
    pub(crate) fn hint(&self, e: Error) -> Error {
        self.inner.provenance.hint(e)
    }

    /// Text that came from the network, made safe to store in an error or log: every secret
    /// the client holds (and the call's session key and token) blanked out, and control
    /// characters escaped.
    pub(crate) fn clean(
        &self,
        text: &str,
        session_key: Option<&SessionKey>,
        token: Option<&AccessToken>,
    ) -> String {
        let i = &self.inner;
        let secrets = [
            i.app_secret.as_ref().map(AppSecret::expose),
            i.app_key.as_ref().map(AppKey::expose),
            i.sandbox_app_key.as_ref().map(AppKey::expose),
            session_key.map(SessionKey::expose),
            token.map(AccessToken::expose),
        ];
        crate::secret::scrub(text, secrets.into_iter().flatten())
    }
}

impl Client {
    /// A decode error for an answer WeChat (or whoever answered) sent: the parser's message
    /// cleaned of secrets and control characters. The parser's error is kept as the source
    /// unless its text carried either.
    pub(crate) fn decode_error(
        &self,
        action: &str,
        what: &str,
        error: serde_json::Error,
        session_key: Option<&SessionKey>,
        token: Option<&AccessToken>,
    ) -> Error {
        let text = error.to_string();
        let cleaned = self.clean(&text, session_key, token);
        let source: Option<crate::SharedSource> = (cleaned == text).then(|| Arc::new(error) as _);
        Error::decode(action, format!("{what}: {cleaned}"), source)
    }
}

/// Builds a [`Client`]. Only what a call needs is required, and only when it is made: a
/// client that only signs payments needs an offer id and an AppKey, nothing else.
#[derive(Default)]
pub struct ClientBuilder {
    app_id: Option<String>,
    app_secret: Option<String>,
    access_token: Option<String>,
    token_source: Option<Arc<dyn TokenSource>>,
    token_store: Option<Arc<dyn TokenStore>>,
    token_mode: TokenMode,
    token_refetch_interval: Option<Duration>,
    offer_id: Option<String>,
    app_key: Option<String>,
    sandbox_app_key: Option<String>,
    env: Env,
    base_url: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    proxy: Option<String>,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    max_response_bytes: Option<usize>,
    hook: Option<Arc<dyn crate::hook::Hook>>,
    provenance: crate::settings::Provenance,
    /// Variables `from_lookup` could not read; one overridden in code no longer counts.
    problems: Vec<Error>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |o: &Option<String>| o.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("ClientBuilder")
            .field("app_id", &self.app_id)
            .field("app_secret", &redacted(&self.app_secret))
            .field("access_token", &redacted(&self.access_token))
            .field("offer_id", &self.offer_id)
            .field("app_key", &redacted(&self.app_key))
            .field("sandbox_app_key", &redacted(&self.sandbox_app_key))
            .field("env", &self.env)
            .field("base_url", &self.base_url)
            .field("token_mode", &self.token_mode)
            .field("token_refetch_interval", &self.token_refetch_interval)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder configured from the process environment, with the variables of
    /// [`settings`](crate::settings):
    ///
    /// | variable | setting |
    /// |---|---|
    /// | `XPAY_APP_ID` | [`app_id`](Self::app_id) |
    /// | `XPAY_APP_SECRET` | [`app_secret`](Self::app_secret) |
    /// | `XPAY_ACCESS_TOKEN` | [`access_token`](Self::access_token): use this token, fetch none |
    /// | `XPAY_OFFER_ID` | [`offer_id`](Self::offer_id) |
    /// | `XPAY_APP_KEY` | [`app_key`](Self::app_key) (production, 现网) |
    /// | `XPAY_SANDBOX_APP_KEY` | [`sandbox_app_key`](Self::sandbox_app_key) (沙箱) |
    /// | `XPAY_ENV` | [`env`](Self::env): `0` or `production` (default), `1` or `sandbox` |
    /// | `XPAY_BASE_URL` | [`base_url`](Self::base_url) |
    /// | `XPAY_TOKEN_MODE` | [`token_mode`](Self::token_mode): `stable` (default) or `classic` |
    ///
    /// An empty variable counts as unset. Each setting is needed only by the calls that use it,
    /// and errors about a missing one name its variable (unless a builder method set it
    /// afterwards: then the error is the program's). A variable that is not UTF-8, is only
    /// whitespace or has whitespace around its value, or an invalid `XPAY_ENV` or
    /// `XPAY_TOKEN_MODE`, makes [`build`](Self::build) fail, unless a builder method replaced
    /// that setting. A shared
    /// token store (`XPAY_REDIS_URL`) is connected by the application:
    /// [`settings::redis_url`](crate::settings::redis_url).
    pub fn from_env() -> ClientBuilder {
        ClientBuilder::from_lookup(crate::settings::process_env)
    }

    /// [`from_env`](Self::from_env) with the variables read through `lookup` (a value, none,
    /// or why it cannot be read): for tests, or for command-line flags that override the
    /// environment.
    pub fn from_lookup(lookup: impl crate::settings::Lookup) -> ClientBuilder {
        let mut b = ClientBuilder::default();
        b.provenance.from_env = true;
        let mut get = |name: &'static str| match crate::settings::read(&lookup, name) {
            Ok(v) => v,
            Err(problem) => {
                b.problems.push(problem);
                None
            }
        };
        let app_id = get("XPAY_APP_ID");
        let secret = get("XPAY_APP_SECRET");
        let token = get("XPAY_ACCESS_TOKEN");
        let offer = get("XPAY_OFFER_ID");
        let key = get("XPAY_APP_KEY");
        let sandbox_key = get("XPAY_SANDBOX_APP_KEY");
        let env = get("XPAY_ENV");
        let base_url = get("XPAY_BASE_URL");
        let mode = get("XPAY_TOKEN_MODE");
        b.app_id = app_id;
        b.app_secret = secret;
        b.access_token = token;
        b.offer_id = offer;
        b.app_key = key;
        b.sandbox_app_key = sandbox_key;
        b.base_url = base_url;
        if let Some(env) = env {
            match env.parse::<Env>() {
                Ok(e) => b.env = e,
                Err(problem) => b
                    .problems
                    .push(Error::invalid_setting(Setting::Env, problem)),
            }
        }
        if let Some(mode) = mode {
            match mode.parse::<TokenMode>() {
                Ok(m) => b.token_mode = m,
                Err(e) => b.problems.push(e),
            }
        }
        b
    }

    /// The mini program's app id (`wx…`).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.provenance.set_in_code(Setting::AppId);
        self.app_id = Some(app_id.into());
        self
    }

    /// The AppSecret, to fetch access tokens and call `code2session`.
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.provenance.set_in_code(Setting::AppSecret);
        self.app_secret = Some(secret.into());
        self
    }

    /// Use this access token as it is and fetch none (for tools and tests). WeChat rejecting
    /// it is an error at once: there is nothing to refresh it from.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.provenance.set_in_code(Setting::AccessToken);
        self.access_token = Some(token.into());
        self
    }

    /// Take tokens from this source (e.g. a central token service) instead of WeChat.
    pub fn token_source(mut self, source: impl TokenSource + 'static) -> Self {
        self.provenance.set_in_code(Setting::TokenSource);
        self.token_source = Some(Arc::new(source));
        self
    }

    /// Keep tokens in this store (e.g. Redis, shared by several instances).
    pub fn token_store(mut self, store: impl TokenStore + 'static) -> Self {
        self.token_store = Some(Arc::new(store));
        self
    }

    /// `stable_token` (default) or the classic `/cgi-bin/token`.
    pub fn token_mode(mut self, mode: TokenMode) -> Self {
        self.provenance.set_in_code(Setting::TokenMode);
        self.token_mode = mode;
        self
    }

    /// Runs `hook` around every request to WeChat (request ids, trace propagation, metrics);
    /// see [`hook`](crate::hook). Signing and each action's retry rule stay the client's.
    pub fn hook(mut self, hook: impl crate::hook::Hook) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Drops a token WeChat rejects at most once per `interval`
    /// ([`TokenManager::DEFAULT_REFETCH_INTERVAL`], 10 s, unless told otherwise; zero: every
    /// time). A second rejection within it fails the call with WeChat's errcode instead of
    /// fetching again.
    pub fn token_refetch_interval(mut self, interval: Duration) -> Self {
        self.token_refetch_interval = Some(interval);
        self
    }

    /// The offer id (MP → 虚拟支付 → 基本配置), for payments and actions that send it.
    pub fn offer_id(mut self, offer_id: impl Into<String>) -> Self {
        self.provenance.set_in_code(Setting::OfferId);
        self.offer_id = Some(offer_id.into());
        self
    }

    /// The production (现网) AppKey.
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.provenance
            .set_in_code(Setting::AppKey(Env::Production));
        self.app_key = Some(key.into());
        self
    }

    /// The sandbox (沙箱) AppKey.
    pub fn sandbox_app_key(mut self, key: impl Into<String>) -> Self {
        self.provenance.set_in_code(Setting::AppKey(Env::Sandbox));
        self.sandbox_app_key = Some(key.into());
        self
    }

    /// The env to use where a body does not say (production by default).
    pub fn env(mut self, env: Env) -> Self {
        self.provenance.set_in_code(Setting::Env);
        self.env = env;
        self
    }

    /// Replaces `https://api.weixin.qq.com` for `/xpay/*`, `/cgi-bin/*`, `/sns/*` and
    /// `/wxa/*` (tests, the fake server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.provenance.set_in_code(Setting::BaseUrl);
        self.base_url = Some(url.into());
        self
    }

    /// How long to wait for a connection (default 5 s). A timed-out call is
    /// [`Error::Transport`], which [`Error::is_transient`] counts as worth retrying. Not allowed with
    /// [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = Some(t);
        self
    }

    /// How long a whole request may take, answer included (default 15 s). Not allowed with
    /// [`http_client`](Self::http_client).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// An HTTP(S) proxy for every request, instead of the `HTTPS_PROXY`/`NO_PROXY`
    /// environment reqwest honours by default. Loopback base URLs bypass proxies.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// How failed calls are retried (default [`RetryPolicy::default`]: 3 attempts), always
    /// within each action's `retry` rule; [`RetryPolicy::NONE`] turns retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest answer read, in bytes (default 16 MiB); a larger one is
    /// [`Error::Decode`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Use this reqwest client instead of building one: for a client with middleware-like
    /// layers of your own (request ids, metrics, trace propagation), connection settings or
    /// TLS roots. Its own timeouts and proxy apply, so setting
    /// [`timeout`](Self::timeout), [`connect_timeout`](Self::connect_timeout) or
    /// [`proxy`](Self::proxy) as well is an error at [`build`](Self::build). Signing and the
    /// per-action retry rule stay the runtime's. It should not follow redirects (build it with
    /// `redirect(reqwest::redirect::Policy::none())`): a 3xx from WeChat is an error.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client, checking what is given: [`Error::InvalidSetting`] names the setting
    /// (and its environment variable, when [`from_env`](Self::from_env) read it).
    pub fn build(self) -> Result<Client> {
        let provenance = self.provenance.clone();
        self.build_checked().map_err(|e| provenance.hint(e))
    }

    fn build_checked(self) -> Result<Client> {
        let provenance = self.provenance;
        if let Some(problem) = self
            .problems
            .into_iter()
            .find(|p| p.setting().is_none_or(|s| provenance.read_from_env(s)))
        {
            return Err(problem);
        }
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.into())
            .trim_end_matches('/')
            .to_string();
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| Error::InvalidSetting {
            setting: Setting::BaseUrl,
            // Not echoed: a malformed URL may carry credentials.
            problem: format!("not a URL: {e}"),
            env_var: None,
            source: Some(Arc::new(e)),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::invalid_setting(
                Setting::BaseUrl,
                format!("the scheme `{}` must be http or https", parsed.scheme()),
            ));
        }
        // Not echoed either: a query may carry a token.
        let problem = if parsed.password().is_some() || !parsed.username().is_empty() {
            Some("must not carry credentials")
        } else if parsed.host_str().is_none_or(str::is_empty) {
            Some("has no host")
        } else if parsed.query().is_some() {
            Some("must not have a query (`?…`): request paths are appended to it")
        } else if parsed.fragment().is_some() {
            Some("must not have a fragment (`#…`): request paths are appended to it")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::invalid_setting(Setting::BaseUrl, problem));
        }
        let loopback = is_loopback(&parsed);
        let http = match self.http {
            Some(h) => {
                if self.timeout.is_some() || self.connect_timeout.is_some() || self.proxy.is_some()
                {
                    return Err(Error::invalid_setting(
                        Setting::HttpClient,
                        "a custom http_client brings its own timeouts and proxy: set them on it, not on the builder",
                    ));
                }
                h
            }
            None => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(5)))
                    .timeout(self.timeout.unwrap_or(Duration::from_secs(15)))
                    // A redirect would re-send the AppSecret or the signed body elsewhere.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("xpay-rs/", env!("CARGO_PKG_VERSION")));
                if loopback {
                    b = b.no_proxy();
                } else if let Some(p) = &self.proxy {
                    let proxy =
                        reqwest::Proxy::all(p.as_str()).map_err(|e| Error::InvalidSetting {
                            setting: Setting::Proxy,
                            problem: "not a proxy URL".into(),
                            env_var: None,
                            source: Some(Arc::new(e.without_url())),
                        })?;
                    b = b.proxy(proxy);
                }
                b.build().map_err(|e| Error::InvalidSetting {
                    setting: Setting::HttpClient,
                    problem: "cannot build the HTTP client".into(),
                    env_var: None,
                    source: Some(Arc::new(e.without_url())),
                })?
            }
        };
        if self.retry.max_attempts == 0 {
            return Err(Error::invalid_setting(
                Setting::Retry,
                "max_attempts must be at least 1",
            ));
        }
        if self.max_response_bytes == Some(0) {
            return Err(Error::invalid_setting(
                Setting::ResponseLimit,
                "must be at least 1 byte",
            ));
        }
        let app_secret = self.app_secret.map(AppSecret::new).transpose()?;
        let app_key = self.app_key.map(AppKey::new).transpose()?;
        let sandbox_app_key = self
            .sandbox_app_key
            .map(AppKey::new)
            .transpose()
            .map_err(|_| Error::invalid_setting(Setting::AppKey(Env::Sandbox), "is empty"))?;
        if let Some(id) = &self.app_id
            && id.trim().is_empty()
        {
            return Err(Error::invalid_setting(Setting::AppId, "is empty"));
        }
        let source: Option<Arc<dyn TokenSource>> = match (
            self.token_source,
            self.access_token,
            &self.app_id,
            &app_secret,
        ) {
            (Some(s), _, _, _) => Some(s),
            (None, Some(t), app_id, _) => Some(Arc::new(FixedTokenSource::new(
                app_id.clone().unwrap_or_default(),
                AccessToken::new(t)?,
            ))),
            (None, None, Some(app_id), Some(secret)) => Some(Arc::new(
                WeChatTokenSource::new(http.clone(), app_id.clone(), secret.clone())
                    .with_base_url(base_url.clone())
                    .with_mode(self.token_mode),
            )),
            _ => None,
        };
        let token_gap = if app_secret.is_some() && self.app_id.is_none() {
            Setting::AppId
        } else {
            Setting::TokenSource
        };
        let tokens = match source {
            Some(source) => {
                let store: Arc<dyn TokenStore> = self
                    .token_store
                    .unwrap_or_else(|| Arc::new(MemoryStore::new()));
                let mut manager = TokenManager::builder(source).store(store);
                if let Some(interval) = self.token_refetch_interval {
                    manager = manager.refetch_interval(interval);
                }
                Some(manager.build()?)
            }
            None => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                app_id: self.app_id,
                app_secret,
                offer_id: self.offer_id,
                app_key,
                sandbox_app_key,
                env: self.env,
                base_url,
                http,
                tokens,
                retry: self.retry,
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
                hook: self.hook,
                provenance,
                token_gap,
            }),
        })
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some(h) => {
            h.eq_ignore_ascii_case("localhost")
                || h.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}
