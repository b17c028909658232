//! [`Config`]: the shop's settings from `XPAY_*` environment variables — the same names the
//! `xpay` command reads and `xpay mock` prints — checked at startup so that a missing key is
//! one clear line, not a failed payment later.
//!
//! | variable | what | needed |
//! |---|---|---|
//! | `XPAY_APP_ID` | the mini program's app id (`wx…`) | yes |
//! | `XPAY_APP_SECRET` | its AppSecret: access tokens and `code2session` | yes |
//! | `XPAY_OFFER_ID` | 虚拟支付 → 基本配置 → OfferID | yes |
//! | `XPAY_APP_KEY` | the production (现网) AppKey | with `XPAY_ENV=0` |
//! | `XPAY_SANDBOX_APP_KEY` | the sandbox (沙箱) AppKey | with `XPAY_ENV=1` |
//! | `XPAY_ENV` | `0` production (default) or `1` sandbox | no |
//! | `XPAY_BASE_URL` | replaces `https://api.weixin.qq.com` (the mock's URL) | no |
//! | `XPAY_CALLBACK_TOKEN` | 消息推送 → Token (令牌) | yes |
//! | `XPAY_ENCODING_AES_KEY` | 消息推送 → EncodingAESKey, for safe-mode (encrypted) pushes | for safe mode |
//! | `XPAY_REDIS_URL` | a Redis shared by every instance: access tokens, push dedup and seen push queries | with several instances |
//! | `SHOP_ADDR` | where the shop listens (default `127.0.0.1:3000`) | no |
//!
//! An empty variable counts as unset.

use std::net::SocketAddr;

use xpay::callback::dedup::{Dedup, MemoryDedupStore};
use xpay::callback::{CallbackConfig, Decoder};
use xpay::redis::{RedisConnection, RedisDedupStore, RedisSeenQueries, RedisStore};
use xpay::{Client, ClientBuilder, Setting};

/// Where the shop listens unless `SHOP_ADDR` says otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// A configuration problem, as one line naming the variable to fix.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An `XPAY_*` setting is missing or invalid; the error names its variable.
    #[error(transparent)]
    Xpay(#[from] xpay::Error),
    /// `SHOP_ADDR` is not an address like `127.0.0.1:3000`.
    #[error("SHOP_ADDR: {value:?} is not an address like 127.0.0.1:3000: {source}")]
    Address {
        /// The value given.
        value: String,
        /// Why it does not parse.
        source: std::net::AddrParseError,
    },
    /// `SHOP_ADDR` is not UTF-8.
    #[error("SHOP_ADDR is not valid UTF-8")]
    AddressNotUtf8,
}

/// The shop's settings, checked and built: the xpay client, the push decoder, the push dedup
/// store and the address.
///
/// `Debug` shows no secret (the client and decoder redact theirs).
#[derive(Debug)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The xpay client: app id, secret, offer id, AppKeys, env and base URL.
    pub client: Client,
    /// Verifies and decrypts message pushes.
    pub decoder: Decoder,
    /// Whether an EncodingAESKey is set (without one, only plain-mode pushes can be read).
    pub safe_mode: bool,
    /// Runs each push's handler once: in Redis with `XPAY_REDIS_URL`, else in memory.
    pub dedup: Dedup,
}

impl Config {
    /// Reads the process environment: the library's `XPAY_*` variables
    /// ([`xpay::settings`]) and `SHOP_ADDR`.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::load(xpay::settings::process_env)
    }

    /// Reads settings through `lookup` (a variable's value, or `None`): for tests, or
    /// settings kept somewhere other than the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Config::load(|name: &str| Ok::<_, String>(lookup(name)))
    }

    fn load(lookup: impl xpay::settings::Lookup) -> Result<Config, ConfigError> {
        let addr_text = match lookup("SHOP_ADDR") {
            Ok(v) => v.filter(|v| !v.is_empty()),
            Err(_) => return Err(ConfigError::AddressNotUtf8),
        };
        let addr_text = addr_text.unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let addr = addr_text.parse().map_err(|source| ConfigError::Address {
            value: addr_text.clone(),
            source,
        })?;

        // Several instances share one Redis: one access token and one refresher, and each push
        // handled once. The connection is made on first use (so the shop starts while Redis is
        // down); it needs the Tokio runtime the shop runs in.
        let redis = xpay::settings::redis_url(&lookup)?
            .map(|url| RedisConnection::connect_lazy(&url))
            .transpose()?;
        let mut builder = ClientBuilder::from_lookup(&lookup);
        if let Some(redis) = &redis {
            builder = builder.token_store(RedisStore::new(redis.clone()));
        }
        let client = builder.build()?;
        // Logins need the app id and AppSecret, orders the offer id and the AppKey of the
        // configured env: fail now, not at the first order.
        client.require(&[
            Setting::AppId,
            Setting::AppSecret,
            Setting::OfferId,
            Setting::AppKey(client.env()),
        ])?;
        // Only pushes for our own app id are accepted (checked inside encrypted pushes). With
        // Redis, a push query seen by one instance is known to all: a captured plain-mode query
        // replayed with another body to another instance is refused too.
        let mut callback = CallbackConfig::from_lookup(&lookup)?;
        if let Some(redis) = &redis {
            callback = callback.with_seen_queries(RedisSeenQueries::new(redis.clone()));
        }
        let safe_mode = callback.aes_key().is_some();
        let dedup = match redis {
            Some(redis) => Dedup::new(RedisDedupStore::new(redis)),
            None => Dedup::new(MemoryDedupStore::new()),
        };
        Ok(Config {
            addr,
            client,
            decoder: Decoder::new(callback, &xpay::api::SPEC),
            safe_mode,
            dedup,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use xpay::Env;

    const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

    fn vars(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("XPAY_APP_ID", "wx1234567890abcdef"),
            ("XPAY_APP_SECRET", "secret"),
            ("XPAY_OFFER_ID", "1450000000"),
            ("XPAY_APP_KEY", "prod-key"),
            ("XPAY_CALLBACK_TOKEN", "token"),
            ("XPAY_ENCODING_AES_KEY", AES_KEY),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    fn load(m: &HashMap<String, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn a_complete_environment_loads() {
        let c = load(&vars(&[])).expect("loads");
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.client.env(), Env::Production);
        assert!(c.safe_mode);
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("prod-key") && !debug.contains(AES_KEY),
            "{debug}"
        );
    }

    /// The `XPAY_*` problem behind a refusal.
    fn xpay_error(m: &HashMap<String, String>) -> xpay::Error {
        match load(m).expect_err("refused") {
            ConfigError::Xpay(e) => e,
            other => panic!("expected an xpay setting error, got {other:?}"),
        }
    }

    #[test]
    fn problems_name_the_setting_and_its_variable() {
        let missing = |e: xpay::Error| match e {
            xpay::Error::MissingSetting {
                setting, env_var, ..
            } => (setting, env_var),
            other => panic!("expected MissingSetting, got {other:?}"),
        };
        let invalid = |e: xpay::Error| match e {
            xpay::Error::InvalidSetting {
                setting, env_var, ..
            } => (setting, env_var),
            other => panic!("expected InvalidSetting, got {other:?}"),
        };
        assert_eq!(
            missing(xpay_error(&vars(&[("XPAY_APP_ID", "")]))),
            (Setting::AppId, Some("XPAY_APP_ID"))
        );
        assert_eq!(
            missing(xpay_error(&vars(&[("XPAY_ENV", "1")]))),
            (Setting::AppKey(Env::Sandbox), Some("XPAY_SANDBOX_APP_KEY"))
        );
        assert_eq!(
            invalid(xpay_error(&vars(&[("XPAY_ENV", "2")]))),
            (Setting::Env, Some("XPAY_ENV"))
        );
        assert_eq!(
            invalid(xpay_error(&vars(&[("XPAY_ENCODING_AES_KEY", "short")]))),
            (Setting::EncodingAesKey, Some("XPAY_ENCODING_AES_KEY"))
        );
        assert_eq!(
            invalid(xpay_error(&vars(&[("XPAY_BASE_URL", "ftp://x")]))),
            (Setting::BaseUrl, Some("XPAY_BASE_URL"))
        );
        let mut m = vars(&[]);
        m.remove("XPAY_CALLBACK_TOKEN");
        assert_eq!(
            missing(xpay_error(&m)),
            (Setting::CallbackToken, Some("XPAY_CALLBACK_TOKEN"))
        );
        assert!(matches!(
            load(&vars(&[("SHOP_ADDR", "localhost")])),
            Err(ConfigError::Address { .. })
        ));
        // Every message is one line, and no secret is quoted.
        let e = load(&vars(&[("XPAY_ENCODING_AES_KEY", "short-but-secret")])).unwrap_err();
        let shown = e.to_string();
        assert!(
            !shown.contains('\n') && !shown.contains("short-but-secret"),
            "{shown}"
        );
    }

    #[test]
    fn plain_mode_without_an_aes_key() {
        let mut m = vars(&[("XPAY_ENV", "sandbox"), ("XPAY_SANDBOX_APP_KEY", "sb-key")]);
        m.remove("XPAY_ENCODING_AES_KEY");
        let c = load(&m).expect("loads");
        assert!(!c.safe_mode);
        assert_eq!(c.client.env(), Env::Sandbox);
    }
}
