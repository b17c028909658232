//! [`PushQuery`]: the query parameters WeChat puts on a push or URL-verification request.

use super::error::CallbackError;

/// The query parameters of a message-push request (WeChat:
/// <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>).
///
/// URL verification (GET) carries `signature`, `timestamp`, `nonce` and `echostr`; a plain push
/// `signature`, `timestamp` and `nonce`; a safe-mode push also `encrypt_type=aes` and
/// `msg_signature` (and usually `signature` and `openid`). None of them is secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushQuery {
    /// `signature`: SHA-1 of the sorted token, timestamp and nonce.
    pub signature: Option<String>,
    /// `timestamp`: Unix seconds, as text.
    pub timestamp: Option<String>,
    /// `nonce`: random text.
    pub nonce: Option<String>,
    /// `echostr`: echoed back by a URL verification.
    pub echostr: Option<String>,
    /// `encrypt_type`: `aes` in safe mode, absent or `raw` in plain mode.
    pub encrypt_type: Option<String>,
    /// `msg_signature`: SHA-1 of the sorted token, timestamp, nonce and `Encrypt`.
    pub msg_signature: Option<String>,
    /// `openid`: sent by some pushes; informational.
    pub openid: Option<String>,
}

/// Whether a push is encrypted, as its query says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Plain,
    Safe,
}

impl PushQuery {
    /// Parses a raw query string (with or without a leading `?`), percent-decoding names and
    /// values (`+` is a space). Unknown parameters are ignored; of a repeated one the first
    /// counts. Never fails: bytes that are not UTF-8 after decoding become U+FFFD.
    pub fn parse(raw: &str) -> PushQuery {
        let raw = raw.strip_prefix('?').unwrap_or(raw);
        let mut q = PushQuery::default();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            let slot = match name.as_ref() {
                "signature" => &mut q.signature,
                "timestamp" => &mut q.timestamp,
                "nonce" => &mut q.nonce,
                "echostr" => &mut q.echostr,
                "encrypt_type" => &mut q.encrypt_type,
                "msg_signature" => &mut q.msg_signature,
                "openid" => &mut q.openid,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        q
    }

    /// Writes the parameters that are set as a query string (no leading `?`), percent-encoded.
    pub fn to_query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.pairs())
            .finish()
    }

    fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("signature", &self.signature),
            ("timestamp", &self.timestamp),
            ("nonce", &self.nonce),
            ("echostr", &self.echostr),
            ("encrypt_type", &self.encrypt_type),
            ("msg_signature", &self.msg_signature),
            ("openid", &self.openid),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.as_deref().map(|v| (n, v)))
    }

    /// A parameter that must be present.
    pub(crate) fn require<'a>(
        value: &'a Option<String>,
        name: &'static str,
    ) -> Result<&'a str, CallbackError> {
        value
            .as_deref()
            .ok_or(CallbackError::MissingQueryParameter(name))
    }

    /// Plain or safe mode: `encrypt_type=aes` is safe mode, absent or `raw` plain mode; with no
    /// `encrypt_type` at all, a `msg_signature` alone also means safe mode.
    pub(crate) fn mode(&self) -> Result<Mode, CallbackError> {
        match self.encrypt_type.as_deref().map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("aes") => Ok(Mode::Safe),
            Some(t) if t.eq_ignore_ascii_case("raw") || t.is_empty() => Ok(Mode::Plain),
            Some(other) => Err(CallbackError::UnsupportedEncryptType(other.to_string())),
            None if self.msg_signature.is_some() => Ok(Mode::Safe),
            None => Ok(Mode::Plain),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let q = PushQuery::parse(
            "?signature=abc&timestamp=1714036504&nonce=15%2B1&echostr=a+b%20c&extra=1&nonce=dup&encrypt_type=aes&msg_signature=m&openid=o%",
        );
        assert_eq!(q.signature.as_deref(), Some("abc"));
        assert_eq!(q.timestamp.as_deref(), Some("1714036504"));
        assert_eq!(q.nonce.as_deref(), Some("15+1"), "first value wins");
        assert_eq!(q.echostr.as_deref(), Some("a b c"));
        assert_eq!(q.encrypt_type.as_deref(), Some("aes"));
        assert_eq!(q.msg_signature.as_deref(), Some("m"));
        assert_eq!(q.openid.as_deref(), Some("o%"), "a lone % stays");
    }

    #[test]
    fn odd_input_does_not_panic() {
        for raw in [
            "",
            "?",
            "&&&",
            "=",
            "signature",
            "%",
            "%e4%b8",
            "a=%zz",
            "%%%%=%%",
        ] {
            let _ = PushQuery::parse(raw);
        }
        assert_eq!(
            PushQuery::parse("echostr=%e4%b8").echostr.as_deref(),
            Some("\u{fffd}")
        );
    }

    #[test]
    fn round_trips_through_a_query_string() {
        let q = PushQuery {
            signature: Some("s".into()),
            timestamp: Some("1".into()),
            nonce: Some("n n+&=".into()),
            echostr: Some("中文".into()),
            ..PushQuery::default()
        };
        let raw = q.to_query_string();
        // Form encoding: a space is `+`, a literal `+` is `%2B`.
        assert!(
            raw.starts_with("signature=s&timestamp=1&nonce=n+n%2B%26%3D&echostr=%E4"),
            "{raw}"
        );
        assert_eq!(PushQuery::parse(&raw), q);
    }

    #[test]
    fn mode_detection() {
        let mut q = PushQuery::default();
        assert_eq!(q.mode(), Ok(Mode::Plain));
        q.msg_signature = Some("x".into());
        assert_eq!(q.mode(), Ok(Mode::Safe));
        q.encrypt_type = Some("raw".into());
        assert_eq!(q.mode(), Ok(Mode::Plain));
        q.encrypt_type = Some("AES".into());
        assert_eq!(q.mode(), Ok(Mode::Safe));
        q.encrypt_type = Some("rsa".into());
        assert_eq!(
            q.mode(),
            Err(CallbackError::UnsupportedEncryptType("rsa".into()))
        );
    }
}
