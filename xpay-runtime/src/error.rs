//! The one error type of xpay-rs.
//!
//! Every variant names what went wrong in words, keeps its source (the serde, reqwest or Redis
//! error) and, wherever WeChat answered, its errcode. None carries a secret: no AppSecret,
//! AppKey, session key, access token or EncodingAESKey, and transport errors are stripped of
//! their URL (which holds the access token). A program matches on the variants, or asks
//! [`Error::errcode`] and [`Error::is_transient`].
//!
//! The error is cheap to clone (sources are shared), so every caller waiting on one token
//! refresh gets the refresher's own error.

use std::fmt;
use std::sync::Arc;

use crate::Env;
use crate::callback::CallbackError;

/// A source error of another library, shared so that [`Error`] is `Clone`.
pub type SharedSource = Arc<dyn std::error::Error + Send + Sync>;

/// A setting of the client (or of the CLI), as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The mini program's app id (`XPAY_APP_ID`).
    AppId,
    /// The AppSecret (`XPAY_APP_SECRET`).
    AppSecret,
    /// A way to get access tokens: the AppSecret, a fixed token or a token source.
    TokenSource,
    /// A fixed access token (`XPAY_ACCESS_TOKEN`).
    AccessToken,
    /// The offer id (`XPAY_OFFER_ID`).
    OfferId,
    /// The AppKey of an env (`XPAY_APP_KEY`, `XPAY_SANDBOX_APP_KEY`).
    AppKey(Env),
    /// The env (`XPAY_ENV`).
    Env,
    /// The base URL (`XPAY_BASE_URL`).
    BaseUrl,
    /// The HTTP proxy.
    Proxy,
    /// The HTTP client and its options.
    HttpClient,
    /// The retry policy.
    Retry,
    /// How tokens are fetched (`XPAY_TOKEN_MODE`).
    TokenMode,
    /// The token manager's timings.
    TokenTimings,
    /// The Redis URL (`XPAY_REDIS_URL`).
    RedisUrl,
    /// The message-push token (`XPAY_CALLBACK_TOKEN`).
    CallbackToken,
    /// The message-push EncodingAESKey (`XPAY_ENCODING_AES_KEY`).
    EncodingAesKey,
    /// A user's session key (from `code2session`).
    SessionKey,
    /// The response size limit.
    ResponseLimit,
}

impl Setting {
    /// The environment variable the setting is read from by the `from_env` readers, if any
    /// (the table of [`settings`](crate::settings)).
    pub fn env_var(self) -> Option<&'static str> {
        crate::settings::variable(self)
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setting::AppId => "the app id",
            Setting::AppSecret => "the AppSecret",
            Setting::TokenSource => {
                "a way to get access tokens (the app id and AppSecret, an access token, or a token source)"
            }
            Setting::AccessToken => "the access token",
            Setting::OfferId => "the offer id (offerId, MP → 虚拟支付 → 基本配置)",
            Setting::AppKey(Env::Production) => "the production (现网) AppKey",
            Setting::AppKey(Env::Sandbox) => "the sandbox (沙箱) AppKey",
            Setting::Env => "the env",
            Setting::BaseUrl => "the base URL",
            Setting::Proxy => "the proxy",
            Setting::HttpClient => "the HTTP client",
            Setting::Retry => "the retry policy",
            Setting::TokenMode => "the token mode",
            Setting::TokenTimings => "the token manager's timings",
            Setting::RedisUrl => "the Redis URL",
            Setting::CallbackToken => "the message-push token (令牌)",
            Setting::EncodingAesKey => "the EncodingAESKey (消息加密密钥)",
            Setting::SessionKey => "the user's session key",
            Setting::ResponseLimit => "the response size limit",
        })
    }
}

/// `; set XPAY_…` when the setting is read from the environment.
struct EnvHint(Option<&'static str>);

impl fmt::Display for EnvHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(var) => write!(f, " (set {var})"),
            None => Ok(()),
        }
    }
}

/// Everything that can go wrong in xpay-rs.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The AppKey of the env a request or payment is signed for is not configured.
    #[error("{context}: env {} ({env}) is signed with {}, which is not configured{}", env.as_u8(), Setting::AppKey(*env), EnvHint(*env_var))]
    MissingAppKey {
        /// The env whose key is missing.
        env: Env,
        /// What needed it (an action, `payment`).
        context: String,
        /// The environment variable to set, when the client was configured from the
        /// environment.
        env_var: Option<&'static str>,
    },

    /// A credential or setting a call needs is not configured.
    #[error("{context}: {setting} is not configured{}", EnvHint(*env_var))]
    MissingSetting {
        /// The setting.
        setting: Setting,
        /// What needed it.
        context: String,
        /// The environment variable to set, when the client was configured from the
        /// environment.
        env_var: Option<&'static str>,
    },

    /// A setting has a value that cannot be used. The value itself is not repeated when it may
    /// hold a secret.
    #[error("{setting}{} is invalid: {problem}", VarName(*env_var))]
    InvalidSetting {
        /// The setting.
        setting: Setting,
        /// What is wrong with it.
        problem: String,
        /// The environment variable it came from, when the client was configured from the
        /// environment.
        env_var: Option<&'static str>,
        /// The underlying error, if any.
        #[source]
        source: Option<SharedSource>,
    },

    /// A dynamic call named an action the spec in use does not have.
    #[error(
        "unknown action `{name}`: not a name or alias of the spec in use (see `xpay spec list`)"
    )]
    UnknownAction {
        /// The name given.
        name: String,
    },

    /// A request, order or body broke a rule of the spec; nothing was sent.
    #[error("invalid {context}: field `{field}` {violation}")]
    Invalid {
        /// The action or payment being checked (`refund_order`, `payment`).
        context: String,
        /// The field at fault, as a path (`upload_item[0].id`).
        field: String,
        /// What is wrong with it.
        violation: crate::check::Violation,
    },

    /// WeChat answered with a non-zero errcode (the token endpoint included).
    #[error("{action}: WeChat errcode {errcode}{}: {errmsg}", Meaning(*meaning))]
    WeChat {
        /// The action called (`stable_token` for the token endpoint).
        action: String,
        /// WeChat's errcode.
        errcode: i64,
        /// WeChat's errmsg, with any secret the client holds blanked out and control
        /// characters escaped.
        errmsg: String,
        /// What the errcode table of the spec in use says it means.
        meaning: Option<&'static str>,
    },

    /// errcode 268490004: an earlier call with the same id already succeeded. For
    /// money-moving calls this usually means success.
    #[error(
        "{action}: duplicate operation (268490004): an earlier call with this id already succeeded{}: {errmsg}",
        if *retried { ", most likely this call's own first attempt, whose answer was lost" } else { "" }
    )]
    Duplicate {
        /// The action called.
        action: String,
        /// WeChat's errmsg.
        errmsg: String,
        /// Whether this answer came on a retry of this very call: the first attempt went
        /// through and its answer was lost. `false`: the first attempt already got it, so an
        /// earlier call with the same id succeeded.
        retried: bool,
    },

    /// The request could not be sent or its answer not read (the URL is stripped).
    #[error("{action}: transport error: {source}")]
    Transport {
        /// The action called (or `stable_token`, `code2session`).
        action: String,
        /// The underlying error, without its URL.
        #[source]
        source: Arc<reqwest::Error>,
    },

    /// WeChat answered with an HTTP status other than 200.
    #[error("{action}: HTTP status {status}{}", if (300..400).contains(status) { " (a redirect, which is never followed)" } else { "" })]
    Http {
        /// The action called.
        action: String,
        /// The status received.
        status: u16,
    },

    /// WeChat's answer did not have the shape the spec gives.
    #[error("{action}: cannot decode the response: {message}")]
    Decode {
        /// The action called.
        action: String,
        /// What did not fit.
        message: String,
        /// The parser's error, if any.
        #[source]
        source: Option<SharedSource>,
    },

    /// No access token could be had, for a reason other than a WeChat errcode (a lock never
    /// released, a fixed token WeChat rejected).
    #[error("access token: {reason}")]
    Token {
        /// Why.
        reason: String,
    },

    /// A shared store (Redis) failed.
    #[error("{store}: {message}")]
    Store {
        /// Which store (`Redis token store at redis://10.0.0.5:6379/`, passwords hidden).
        store: String,
        /// What failed.
        message: String,
        /// The store's error.
        #[source]
        source: Option<SharedSource>,
    },

    /// A push could not be verified, decrypted or parsed.
    #[error(transparent)]
    Callback(#[from] CallbackError),
}

/// ` (XPAY_…)` when the setting came from the environment.
struct VarName(Option<&'static str>);

impl fmt::Display for VarName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(var) => write!(f, " ({var})"),
            None => Ok(()),
        }
    }
}

struct Meaning(Option<&'static str>);

impl fmt::Display for Meaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(m) => write!(f, " ({m})"),
            None => Ok(()),
        }
    }
}

impl Error {
    /// WeChat's errcode, when WeChat answered with one (268490004 and the token endpoint
    /// included).
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Error::WeChat { errcode, .. } => Some(*errcode),
            Error::Duplicate { .. } => Some(crate::errcode::DUPLICATE),
            _ => None,
        }
    }

    /// Whether trying again later could succeed without changing anything: transport errors,
    /// 5xx answers, WeChat's system error (-1), rate limits (268490015), data still being
    /// generated (268490011), a refund in progress (268490014), a running batch task
    /// (268490012), token trouble and store outages. Money-moving calls must still be
    /// retried only with the same id.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Store { .. } | Error::Token { .. } => true,
            Error::Http { status, .. } => *status >= 500 || *status == 429,
            Error::WeChat { errcode, .. } => matches!(
                *errcode,
                crate::errcode::SYSTEM_ERROR
                    | 268_490_011
                    | 268_490_012
                    | 268_490_014
                    | 268_490_015
                    | 40001
                    | 40014
                    | 42001
            ),
            _ => false,
        }
    }

    pub(crate) fn invalid(
        context: impl Into<String>,
        field: impl Into<String>,
        violation: crate::check::Violation,
    ) -> Error {
        Error::Invalid {
            context: context.into(),
            field: field.into(),
            violation,
        }
    }

    pub(crate) fn invalid_setting(setting: Setting, problem: impl Into<String>) -> Error {
        Error::InvalidSetting {
            setting,
            problem: problem.into(),
            env_var: None,
            source: None,
        }
    }

    pub(crate) fn missing_setting(setting: Setting, context: impl Into<String>) -> Error {
        Error::MissingSetting {
            setting,
            context: context.into(),
            env_var: None,
        }
    }

    pub(crate) fn decode(
        action: impl Into<String>,
        message: impl Into<String>,
        source: Option<SharedSource>,
    ) -> Error {
        Error::Decode {
            action: action.into(),
            message: message.into(),
            source,
        }
    }

    pub(crate) fn transport(action: impl Into<String>, e: reqwest::Error) -> Error {
        Error::Transport {
            action: action.into(),
            source: Arc::new(e.without_url()),
        }
    }

    /// Fills the meaning of a WeChat errcode (from the token endpoint, say) from the errcode
    /// table of the spec in use.
    pub(crate) fn explained_by(mut self, spec: &crate::meta::SpecMeta) -> Error {
        if let Error::WeChat {
            errcode, meaning, ..
        } = &mut self
            && meaning.is_none()
        {
            *meaning = spec.meaning(*errcode);
        }
        self
    }

    /// The setting a configuration error is about.
    pub(crate) fn setting(&self) -> Option<Setting> {
        match self {
            Error::MissingAppKey { env, .. } => Some(Setting::AppKey(*env)),
            Error::MissingSetting { setting, .. } | Error::InvalidSetting { setting, .. } => {
                Some(*setting)
            }
            _ => None,
        }
    }

    /// Names the environment variables of missing settings (for clients built from the
    /// environment).
    pub(crate) fn with_env_hints(mut self) -> Error {
        match &mut self {
            Error::MissingAppKey { env, env_var, .. } => {
                *env_var = Setting::AppKey(*env).env_var();
            }
            Error::MissingSetting {
                setting, env_var, ..
            }
            | Error::InvalidSetting {
                setting, env_var, ..
            } => *env_var = setting.env_var(),
            _ => {}
        }
        self
    }
}

/// Shorthand for `Result<T, xpay_runtime::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
