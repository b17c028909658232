//! [`Decoder`]: verifies, decrypts, parses and types pushes; [`DecodedPush`] is the result.

use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

use serde_json::Value;

use super::Format;
use super::config::CallbackConfig;
use super::crypto::{self, EncodingAesKey};
use super::error::{CallbackError, SignatureKind};
use super::format::{parse_envelope, parse_message};
use super::query::{Mode, PushQuery};
use super::replay::{BodyDigest, QueryId, SeenQueries};
use crate::clock::unix_now;
use crate::meta::{EventMeta, SpecMeta};

/// How many characters of a mismatching appid an error shows.
const MAX_APP_ID_SHOWN: usize = 64;

/// A verified, decrypted push, its values typed by the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedPush {
    /// The message's format (of the decrypted plaintext in safe mode).
    pub format: Format,
    /// The body's format (the envelope's in safe mode). Replies are written in it.
    pub envelope_format: Format,
    /// Whether the push came in safe mode (encrypted).
    pub encrypted: bool,
    /// The message: a JSON object with WeChat's own field names. Numbers are numbers and
    /// nested objects objects, from XML too; see the [module docs](super) for the XML rules.
    pub message: Value,
    /// The `Event` value (`xpay_coin_pay_notify`), when the message has one.
    pub event: Option<String>,
    /// The appid at the end of the decrypted plaintext (safe mode only).
    pub app_id: Option<String>,
}

impl DecodedPush {
    /// A field of the message by its wire name.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.message.get(field)
    }
}

/// Verifies, decrypts and types message pushes, and writes the replies.
///
/// One per mini program; cheap to share (`&self` everywhere; clones share the seen queries).
/// `Debug` never shows the token or the EncodingAESKey.
///
/// [`receive`](Self::receive) is the whole check, replay protection included, and what the axum
/// router uses; [`decode`](Self::decode) is its synchronous part, without the seen-query check.
#[derive(Clone)]
pub struct Decoder {
    config: CallbackConfig,
    spec: &'static SpecMeta,
    seen: Option<Arc<dyn SeenQueries>>,
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("config", &self.config)
            .field("spec_events", &self.spec.events.len())
            .field("checks_replays", &self.seen.is_some())
            .finish()
    }
}

/// Reads at most `limit` bytes of a body; a longer body is an error and reading stops at
/// `limit + 1` bytes.
pub fn read_body_limited(reader: impl Read, limit: usize) -> Result<Vec<u8>, CallbackError> {
    let mut body = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut body)
        .map_err(|e| CallbackError::BodyRead(e.to_string()))?;
    if body.len() > limit {
        return Err(CallbackError::BodyTooLarge { limit });
    }
    Ok(body)
}

impl Decoder {
    /// A decoder for these settings, typing XML values by `spec`'s envelope and event tables.
    pub fn new(config: CallbackConfig, spec: &'static SpecMeta) -> Self {
        let seen = config.seen_queries();
        Self { config, spec, seen }
    }

    /// Whether verified queries are remembered (see [`replay`](super::replay)).
    pub fn checks_replays(&self) -> bool {
        self.seen.is_some()
    }

    /// [`decode`](Self::decode), then the seen-query check: a query already seen with another
    /// body is refused with [`CallbackError::Replayed`]; the same body again (WeChat's retry)
    /// passes. What the axum router calls for every push.
    pub async fn receive(&self, q: &PushQuery, body: &[u8]) -> Result<DecodedPush, CallbackError> {
        let push = self.decode(q, body)?;
        self.admit_push(q, push.encrypted, body).await?;
        Ok(push)
    }

    /// The seen-query check of a verified push.
    pub(crate) async fn admit_push(
        &self,
        q: &PushQuery,
        encrypted: bool,
        body: &[u8],
    ) -> Result<(), CallbackError> {
        let signature = if encrypted {
            &q.msg_signature
        } else {
            &q.signature
        };
        self.admit(q, signature, body).await
    }

    /// [`verify_url`](Self::verify_url), then remembers the query with an empty body, so that
    /// a captured verification query cannot later sign a plain-mode push.
    pub async fn receive_verification<'q>(
        &self,
        q: &'q PushQuery,
    ) -> Result<&'q str, CallbackError> {
        let echostr = self.verify_url(q)?;
        self.admit(q, &q.signature, b"").await?;
        Ok(echostr)
    }

    async fn admit(
        &self,
        q: &PushQuery,
        signature: &Option<String>,
        body: &[u8],
    ) -> Result<(), CallbackError> {
        let Some(seen) = &self.seen else {
            return Ok(());
        };
        let (Some(timestamp), Some(nonce), Some(signature)) = (&q.timestamp, &q.nonce, signature)
        else {
            // Verification needed all three: unreachable for a verified query.
            return Err(CallbackError::MissingQueryParameter("signature"));
        };
        let app = self.config.app_id().unwrap_or("");
        let id = QueryId::new(signature);
        match seen
            .admit(app, id, BodyDigest::of(body), self.config.seen_ttl())
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(CallbackError::Replayed {
                timestamp: timestamp.clone(),
                nonce: nonce.clone(),
            }),
            Err(e) => Err(CallbackError::SeenQueries(e.to_string())),
        }
    }

    /// The settings.
    pub fn config(&self) -> &CallbackConfig {
        &self.config
    }

    /// The spec tables values are typed by.
    pub fn spec(&self) -> &'static SpecMeta {
        self.spec
    }

    /// The push's dedup key (see [`EventMeta::dedup_key_of`]), when its event is known and has
    /// one; `None` too for events whose reply the handler composes, which must be answered
    /// every time.
    pub fn dedup_key(&self, push: &DecodedPush) -> Option<String> {
        self.event_meta(push)
            .filter(|meta| !meta.custom_reply)
            .and_then(|meta| meta.dedup_key_of(&push.message))
    }

    /// What the spec says about a decoded push's event, if it knows it.
    pub fn event_meta(&self, push: &DecodedPush) -> Option<&'static EventMeta> {
        push.event.as_deref().and_then(|e| self.spec.event(e))
    }

    /// Answers WeChat's URL verification (the GET sent when the push URL is saved): checks
    /// `signature == sha1(sorted(token, timestamp, nonce))` and returns `echostr` unchanged,
    /// to be sent back as the response body. The freshness window, when configured, applies
    /// here too.
    pub fn verify_url<'q>(&self, q: &'q PushQuery) -> Result<&'q str, CallbackError> {
        let signature = PushQuery::require(&q.signature, "signature")?;
        let timestamp = PushQuery::require(&q.timestamp, "timestamp")?;
        let nonce = PushQuery::require(&q.nonce, "nonce")?;
        let echostr = PushQuery::require(&q.echostr, "echostr")?;
        self.check_freshness(timestamp, unix_now())?;
        let token = self.config.token().expose();
        crypto::verify_signature(signature, &[token, timestamp, nonce], SignatureKind::Url)?;
        Ok(echostr)
    }

    /// Decodes a pushed body with its query: checks the size, the freshness (when a window is
    /// configured), the signature (`signature` in plain mode, `msg_signature` in safe mode),
    /// decrypts and checks the appid (safe mode), parses JSON or XML and types XML values.
    /// Does not check replays: [`receive`](Self::receive) does.
    ///
    /// Safe mode is `encrypt_type=aes`, or a `msg_signature` without any `encrypt_type`; in
    /// safe mode only the encrypted copy is read (compatible mode's plain fields are ignored).
    /// With an EncodingAESKey configured, a plain-mode push is refused
    /// ([`CallbackError::PlainModeRefused`]).
    /// A message without `Event` is still delivered (`event` is `None`), and so is an event the
    /// spec does not know, with its values left as text. A plain-mode body that is really a
    /// safe-mode envelope (an `Encrypt` and no `MsgType`) is refused as missing
    /// `msg_signature`, rather than delivered as a message.
    pub fn decode(&self, q: &PushQuery, body: &[u8]) -> Result<DecodedPush, CallbackError> {
        self.decode_at(q, body, self.now())
    }

    /// Now in Unix seconds, read only when a freshness window needs it.
    pub(crate) fn now(&self) -> i64 {
        if self.config.max_age().is_some() {
            unix_now()
        } else {
            0
        }
    }

    /// [`decode`](Self::decode) with "now" given in Unix seconds, for the freshness check.
    pub fn decode_at(
        &self,
        q: &PushQuery,
        body: &[u8],
        now: i64,
    ) -> Result<DecodedPush, CallbackError> {
        let opened = self.open_at(q, body, now)?;
        opened.parse(self.spec)
    }

    /// Checks, verifies and (in safe mode) decrypts a push: everything but parsing its message.
    pub(crate) fn open_at<'b>(
        &self,
        q: &PushQuery,
        body: &'b [u8],
        now: i64,
    ) -> Result<Opened<'b>, CallbackError> {
        let limit = self.config.max_body_bytes();
        if body.len() > limit {
            return Err(CallbackError::BodyTooLarge { limit });
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(CallbackError::EmptyBody);
        }
        let mode = q.mode()?;
        if mode == Mode::Plain && self.config.aes_key().is_some() {
            // The plain signature does not cover the body: with a key, only the decrypted
            // `Encrypt` is trusted, and nothing of a plain body is even read.
            return Err(CallbackError::PlainModeRefused);
        }
        let timestamp = PushQuery::require(&q.timestamp, "timestamp")?;
        let nonce = PushQuery::require(&q.nonce, "nonce")?;
        self.check_freshness(timestamp, now)?;
        let token = self.config.token().expose();
        match mode {
            Mode::Plain => {
                let signature = PushQuery::require(&q.signature, "signature")?;
                crypto::verify_signature(
                    signature,
                    &[token, timestamp, nonce],
                    SignatureKind::Plain,
                )?;
                let body =
                    std::str::from_utf8(body).map_err(|_| CallbackError::NotUtf8("the body"))?;
                Ok(Opened {
                    text: Cow::Borrowed(body),
                    envelope_format: None,
                    app_id: None,
                })
            }
            Mode::Safe => {
                let key = self.config.aes_key().ok_or(CallbackError::NoAesKey)?;
                let msg_signature = PushQuery::require(&q.msg_signature, "msg_signature")?;
                let body = std::str::from_utf8(body)
                    .map_err(|_| CallbackError::NotUtf8(super::error::ENVELOPE_BYTES))?;
                let envelope = parse_envelope(body)?;
                crypto::verify_signature(
                    msg_signature,
                    &[token, timestamp, nonce, &envelope.encrypt],
                    SignatureKind::Msg,
                )?;
                let (app_id, text) = self.open(key, &envelope.encrypt)?;
                Ok(Opened {
                    text: Cow::Owned(text),
                    envelope_format: Some(envelope.format),
                    app_id: Some(app_id),
                })
            }
        }
    }

    /// Decrypts an `Encrypt` value, checks its appid, and returns the appid and the message.
    fn open(&self, key: &EncodingAesKey, encrypt: &str) -> Result<(String, String), CallbackError> {
        let (mut buf, message, app_range) = crypto::decrypt_in_place(key, encrypt)?;
        let app_id = std::str::from_utf8(&buf[app_range.clone()]);
        if let Some(expected) = self.config.app_id() {
            let matches = app_id.is_ok_and(|got| got == expected);
            if !matches {
                let got = match &app_id {
                    Ok(s) => (*s).to_owned(),
                    Err(_) => String::from_utf8_lossy(&buf[app_range]).into_owned(),
                };
                // Appids are short; a long tail is garbage, so show only its start.
                let got = match got.char_indices().nth(MAX_APP_ID_SHOWN) {
                    Some((cut, _)) => format!("{}…", &got[..cut]),
                    None => got,
                };
                return Err(CallbackError::AppIdMismatch {
                    expected: expected.to_string(),
                    got,
                });
            }
        }
        let app_id = app_id
            .map_err(|_| CallbackError::NotUtf8("the decrypted appid"))?
            .to_owned();
        // The message, moved to the front of the buffer in place (no new allocation).
        buf.truncate(message.end);
        buf.drain(..message.start);
        let text =
            String::from_utf8(buf).map_err(|_| CallbackError::NotUtf8("the decrypted message"))?;
        Ok((app_id, text))
    }

    fn check_freshness(&self, timestamp: &str, now: i64) -> Result<(), CallbackError> {
        let Some(window) = self.config.max_age() else {
            return Ok(());
        };
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| CallbackError::InvalidTimestamp(timestamp.to_string()))?;
        let skew = now.abs_diff(ts);
        if skew > window.as_secs() {
            return Err(CallbackError::StaleTimestamp {
                timestamp: ts,
                skew_secs: skew,
                max_age_secs: window.as_secs(),
            });
        }
        Ok(())
    }
}

/// A verified (and decrypted) push whose message is not parsed yet.
pub(crate) struct Opened<'b> {
    /// The message: the plain body, or the decrypted plaintext.
    pub text: Cow<'b, str>,
    /// The safe-mode envelope's format; `None` in plain mode (the body is the message).
    pub envelope_format: Option<Format>,
    /// The appid inside the ciphertext (safe mode).
    pub app_id: Option<String>,
}

impl Opened<'_> {
    /// Whether the push came encrypted.
    pub fn encrypted(&self) -> bool {
        self.envelope_format.is_some()
    }

    /// Parses the message into a [`DecodedPush`] (the general path).
    pub fn parse(&self, spec: &SpecMeta) -> Result<DecodedPush, CallbackError> {
        let (format, message) = parse_message(&self.text, spec)?;
        if !self.encrypted() && message.contains_key("Encrypt") && !message.contains_key("MsgType")
        {
            // A safe-mode envelope whose query lost its safe-mode parameters.
            return Err(CallbackError::MissingQueryParameter("msg_signature"));
        }
        Ok(push(
            format,
            self.envelope_format.unwrap_or(format),
            self.encrypted(),
            message,
            self.app_id.clone(),
        ))
    }
}

fn push(
    format: Format,
    envelope_format: Format,
    encrypted: bool,
    message: serde_json::Map<String, Value>,
    app_id: Option<String>,
) -> DecodedPush {
    let event = match message.get("Event") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    DecodedPush {
        format,
        envelope_format,
        encrypted,
        message: Value::Object(message),
        event,
        app_id,
    }
}
