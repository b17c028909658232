//! Secrets: redacted in `Debug`, never logged, compared in constant time.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $setting:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a secret value. Empty values are rejected with
            /// [`Error::InvalidSetting`](crate::Error::InvalidSetting).
            pub fn new(value: impl Into<String>) -> Result<Self, crate::Error> {
                let value = value.into();
                if value.is_empty() {
                    return Err(crate::Error::invalid_setting($setting, "is empty"));
                }
                Ok(Self(SecretString::from(value)))
            }

            /// The secret text. Handle with care: never log it.
            pub fn expose(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }
    };
}

secret_type!(
    /// A user's `session_key` from `code2session`.
    ///
    /// Opaque text: any non-empty string, used as its UTF-8 bytes to sign. It is never decoded
    /// or validated as base64; real keys can carry non-canonical trailing bits.
    SessionKey,
    crate::error::Setting::SessionKey
);
secret_type!(
    /// A virtual-payment AppKey (production or sandbox), from MP → 虚拟支付 → 基本配置.
    AppKey,
    crate::error::Setting::AppKey(crate::Env::Production)
);
secret_type!(
    /// The mini program's AppSecret.
    AppSecret,
    crate::error::Setting::AppSecret
);
secret_type!(
    /// An `access_token` for WeChat's server API.
    AccessToken,
    crate::error::Setting::AccessToken
);
secret_type!(
    /// The message-push `Token` (令牌) used to sign pushes.
    CallbackToken,
    crate::error::Setting::CallbackToken
);

impl PartialEq for AccessToken {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.expose()
            .as_bytes()
            .ct_eq(other.expose().as_bytes())
            .into()
    }
}
impl Eq for AccessToken {}

/// What replaces a secret found in text from the network.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// `text` with every occurrence of each secret replaced by `[REDACTED]` and every control
/// character escaped (`\u{1b}`), so that outside text can be stored in an error, logged or
/// printed: a server echoing a token back, or an escape sequence meant for a terminal, gets no
/// further.
pub(crate) fn scrub<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = std::borrow::Cow::Borrowed(text);
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret) {
            out = std::borrow::Cow::Owned(out.replace(secret, REDACTED));
        }
    }
    escape_controls(&out)
}

/// `text` with control characters escaped (`\n` → `\\n`, ESC → `\\u{1b}`), and the
/// invisible bidirectional marks and overrides (U+061C, U+200E/F, U+202A–U+202E,
/// U+2066–U+2069) that can make a terminal line read differently from what it holds
/// (`\\u{202e}`); everything else, Chinese included, kept as it is.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A control character or an invisible bidi mark.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_blanks_secrets_and_escapes_controls() {
        let text = "invalid credential TOKEN-123 \u{1b}[2J\nFAKE";
        let cleaned = scrub(text, ["TOKEN-123", ""]);
        assert_eq!(cleaned, "invalid credential [REDACTED] \\u{1b}[2J\\nFAKE");
        assert_eq!(escape_controls("余额不足"), "余额不足");
        assert_eq!(escape_controls("ok\u{202e}gnp.exe"), "ok\\u{202e}gnp.exe");
    }

    proptest::proptest! {
        /// Whatever a server wraps around an echoed secret (control characters included), the
        /// cleaned text carries neither the secret nor a raw control character. Secrets avoid
        /// the letters an escape writes (`\n`, `\u{1b}`), which could otherwise spell one.
        #[test]
        fn echoed_secrets_never_survive_scrubbing(
            before in "\\PC{0,20}|[\\x00-\\x1f]{0,4}",
            after in ".{0,20}",
            secret in "[g-mo-qsv-z]{8,20}",
            other in "[g-mo-qsv-z]{8,20}",
            twice in proptest::bool::ANY,
        ) {
            let mut text = format!("{before}{secret}{after}");
            if twice {
                text.push_str(&secret);
                text.push_str(&other);
            }
            let cleaned = scrub(&text, [secret.as_str(), other.as_str()]);
            proptest::prop_assert!(!cleaned.contains(&secret), "{}", cleaned);
            proptest::prop_assert!(!cleaned.contains(&other), "{}", cleaned);
            proptest::prop_assert!(!cleaned.chars().any(char::is_control), "{}", cleaned);
        }
    }
}
