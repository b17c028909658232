//! [`Credentials`]: the app id, secrets and keys the fake WeChat checks requests against.

use std::fmt;
use std::time::Duration;

use rand::Rng as _;
use rand::distr::Alphanumeric;
use xpay::callback::{ENCODING_AES_KEY_LEN, EncodingAesKey};
use xpay::{Client, ClientBuilder, RetryPolicy};

use crate::error::{MockError, Result};

/// The test credentials of one fake mini program.
///
/// Random per start ([`Credentials::random`], the default of
/// [`MockConfig`](crate::MockConfig)) or given. They are test values, made to be printed
/// ([`env_lines`](Credentials::env_lines)); `Debug` still redacts the secrets so they do not
/// end up in logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The mini program's app id (`wx` and 16 hex digits when random).
    pub app_id: String,
    /// The AppSecret checked by `stable_token`, `token` and `jscode2session`.
    pub app_secret: String,
    /// The virtual-payment offer id (10 digits when random).
    pub offer_id: String,
    /// The production (现网) AppKey: `pay_sig` of `env = 0` bodies and of bodies without env.
    pub app_key: String,
    /// The sandbox (沙箱) AppKey: `pay_sig` of `env = 1` bodies.
    pub sandbox_app_key: String,
    /// The message-push token (令牌) pushes are signed with.
    pub callback_token: String,
    /// The 43-character EncodingAESKey (消息加密密钥) pushes are encrypted with.
    pub encoding_aes_key: String,
}

fn alnum(n: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

fn hex_digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

impl Credentials {
    /// Fresh random credentials: `wx` + 16 hex digits, a 32-character secret, a 10-digit offer
    /// id, two 32-character AppKeys, a 32-character callback token and a valid random
    /// EncodingAESKey.
    pub fn random() -> Self {
        let offer: u64 = rand::rng().random_range(1_000_000_000..10_000_000_000);
        Credentials {
            app_id: format!("wx{}", hex_digits(16)),
            app_secret: hex_digits(32),
            offer_id: offer.to_string(),
            app_key: alnum(32),
            sandbox_app_key: alnum(32),
            callback_token: alnum(32),
            encoding_aes_key: EncodingAesKey::generate().expose().to_string(),
        }
    }

    /// The `XPAY_NAME=value` lines that configure xpay-rs (and the `xpay` command) for this
    /// mock, in this order: `XPAY_APP_ID`, `XPAY_APP_SECRET`, `XPAY_OFFER_ID`, `XPAY_APP_KEY`,
    /// `XPAY_SANDBOX_APP_KEY`, `XPAY_CALLBACK_TOKEN`, `XPAY_ENCODING_AES_KEY`, and last
    /// `XPAY_BASE_URL=<base_url>`.
    pub fn env_lines(&self, base_url: &str) -> Vec<String> {
        use xpay::{Env, Setting};
        // The names are the library's (`xpay::settings`), the ones `from_env` reads.
        [
            (Setting::AppId, self.app_id.as_str()),
            (Setting::AppSecret, &self.app_secret),
            (Setting::OfferId, &self.offer_id),
            (Setting::AppKey(Env::Production), &self.app_key),
            (Setting::AppKey(Env::Sandbox), &self.sandbox_app_key),
            (Setting::CallbackToken, &self.callback_token),
            (Setting::EncodingAesKey, &self.encoding_aes_key),
            (Setting::BaseUrl, base_url),
        ]
        .iter()
        .map(|(setting, value)| format!("{}={value}", setting.env_var().unwrap_or("?")))
        .collect()
    }

    /// A client builder for a mock with these credentials at `base_url`: app id, AppSecret,
    /// offer id, both AppKeys, and a fast retry policy (3 attempts, 1 ms then 2 ms apart, no
    /// jitter). What [`MockServer::client_builder`](crate::MockServer::client_builder) gives.
    pub(crate) fn client_builder(&self, base_url: &str) -> ClientBuilder {
        Client::builder()
            .app_id(&self.app_id)
            .app_secret(&self.app_secret)
            .offer_id(&self.offer_id)
            .app_key(&self.app_key)
            .sandbox_app_key(&self.sandbox_app_key)
            .base_url(base_url)
            .retry(
                RetryPolicy::default()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(5))
                    .with_jitter(false),
            )
    }

    /// Checks that every value is usable: none empty or with whitespace or control characters
    /// (they must survive an `XPAY_NAME=value` line), and the EncodingAESKey valid.
    pub fn validate(&self) -> Result<()> {
        let fields = [
            ("app_id", &self.app_id),
            ("app_secret", &self.app_secret),
            ("offer_id", &self.offer_id),
            ("app_key", &self.app_key),
            ("sandbox_app_key", &self.sandbox_app_key),
            ("callback_token", &self.callback_token),
            ("encoding_aes_key", &self.encoding_aes_key),
        ];
        for (name, value) in fields {
            if value.is_empty() {
                return Err(MockError::Config(format!("credential `{name}` is empty")));
            }
            if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(MockError::Config(format!(
                    "credential `{name}` contains whitespace or control characters"
                )));
            }
        }
        EncodingAesKey::new(self.encoding_aes_key.clone()).map_err(|e| {
            MockError::Config(format!(
                "credential `encoding_aes_key` (must be {ENCODING_AES_KEY_LEN} base64 characters): {e}"
            ))
        })?;
        Ok(())
    }
}

impl Default for Credentials {
    /// [`Credentials::random`].
    fn default() -> Self {
        Credentials::random()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const R: &str = "[REDACTED]";
        f.debug_struct("Credentials")
            .field("app_id", &self.app_id)
            .field("app_secret", &R)
            .field("offer_id", &self.offer_id)
            .field("app_key", &R)
            .field("sandbox_app_key", &R)
            .field("callback_token", &R)
            .field("encoding_aes_key", &R)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_credentials_are_valid_and_distinct() {
        let a = Credentials::random();
        let b = Credentials::random();
        assert!(a.validate().is_ok());
        assert_ne!(a, b);
        assert!(a.app_id.starts_with("wx") && a.app_id.len() == 18);
        assert_eq!(a.offer_id.len(), 10);
        assert_eq!(a.encoding_aes_key.len(), 43);
        let debug = format!("{a:?}");
        assert!(!debug.contains(&a.app_secret) && !debug.contains(&a.app_key));
    }

    #[test]
    fn env_lines_in_order_with_base_url_last() {
        let c = Credentials::random();
        let lines = c.env_lines("http://127.0.0.1:1234");
        let names: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.split_once('=').map(|(n, _)| n))
            .collect();
        assert_eq!(
            names,
            [
                "XPAY_APP_ID",
                "XPAY_APP_SECRET",
                "XPAY_OFFER_ID",
                "XPAY_APP_KEY",
                "XPAY_SANDBOX_APP_KEY",
                "XPAY_CALLBACK_TOKEN",
                "XPAY_ENCODING_AES_KEY",
                "XPAY_BASE_URL"
            ]
        );
        assert_eq!(lines[7], "XPAY_BASE_URL=http://127.0.0.1:1234");
        assert_eq!(lines[0], format!("XPAY_APP_ID={}", c.app_id));
    }

    #[test]
    fn invalid_credentials_are_refused() {
        let mut c = Credentials::random();
        c.app_key = String::new();
        assert!(c.validate().is_err());
        let mut c = Credentials::random();
        c.encoding_aes_key = "short".into();
        assert!(c.validate().is_err());
        let mut c = Credentials::random();
        c.app_secret = "a b".into();
        assert!(c.validate().is_err());
    }
}
