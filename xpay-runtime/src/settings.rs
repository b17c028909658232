//! The `XPAY_*` environment variables: one table, one reader, shared by every program of the
//! project (the `xpay` command, the example shop, the fake WeChat's printed settings) and by
//! yours.
//!
//! | variable | setting | read by |
//! |---|---|---|
//! | `XPAY_APP_ID` | the mini program's app id (`wx…`) | [`ClientBuilder::from_env`](crate::ClientBuilder::from_env), [`CallbackConfig::from_env`](crate::callback::CallbackConfig::from_env) (the appid pushes must carry) |
//! | `XPAY_APP_SECRET` | the AppSecret: access tokens and `code2session` | `ClientBuilder::from_env` |
//! | `XPAY_ACCESS_TOKEN` | a fixed access token: fetch none | `ClientBuilder::from_env` |
//! | `XPAY_OFFER_ID` | 虚拟支付 → 基本配置 → OfferID | `ClientBuilder::from_env` |
//! | `XPAY_APP_KEY` | the production (现网) AppKey | `ClientBuilder::from_env` |
//! | `XPAY_SANDBOX_APP_KEY` | the sandbox (沙箱) AppKey | `ClientBuilder::from_env` |
//! | `XPAY_ENV` | `0` or `production` (default), `1` or `sandbox` | `ClientBuilder::from_env` |
//! | `XPAY_BASE_URL` | replaces `https://api.weixin.qq.com` (a fake WeChat's URL) | `ClientBuilder::from_env` |
//! | `XPAY_TOKEN_MODE` | `stable` (default) or `classic` | `ClientBuilder::from_env` |
//! | `XPAY_CALLBACK_TOKEN` | 消息推送 → Token (令牌) | `CallbackConfig::from_env` |
//! | `XPAY_ENCODING_AES_KEY` | 消息推送 → EncodingAESKey, for safe-mode (encrypted) pushes | `CallbackConfig::from_env` |
//! | `XPAY_REDIS_URL` | a Redis shared by every instance (tokens, push dedup) | [`redis_url`] |
//!
//! An empty variable counts as unset. One that is not UTF-8, is only whitespace or has
//! whitespace around its value (a stray newline from a secrets file, say) is an
//! [`Error::InvalidSetting`] naming the variable and never quoting the value. Errors about a
//! setting name its variable only when the setting was read from here: a value given to a
//! builder method afterwards is the program's, and its errors name no variable.

use crate::{Env, Error, Result, Setting};

/// Reads one variable: its value, `None` when unset, or why it cannot be read. The readers
/// of this module take one, so that command-line flags can override the environment.
pub trait Lookup: Fn(&str) -> std::result::Result<Option<String>, String> {}

impl<F: Fn(&str) -> std::result::Result<Option<String>, String>> Lookup for F {}

/// Every variable and the setting it holds, in the order of the table above.
pub const VARIABLES: [(&str, Setting); 12] = [
    ("XPAY_APP_ID", Setting::AppId),
    ("XPAY_APP_SECRET", Setting::AppSecret),
    ("XPAY_ACCESS_TOKEN", Setting::AccessToken),
    ("XPAY_OFFER_ID", Setting::OfferId),
    ("XPAY_APP_KEY", Setting::AppKey(Env::Production)),
    ("XPAY_SANDBOX_APP_KEY", Setting::AppKey(Env::Sandbox)),
    ("XPAY_ENV", Setting::Env),
    ("XPAY_BASE_URL", Setting::BaseUrl),
    ("XPAY_TOKEN_MODE", Setting::TokenMode),
    ("XPAY_CALLBACK_TOKEN", Setting::CallbackToken),
    ("XPAY_ENCODING_AES_KEY", Setting::EncodingAesKey),
    ("XPAY_REDIS_URL", Setting::RedisUrl),
];

/// The variable that holds `setting`, if one does.
pub fn variable(setting: Setting) -> Option<&'static str> {
    let setting = match setting {
        // A token source is configured through the AppSecret.
        Setting::TokenSource => Setting::AppSecret,
        other => other,
    };
    VARIABLES
        .iter()
        .find(|(_, s)| *s == setting)
        .map(|(name, _)| *name)
}

/// The setting a variable holds.
pub(crate) fn setting_of(variable: &str) -> Option<Setting> {
    VARIABLES
        .iter()
        .find(|(name, _)| *name == variable)
        .map(|(_, s)| *s)
}

/// The process environment as a [`Lookup`]: the value, `None` when unset or empty, and a
/// problem when it is not UTF-8. The one place the library reads `std::env`.
pub fn process_env(name: &str) -> std::result::Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v).filter(|v| !v.is_empty())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err("is not valid UTF-8".into()),
    }
}

/// A variable through `lookup`, empty counting as unset. A failed lookup, a value of only
/// whitespace or one with whitespace around it is an [`Error::InvalidSetting`] naming the
/// variable (the lookup's text escaped, the value never quoted).
pub(crate) fn read(lookup: &impl Lookup, name: &'static str) -> Result<Option<String>> {
    let setting = setting_of(name).unwrap_or(Setting::AppId);
    let invalid = |problem: String| Error::invalid_setting(setting, problem).with_env_hints();
    match lookup(name) {
        Ok(Some(v)) if v.is_empty() => Ok(None),
        Ok(Some(v)) if v.trim().is_empty() => Err(invalid("is only whitespace".into())),
        Ok(Some(v)) if v.trim() != v => Err(invalid(
            "has whitespace before or after its value (a stray newline?)".into(),
        )),
        Ok(v) => Ok(v),
        Err(problem) => Err(invalid(crate::escape_controls(&problem))),
    }
}

/// Where a client's settings came from, so that an error names a setting's variable only when
/// the value (or its absence) is the environment's, not a builder method's.
#[derive(Debug, Clone, Default)]
pub(crate) struct Provenance {
    /// Read by `from_env` / `from_lookup`.
    pub(crate) from_env: bool,
    /// Given by builder methods, after or instead of the environment.
    pub(crate) in_code: Vec<Setting>,
}

impl Provenance {
    /// Records that a builder method gave `setting`.
    pub(crate) fn set_in_code(&mut self, setting: Setting) {
        if !self.in_code.contains(&setting) {
            self.in_code.push(setting);
        }
    }

    /// Whether an error about `setting` should name its variable.
    pub(crate) fn read_from_env(&self, setting: Setting) -> bool {
        self.from_env && !self.in_code.contains(&setting)
    }

    /// Names the variable in an error about a setting that came from the environment.
    pub(crate) fn hint(&self, e: Error) -> Error {
        match e.setting() {
            Some(s) if self.read_from_env(s) => e.with_env_hints(),
            _ => e,
        }
    }
}

/// `XPAY_REDIS_URL` through `lookup`: the Redis every instance shares, if one is configured.
pub fn redis_url(lookup: impl Lookup) -> Result<Option<String>> {
    read(&lookup, "XPAY_REDIS_URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_with_a_variable_is_in_the_table() {
        for (name, setting) in VARIABLES {
            assert_eq!(variable(setting), Some(name));
            assert_eq!(setting.env_var(), Some(name));
            assert_eq!(setting_of(name), Some(setting));
        }
        assert_eq!(variable(Setting::Proxy), None);
    }

    #[test]
    fn empty_is_unset_and_failures_name_the_variable() {
        let lookup = |name: &str| match name {
            "XPAY_REDIS_URL" => Ok(Some(String::new())),
            _ => Err(format!("{name} is not valid UTF-8")),
        };
        assert_eq!(redis_url(lookup).unwrap(), None);
        let broken = |_: &str| Err("is not valid UTF-8\u{1b}[2J".to_string());
        let e = redis_url(broken).unwrap_err();
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
        assert!(matches!(
            e,
            Error::InvalidSetting {
                setting: Setting::RedisUrl,
                env_var: Some("XPAY_REDIS_URL"),
                ..
            }
        ));
    }

    #[test]
    fn whitespace_around_a_value_is_refused_without_quoting_it() {
        for value in [" ", "\t", "secret\n", " secret"] {
            let lookup = |_: &str| Ok(Some(value.to_string()));
            let e = redis_url(lookup).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidSetting {
                        setting: Setting::RedisUrl,
                        env_var: Some("XPAY_REDIS_URL"),
                        ..
                    }
                ),
                "{value:?}: {e:?}"
            );
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }

    #[test]
    fn only_settings_from_the_environment_get_their_variable_named() {
        let mut p = Provenance {
            from_env: true,
            ..Provenance::default()
        };
        p.set_in_code(Setting::OfferId);
        let named = |e: Error| match e {
            Error::MissingSetting { env_var, .. } => env_var,
            other => panic!("{other:?}"),
        };
        let missing = |s| Error::missing_setting(s, "test");
        assert_eq!(named(p.hint(missing(Setting::AppId))), Some("XPAY_APP_ID"));
        assert_eq!(named(p.hint(missing(Setting::OfferId))), None);
        let code_only = Provenance::default();
        assert_eq!(named(code_only.hint(missing(Setting::AppId))), None);
    }
}
