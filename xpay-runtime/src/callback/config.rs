//! [`CallbackConfig`] and [`ReplyMode`]: what the message-push settings page says, plus limits.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::crypto::EncodingAesKey;
use super::replay::{DEFAULT_SEEN_TTL, MemorySeenQueries, SeenQueries};
use crate::CallbackToken;

/// The default body size limit: 64 KiB (pushes are a few hundred bytes).
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// How [`Decoder::reply`](super::Decoder::reply) answers a push.
///
/// WeChat's message-push page documents JSON/XML `ErrCode`/`ErrMsg`, the text `success`, and
/// an encrypted reply in safe mode; which of them xpay events need is not documented, so it
/// is configurable (WeChat: <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// `{"ErrCode":0,"ErrMsg":"success"}` or its XML form, in the push's format, unencrypted
    /// even for safe-mode pushes. The default.
    #[default]
    Standard,
    /// The text `success` (failures answer their message as text).
    PlainSuccess,
    /// For safe-mode pushes, the reply encrypted into `{Encrypt, MsgSignature, TimeStamp,
    /// Nonce}` (JSON or XML like the push); plain-mode pushes get the [`Standard`] reply.
    ///
    /// [`Standard`]: ReplyMode::Standard
    Encrypted,
}

/// Message-push settings (MP → 开发 → 开发管理 → 消息推送) and decoding limits.
///
/// Built with [`CallbackConfig::new`] and the `with_*` setters. `Debug` never shows the
/// token or the EncodingAESKey.
///
/// # Plain mode and safe mode
///
/// With an EncodingAESKey ([`with_aes_key`](Self::with_aes_key)) only safe-mode pushes are
/// accepted: the message is read from the decrypted `Encrypt` alone, and a plain-mode push is
/// refused ([`CallbackError::PlainModeRefused`](super::CallbackError::PlainModeRefused), 401).
/// Without a key, plain-mode pushes are accepted, and **their body is not authenticated**:
/// WeChat's plain-mode `signature` covers the token, timestamp and nonce only. A replayed query
/// with a forged body is then refused by the seen-query check (on by default in plain mode, see
/// [`replay`](super::replay)), but a query that was never used for a push (one captured from
/// the URL-verification GET before it reached you, say) can still carry a forged body. Use safe
/// mode for anything that moves money.
#[derive(Clone)]
pub struct CallbackConfig {
    token: CallbackToken,
    aes_key: Option<EncodingAesKey>,
    app_id: Option<String>,
    max_body_bytes: usize,
    max_age: Option<Duration>,
    reply_mode: ReplyMode,
    replay: ReplayCheck,
    seen_ttl: Duration,
}

/// Whether and where verified queries are remembered.
#[derive(Clone)]
enum ReplayCheck {
    /// In memory when no EncodingAESKey is set (plain mode), off otherwise.
    Default,
    /// Off.
    Off,
    /// In this store.
    Store(Arc<dyn SeenQueries>),
}

impl fmt::Debug for CallbackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let replay = match &self.replay {
            ReplayCheck::Default if self.aes_key.is_none() => "in memory (plain mode default)",
            ReplayCheck::Default | ReplayCheck::Off => "off",
            ReplayCheck::Store(_) => "a configured store",
        };
        f.debug_struct("CallbackConfig")
            .field("token", &self.token)
            .field("aes_key", &self.aes_key)
            .field("app_id", &self.app_id)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_age", &self.max_age)
            .field("reply_mode", &self.reply_mode)
            .field("replay_check", &replay)
            .field("seen_ttl", &self.seen_ttl)
            .finish()
    }
}

impl CallbackConfig {
    /// Settings with the push token (令牌), no EncodingAESKey (plain mode only), no appid check,
    /// a 64 KiB body limit, no freshness check and [`ReplyMode::Standard`].
    pub fn new(token: CallbackToken) -> Self {
        Self {
            token,
            aes_key: None,
            app_id: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_age: None,
            reply_mode: ReplyMode::Standard,
            replay: ReplayCheck::Default,
            seen_ttl: DEFAULT_SEEN_TTL,
        }
    }

    /// Settings from the process environment ([`settings`](crate::settings)): the Token from
    /// `XPAY_CALLBACK_TOKEN` (required), the EncodingAESKey from `XPAY_ENCODING_AES_KEY` (safe
    /// mode, when set) and the appid pushes must carry from `XPAY_APP_ID` (when set); the
    /// other settings at their defaults.
    ///
    /// Errors with [`Error::MissingSetting`](crate::Error::MissingSetting) without a Token and
    /// [`Error::InvalidSetting`](crate::Error::InvalidSetting) for a value that is not one,
    /// naming the variable and never quoting the secret.
    pub fn from_env() -> crate::Result<Self> {
        Self::from_lookup(crate::settings::process_env)
    }

    /// [`from_env`](Self::from_env) with the variables read through `lookup` (command-line
    /// flags over the environment, say).
    pub fn from_lookup(lookup: impl crate::settings::Lookup) -> crate::Result<Self> {
        use crate::settings::read;
        let token = read(&lookup, "XPAY_CALLBACK_TOKEN")?.ok_or_else(|| {
            crate::Error::missing_setting(
                crate::Setting::CallbackToken,
                "receiving message pushes (令牌, MP → 开发管理 → 消息推送)",
            )
            .with_env_hints()
        })?;
        let mut config = Self::new(CallbackToken::new(token).map_err(|e| e.with_env_hints())?);
        if let Some(key) = read(&lookup, "XPAY_ENCODING_AES_KEY")? {
            config = config.with_aes_key(EncodingAesKey::new(key).map_err(|e| e.with_env_hints())?);
        }
        if let Some(app_id) = read(&lookup, "XPAY_APP_ID")? {
            config = config.with_app_id(app_id);
        }
        Ok(config)
    }

    /// Sets the EncodingAESKey (消息加密密钥), needed for safe-mode (encrypted) pushes. Once it is
    /// set, only encrypted pushes are read: a plain push is refused with
    /// [`CallbackError::PlainModeRefused`](super::CallbackError::PlainModeRefused) (HTTP 401).
    /// Without it, only plain pushes are read, and their bodies are unauthenticated.
    pub fn with_aes_key(self, key: EncodingAesKey) -> Self {
        Self {
            aes_key: Some(key),
            ..self
        }
    }

    /// Sets the mini program's appid: decrypted pushes for any other appid are rejected.
    pub fn with_app_id(self, app_id: impl Into<String>) -> Self {
        Self {
            app_id: Some(app_id.into()),
            ..self
        }
    }

    /// Sets the largest body accepted, in bytes (default [`DEFAULT_MAX_BODY_BYTES`], 64 KiB).
    /// A larger body is refused with
    /// [`CallbackError::BodyTooLarge`](super::CallbackError::BodyTooLarge) (HTTP 413); the
    /// axum router stops reading at the limit.
    pub fn with_max_body_bytes(self, limit: usize) -> Self {
        Self {
            max_body_bytes: limit,
            ..self
        }
    }

    /// Rejects pushes whose `timestamp` is further than `window` from now (either way).
    /// Off by default: WeChat's virtual-payment delivery docs retry an unanswered push up to 15
    /// times over about a day and do not say whether a retry keeps its timestamp, so a window
    /// shorter than that may drop retries.
    pub fn with_max_age(self, window: Duration) -> Self {
        Self {
            max_age: Some(window),
            ..self
        }
    }

    /// Sets how replies are written.
    pub fn with_reply_mode(self, mode: ReplyMode) -> Self {
        Self {
            reply_mode: mode,
            ..self
        }
    }

    /// Remembers verified queries in `store` (shared by every instance, say
    /// `RedisSeenQueries`), in plain and in safe mode. See [`replay`](super::replay).
    pub fn with_seen_queries(self, store: impl SeenQueries + 'static) -> Self {
        Self {
            replay: ReplayCheck::Store(Arc::new(store)),
            ..self
        }
    }

    /// Turns the seen-query check off, also in plain mode, where it is on by default.
    pub fn without_replay_check(mut self) -> Self {
        self.replay = ReplayCheck::Off;
        self
    }

    /// Remembers a seen query for `ttl` (default 48 hours,
    /// [`DEFAULT_SEEN_TTL`](super::replay::DEFAULT_SEEN_TTL)); it must outlast WeChat's
    /// retries of about a day.
    pub fn with_seen_ttl(self, ttl: Duration) -> Self {
        Self {
            seen_ttl: ttl,
            ..self
        }
    }

    /// The push token.
    pub fn token(&self) -> &CallbackToken {
        &self.token
    }

    /// The EncodingAESKey, if set.
    pub fn aes_key(&self) -> Option<&EncodingAesKey> {
        self.aes_key.as_ref()
    }

    /// The appid pushes must carry, if set.
    pub fn app_id(&self) -> Option<&str> {
        self.app_id.as_deref()
    }

    /// The body size limit in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The freshness window, if set.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// How replies are written.
    pub fn reply_mode(&self) -> ReplyMode {
        self.reply_mode
    }

    /// How long a seen query is remembered.
    pub fn seen_ttl(&self) -> Duration {
        self.seen_ttl
    }

    /// The store the seen-query check uses, resolving the default: a new in-memory store in
    /// plain mode (no EncodingAESKey), none in safe mode.
    pub(crate) fn seen_queries(&self) -> Option<Arc<dyn SeenQueries>> {
        match &self.replay {
            ReplayCheck::Default if self.aes_key.is_none() => {
                Some(Arc::new(MemorySeenQueries::new()))
            }
            ReplayCheck::Default | ReplayCheck::Off => None,
            ReplayCheck::Store(store) => Some(Arc::clone(store)),
        }
    }
}
