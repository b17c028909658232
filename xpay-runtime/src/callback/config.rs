//! [`CallbackConfig`] and [`ReplyMode`]: what the message-push settings page says, plus limits.

use std::time::Duration;

use super::crypto::EncodingAesKey;
use crate::CallbackToken;

/// The default body size limit: 64 KiB (pushes are a few hundred bytes).
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// How [`Decoder::reply`](super::Decoder::reply) answers a push.
///
/// WeChat's message-push page documents JSON/XML `ErrCode`/`ErrMsg`, the text `success`, and
/// an encrypted reply in safe mode; which of them xpay events need is not documented, so it
/// is configurable (reference §7).
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
#[derive(Debug, Clone)]
pub struct CallbackConfig {
    token: CallbackToken,
    aes_key: Option<EncodingAesKey>,
    app_id: Option<String>,
    max_body_bytes: usize,
    max_age: Option<Duration>,
    reply_mode: ReplyMode,
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
        }
    }

    /// Sets the EncodingAESKey (消息加密密钥), needed for safe-mode (encrypted) pushes.
    pub fn with_aes_key(mut self, key: EncodingAesKey) -> Self {
        self.aes_key = Some(key);
        self
    }

    /// Sets the mini program's appid: decrypted pushes for any other appid are rejected.
    pub fn with_app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// Sets the largest body accepted, in bytes.
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Rejects pushes whose `timestamp` is further than `window` from now (either way).
    /// Off by default: WeChat retries a push for about a day with its original timestamp
    /// (reference §7), so a window shorter than that drops retries.
    pub fn with_max_age(mut self, window: Duration) -> Self {
        self.max_age = Some(window);
        self
    }

    /// Sets how replies are written.
    pub fn with_reply_mode(mut self, mode: ReplyMode) -> Self {
        self.reply_mode = mode;
        self
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
}
