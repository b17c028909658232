//! [`Client`] and its [`ClientBuilder`]: configuration, the HTTP client, tokens, and the keys
//! each env signs with.

use crate::action::FillContext;
use crate::token::{
    FixedTokenSource, MemoryStore, TokenManager, TokenMode, TokenSource, TokenStore,
    WeChatTokenSource,
};
use crate::{AccessToken, AppKey, AppSecret, Env, Error, Result};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// WeChat's API origin, which serves `/xpay/*`, `/cgi-bin/*` and `/sns/*`.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// How failed calls are retried (only as each action's `retry` rule allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait before the first retry; doubled each time.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// A WeChat virtual-payment client: the generated action methods, dynamic calls,
/// `code2session`, and payment parameters. Cheap to clone; clones share the HTTP connection
/// pool and the token cache.
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

    /// What generated code fills unset fields from.
    pub fn fill_context(&self) -> FillContext<'_> {
        FillContext {
            env: self.inner.env,
            offer_id: self.inner.offer_id.as_deref(),
        }
    }

    /// The AppKey for an env, or an error that says which key is missing.
    pub fn app_key(&self, env: Env) -> Result<&AppKey> {
        match env {
            Env::Production => self.inner.app_key.as_ref().ok_or_else(|| {
                Error::Config(
                    "no production AppKey configured (MP → 虚拟支付 → 基本配置; XPAY_APP_KEY)".into(),
                )
            }),
            Env::Sandbox => self.inner.sandbox_app_key.as_ref().ok_or_else(|| {
                Error::Config(
                    "env 1 (sandbox, 沙箱) needs the sandbox AppKey, and none is configured (XPAY_SANDBOX_APP_KEY)"
                        .into(),
                )
            }),
        }
    }

    /// A current access token (fetched or refreshed as needed).
    pub async fn access_token(&self) -> Result<AccessToken> {
        self.tokens()?.get().await
    }

    pub(crate) fn tokens(&self) -> Result<&TokenManager> {
        self.inner.tokens.as_ref().ok_or_else(|| {
            Error::Config(
                "no way to get an access token: configure the app id and AppSecret (XPAY_APP_ID, XPAY_APP_SECRET), an access token (XPAY_ACCESS_TOKEN), or a token source".into(),
            )
        })
    }

    pub(crate) fn url(&self, path: &str) -> Result<reqwest::Url> {
        reqwest::Url::parse(&format!("{}{path}", self.inner.base_url))
            .map_err(|e| Error::Config(format!("invalid base URL `{}`: {e}", self.inner.base_url)))
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
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The mini program's app id (`wx…`).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The AppSecret, to fetch access tokens and call `code2session`.
    pub fn app_secret(mut self, secret: impl Into<String>) -> Self {
        self.app_secret = Some(secret.into());
        self
    }

    /// Use this access token as it is and fetch none (for tools and tests).
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// Take tokens from this source (e.g. a central token service) instead of WeChat.
    pub fn token_source(mut self, source: impl TokenSource + 'static) -> Self {
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
        self.token_mode = mode;
        self
    }

    /// The offer id (MP → 虚拟支付 → 基本配置), for payments and actions that send it.
    pub fn offer_id(mut self, offer_id: impl Into<String>) -> Self {
        self.offer_id = Some(offer_id.into());
        self
    }

    /// The production (现网) AppKey.
    pub fn app_key(mut self, key: impl Into<String>) -> Self {
        self.app_key = Some(key.into());
        self
    }

    /// The sandbox (沙箱) AppKey.
    pub fn sandbox_app_key(mut self, key: impl Into<String>) -> Self {
        self.sandbox_app_key = Some(key.into());
        self
    }

    /// The env to use where a body does not say (production by default).
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// Replaces `https://api.weixin.qq.com` for `/xpay/*`, `/cgi-bin/*` and `/sns/*` (tests,
    /// the fake server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How long to wait for a connection (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = Some(t);
        self
    }

    /// How long a whole request may take (default 15 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// An HTTP(S) proxy for every request. Loopback base URLs bypass it.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// How failed calls are retried (within each action's rule).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Use this reqwest client instead of building one (timeouts and proxy are then its own).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client, checking what is given.
    pub fn build(self) -> Result<Client> {
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.into())
            .trim_end_matches('/')
            .to_string();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("invalid base URL `{base_url}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL `{base_url}` must be http or https"
            )));
        }
        let loopback = is_loopback(&parsed);
        let http = match self.http {
            Some(h) => h,
            None => {
                let mut b = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(5)))
                    .timeout(self.timeout.unwrap_or(Duration::from_secs(15)))
                    .user_agent(concat!("xpay-rs/", env!("CARGO_PKG_VERSION")));
                match (&self.proxy, loopback) {
                    (Some(p), false) => {
                        let proxy = reqwest::Proxy::all(p.as_str()).map_err(|e| {
                            Error::Config(format!("invalid proxy URL: {}", e.without_url()))
                        })?;
                        b = b.proxy(proxy);
                    }
                    _ => b = b.no_proxy(),
                }
                b.build().map_err(|e| {
                    Error::Config(format!("cannot build the HTTP client: {}", e.without_url()))
                })?
            }
        };
        if self.retry.max_attempts == 0 {
            return Err(Error::Config(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        let app_secret = self.app_secret.map(AppSecret::new).transpose()?;
        let app_key = self.app_key.map(AppKey::new).transpose()?;
        let sandbox_app_key = self.sandbox_app_key.map(AppKey::new).transpose()?;
        if let Some(id) = &self.app_id
            && id.trim().is_empty()
        {
            return Err(Error::Config("app id is empty".into()));
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
        let tokens = match source {
            Some(source) => {
                let store: Arc<dyn TokenStore> = self
                    .token_store
                    .unwrap_or_else(|| Arc::new(MemoryStore::new()));
                Some(TokenManager::builder(source).store(store).build()?)
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
                max_response_bytes: 16 * 1024 * 1024,
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
