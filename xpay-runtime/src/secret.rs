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
///
/// Occurrences are found in the original text and their ranges merged before anything is
/// replaced, so no part of a secret survives when secrets overlap or one is a prefix of
/// another, whatever their order. A secret echoed percent-encoded is blanked too. (Matching
/// is exact otherwise: blanking every other case would also blank ordinary words wherever a
/// configured value is short.)
pub(crate) fn scrub<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut covered: Vec<(usize, usize)> = Vec::new();
    for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
        // As given, and percent-encoded as a server echoing a query parameter writes it.
        let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for form in [secret, encoded.as_str()] {
            let mut from = 0;
            while let Some(i) = text[from..].find(form) {
                let start = from + i;
                covered.push((start, start + form.len()));
                // One character on, so that overlapping occurrences are found too.
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    if covered.is_empty() {
        return escape_controls(text);
    }
    covered.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut ranges = covered.into_iter().peekable();
    while let Some((start, mut end)) = ranges.next() {
        while let Some(&(next_start, next_end)) = ranges.peek() {
            if next_start > end {
                break;
            }
            end = end.max(next_end);
            ranges.next();
        }
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    escape_controls(&out)
}

/// `text` with control characters escaped (`\n` → `\\n`, ESC → `\\u{1b}`), and the
/// invisible bidirectional marks and overrides (U+061C, U+200E/F, U+202A–U+202E,
/// U+2066–U+2069) that can make a terminal line read differently from what it holds
/// (`\\u{202e}`), the line and paragraph separators (U+2028/9), the zero-width space
/// (U+200B) and the BOM (U+FEFF); everything else, Chinese included, kept as it is.
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
/// Whether [`escape_controls`] escapes `c`: a control character, a bidirectional mark,
/// override or isolate, a line or paragraph separator, the zero-width space or the BOM.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Bidirectional marks, embeddings, overrides and isolates.
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            // Line and paragraph separators (a line break to some terminals and editors), and
            // the invisible zero-width space and BOM, which can hide text. The zero-width
            // (non-)joiners stay: emoji and some scripts need them.
            | '\u{2028}' | '\u{2029}' | '\u{200b}' | '\u{feff}'
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
        assert_eq!(
            escape_controls("a\u{2028}b\u{200b}c\u{feff}"),
            "a\\u{2028}b\\u{200b}c\\u{feff}"
        );
        // Emoji sequences keep their zero-width joiner.
        assert_eq!(escape_controls("👩\u{200d}💻"), "👩\u{200d}💻");
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

        /// No part of any secret survives, when one secret overlaps another, is a prefix,
        /// suffix or middle of it, or occurs twice, in either order of the list. Secrets are
        /// written in `g`–`m` and nothing else is (escapes write `\\u{…}` in hex, `\\n`, `\\t`,
        /// `\\r`), so any such letter left is a leaked fragment.
        #[test]
        fn no_fragment_of_overlapping_secrets_survives(
            before in "[0-9A-Z .:\\x00-\\x1f]{0,12}",
            after in "[0-9A-Z .:]{0,12}",
            secret in "[g-m]{8,20}",
            cut in 0usize..8,
            keep in 4usize..8,
            extra in "[g-m]{0,4}",
            longest_first in proptest::bool::ANY,
            twice in proptest::bool::ANY,
        ) {
            let start = cut.min(secret.len() - 4);
            let end = (start + keep).min(secret.len());
            let other = format!("{}{extra}", &secret[start..end]);
            let mut text = format!("{before}{secret}{after}");
            if twice {
                text.push_str(&other);
                text.push_str(&secret);
            }
            let secrets = if longest_first {
                [secret.as_str(), other.as_str()]
            } else {
                [other.as_str(), secret.as_str()]
            };
            let cleaned = scrub(&text, secrets);
            proptest::prop_assert!(
                !cleaned.chars().any(|c| ('g'..='m').contains(&c)),
                "{} from {:?}",
                cleaned,
                text
            );
        }
    }

    #[test]
    fn a_secret_that_is_a_prefix_of_another_leaves_nothing_of_either() {
        let token = "TOKSECRETzz9876543210";
        let session_key = "TOKSECRETzz98";
        let text = format!("invalid credential {token} rid: 1");
        for secrets in [[session_key, token], [token, session_key]] {
            assert_eq!(
                scrub(&text, secrets),
                "invalid credential [REDACTED] rid: 1"
            );
        }
        assert_eq!(scrub("abcdef", ["abcd", "cdef"]), "[REDACTED]");
        // Percent-encoded, as in a query string, it is the same secret.
        assert_eq!(
            scrub("secret=tok_secret%2B1%2Fa%3D&x", ["tok_secret+1/a="]),
            "secret=[REDACTED]&x"
        );
        assert_eq!(scrub("xx ababa xx", ["aba"]), "xx [REDACTED] xx");
    }
}
