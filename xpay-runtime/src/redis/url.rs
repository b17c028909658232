//! Redis URLs: opened without ever quoting them, and shown with their credentials redacted
//! however malformed they are.

use crate::{Error, Result};

/// Opens a client for `url`; `endpoint` is the URL as [`redact_url`] shows it. The parser's
/// message may quote the URL, password and all: it is not kept.
pub(super) fn open(url: &str, endpoint: &str) -> Result<redis::Client> {
    redis::Client::open(url).map_err(|_| {
        Error::invalid_setting(
            crate::Setting::RedisUrl,
            format!(
                "{endpoint} is not a Redis URL (redis://[user][:password@]host[:port][/db], rediss://… or redis+unix:///path)"
            ),
        )
    })
}

/// The URL for display: its password, and any `pass` or `password` query parameter, replaced
/// by `REDACTED`.
pub(crate) fn redact_url(url: &str) -> String {
    let shown = redact_parsed(url);
    // Whatever the parser made of a malformed URL, text between a `:` and an `@` may be a
    // password (`redis:/:hunter2@host`, `redis//:hunter2@host`): never show it.
    let candidates: Vec<&str> = url
        .match_indices('@')
        .filter_map(|(at, _)| {
            let before = &url[..at];
            let start = before.rfind([':', '/']).map_or(0, |i| i + 1);
            Some(&before[start..]).filter(|s| !s.is_empty() && *s != "REDACTED")
        })
        .collect();
    crate::secret::scrub(&shown, candidates)
}

fn redact_parsed(url: &str) -> String {
    const REDACTED: &str = "REDACTED";
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return "(an unparsable URL)".into();
    };
    if parsed.host_str().is_none() && parsed.scheme() != "redis+unix" && parsed.scheme() != "unix" {
        return format!("(a {}: URL without a host)", parsed.scheme().escape_debug());
    }
    if parsed.password().is_some() {
        // Fails only for URLs without a host, which have no password.
        let _ = parsed.set_password(Some(REDACTED));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let secret =
                    name.eq_ignore_ascii_case("pass") || name.eq_ignore_ascii_case("password");
                let value = if secret {
                    REDACTED.into()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.set_fragment(None);
    parsed.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_passwords() {
        let cases = [
            (
                "redis://:hunter2-secret@10.0.0.5:6379/0",
                "redis://:REDACTED@10.0.0.5:6379/0",
            ),
            (
                "rediss://app:hunter2-secret@cache.internal/3",
                "rediss://app:REDACTED@cache.internal/3",
            ),
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
            (
                "redis+unix:///run/redis.sock?db=2&pass=hunter2-secret",
                "redis+unix:///run/redis.sock?db=2&pass=REDACTED",
            ),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown);
        }
        assert!(!redact_url("redis://:hunter2 secret@host").contains("hunter2"));
        assert_eq!(
            redact_url("not a url :hunter2-secret@"),
            "(an unparsable URL)"
        );
    }
}
