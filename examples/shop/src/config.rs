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
//! | `XPAY_REDIS_URL` | a Redis shared by every instance: access tokens and push dedup | with several instances |
//! | `SHOP_ADDR` | where the shop listens (default `127.0.0.1:3000`) | no |
//!
//! An empty variable counts as unset.

use std::net::SocketAddr;

use xpay::callback::{CallbackConfig, Decoder, Dedup, EncodingAesKey, MemoryDedupStore};
use xpay::redis::{RedisConnection, RedisDedupStore, RedisStore};
use xpay::{CallbackToken, Client, Env};

/// Where the shop listens unless `SHOP_ADDR` says otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// Every variable [`Config::from_env`] reads.
pub const VARIABLES: [&str; 11] = [
    "XPAY_APP_ID",
    "XPAY_APP_SECRET",
    "XPAY_OFFER_ID",
    "XPAY_APP_KEY",
    "XPAY_SANDBOX_APP_KEY",
    "XPAY_ENV",
    "XPAY_BASE_URL",
    "XPAY_CALLBACK_TOKEN",
    "XPAY_ENCODING_AES_KEY",
    "XPAY_REDIS_URL",
    "SHOP_ADDR",
];

/// A configuration problem, as one line naming the variable to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The shop's settings, checked and built: the xpay client, the push decoder, and the address.
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
    /// Reads the process environment ([`VARIABLES`]).
    pub fn from_env() -> Result<Config, ConfigError> {
        for name in VARIABLES {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(ConfigError(format!("{name} is not valid UTF-8")));
            }
        }
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (a variable's value, or `None`): for tests, or
    /// settings kept somewhere other than the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let require = |name: &str, what: &str| {
            get(name).ok_or_else(|| ConfigError(format!("{name} is not set ({what})")))
        };

        let addr_text = get("SHOP_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let addr: SocketAddr = addr_text.parse().map_err(|e| {
            ConfigError(format!(
                "SHOP_ADDR: {addr_text:?} is not an address like 127.0.0.1:3000: {e}"
            ))
        })?;
        let env = match get("XPAY_ENV") {
            Some(v) => v
                .parse::<Env>()
                .map_err(|e| ConfigError(format!("XPAY_ENV: {e}")))?,
            None => Env::Production,
        };

        let mut builder = Client::builder()
            .app_id(require("XPAY_APP_ID", "the mini program's app id, wx…")?)
            .app_secret(require("XPAY_APP_SECRET", "the AppSecret")?)
            .offer_id(require(
                "XPAY_OFFER_ID",
                "MP → 虚拟支付 → 基本配置 → OfferID",
            )?)
            .env(env);
        if let Some(key) = get("XPAY_APP_KEY") {
            builder = builder.app_key(key);
        }
        if let Some(key) = get("XPAY_SANDBOX_APP_KEY") {
            builder = builder.sandbox_app_key(key);
        }
        if let Some(url) = get("XPAY_BASE_URL") {
            builder = builder.base_url(url);
        }
        // Several instances share one Redis: one access token and one refresher, and each push
        // handled once. The connection is made on first use (so the shop starts while Redis is
        // down); it needs the Tokio runtime the shop runs in.
        let redis = get("XPAY_REDIS_URL")
            .map(|url| RedisConnection::connect_lazy(&url))
            .transpose()
            .map_err(|e| ConfigError(format!("XPAY_REDIS_URL: {e}")))?;
        if let Some(redis) = &redis {
            builder = builder.token_store(RedisStore::new(redis.clone()));
        }
        let dedup = match redis {
            Some(redis) => Dedup::new(RedisDedupStore::new(redis)),
            None => Dedup::new(MemoryDedupStore::new()),
        };
        let client = builder.build().map_err(|e| ConfigError(e.to_string()))?;
        // Payments are signed with the AppKey of the configured env: fail now, not at the
        // first order.
        if !client.has_app_key(env) {
            let var = match env {
                Env::Production => "XPAY_APP_KEY",
                Env::Sandbox => "XPAY_SANDBOX_APP_KEY",
            };
            return Err(ConfigError(format!(
                "{var} is not set: env {} ({env}) signs payments with it",
                env.as_u8()
            )));
        }

        let token = CallbackToken::new(require(
            "XPAY_CALLBACK_TOKEN",
            "MP → 开发 → 开发管理 → 消息推送 → Token",
        )?)
        .map_err(|e| ConfigError(format!("XPAY_CALLBACK_TOKEN: {e}")))?;
        // Only pushes for our own app id are accepted (checked inside encrypted pushes).
        let app_id = client.app_id().unwrap_or_default().to_string();
        let mut callback = CallbackConfig::new(token).with_app_id(app_id);
        let safe_mode = match get("XPAY_ENCODING_AES_KEY") {
            Some(key) => {
                let key = EncodingAesKey::new(key)
                    .map_err(|e| ConfigError(format!("XPAY_ENCODING_AES_KEY: {e}")))?;
                callback = callback.with_aes_key(key);
                true
            }
            None => false,
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

    #[test]
    fn problems_are_one_line_naming_the_variable() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("XPAY_APP_ID", "")], "XPAY_APP_ID is not set"),
            (&[("XPAY_ENV", "2")], "XPAY_ENV: env must be 0"),
            (&[("XPAY_ENV", "1")], "XPAY_SANDBOX_APP_KEY"),
            (&[("SHOP_ADDR", "localhost")], "SHOP_ADDR: \"localhost\""),
            (
                &[("XPAY_ENCODING_AES_KEY", "short")],
                "XPAY_ENCODING_AES_KEY: ",
            ),
            (&[("XPAY_BASE_URL", "ftp://x")], "must be http or https"),
        ];
        for (extra, expected) in cases {
            let err = load(&vars(extra)).expect_err("refused").0;
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
            assert!(!err.contains('\n'), "{err:?}");
        }
        let mut m = vars(&[]);
        m.remove("XPAY_CALLBACK_TOKEN");
        let err = load(&m).expect_err("refused").0;
        assert!(err.starts_with("XPAY_CALLBACK_TOKEN is not set"), "{err}");
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
