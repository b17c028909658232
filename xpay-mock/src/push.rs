//! Pushes: the fake WeChat delivering message-push events to the merchant's callback URL.
//!
//! Every push is sent the way WeChat sends it in safe mode: the message (the envelope fields
//! `ToUserName`, `FromUserName`, `CreateTime`, `MsgType=event`, `Event`, then the event's
//! fields) is rendered as JSON or XML, encrypted with the EncodingAESKey for the app id
//! (AES-256-CBC, PKCS#7 to 32 bytes), wrapped in `{"ToUserName","Encrypt"}` (or its XML form)
//! and POSTed with `signature`, `timestamp`, `nonce`, `encrypt_type=aes` and `msg_signature`
//! in the query (xpay-runtime's [`encrypt_push`]).
//!
//! A push counts as acknowledged when the answer has a 2xx status and its body is empty,
//! `success`, or a JSON or XML document whose `ErrCode` (or `errcode`) is 0 — also inside an
//! encrypted reply (`Encrypt`), which is decrypted first. Anything else (another status, a
//! non-zero `ErrCode`, a transport error or a timeout) is retried on the [`PushRetry`]
//! schedule. WeChat's own schedule is 15 retries over about a day
//! ([`PushRetry::wechat`]); the default here is quick, for tests ([`PushRetry::quick`]).
//! `RetryTimes` (in events that carry it) counts the attempt, from 0.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};
use xpay::CallbackToken;
use xpay::api::Event;
use xpay::callback::{EncodingAesKey, Format, SealParams, decrypt, encrypt_push, render_message};

use xpay::clock::unix_now;

/// Where pushes go and in which format (WeChat's message-push "数据格式").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// The callback URL (`http://…`; the mock's HTTP client has no TLS).
    pub url: String,
    /// JSON or XML, for the envelope and the encrypted message alike.
    pub format: Format,
}

impl PushTarget {
    /// JSON pushes to `url`.
    pub fn json(url: impl Into<String>) -> Self {
        PushTarget {
            url: url.into(),
            format: Format::Json,
        }
    }

    /// XML pushes to `url`.
    pub fn xml(url: impl Into<String>) -> Self {
        PushTarget {
            url: url.into(),
            format: Format::Xml,
        }
    }
}

/// How many times a push is sent and how long to wait between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRetry {
    /// Attempts in all, the first included (0 is taken as 1).
    pub attempts: u32,
    /// The wait before retry *n* is `delays[n - 1]`, the last entry repeating; none when empty.
    pub delays: Vec<Duration>,
}

impl PushRetry {
    /// WeChat's documented schedule: the first attempt and 15 retries after 15 s, 15 s, 30 s,
    /// 3 min, 10 min, 20 min, 30 min, 30 min, 30 min, 60 min, 3 h, 3 h, 3 h, 6 h and 6 h.
    /// (A [`MockServer::pay`](crate::MockServer::pay) waits for the whole delivery: with this
    /// schedule an unacknowledged push keeps it waiting for about a day.)
    pub fn wechat() -> Self {
        const M: u64 = 60;
        const H: u64 = 3600;
        PushRetry {
            attempts: 16,
            delays: [
                15,
                15,
                30,
                3 * M,
                10 * M,
                20 * M,
                30 * M,
                30 * M,
                30 * M,
                H,
                3 * H,
                3 * H,
                3 * H,
                6 * H,
                6 * H,
            ]
            .into_iter()
            .map(Duration::from_secs)
            .collect(),
        }
    }

    /// The default, for tests and local development: 4 attempts, 50 ms, 100 ms and 200 ms
    /// apart.
    pub fn quick() -> Self {
        PushRetry {
            attempts: 4,
            delays: vec![
                Duration::from_millis(50),
                Duration::from_millis(100),
                Duration::from_millis(200),
            ],
        }
    }

    /// `attempts` attempts, `delay` apart.
    pub fn fixed(attempts: u32, delay: Duration) -> Self {
        PushRetry {
            attempts,
            delays: vec![delay],
        }
    }

    /// One attempt, no retry.
    pub fn once() -> Self {
        PushRetry {
            attempts: 1,
            delays: Vec::new(),
        }
    }

    fn delay_before(&self, retry: u32) -> Duration {
        let i = usize::try_from(retry.saturating_sub(1)).unwrap_or(usize::MAX);
        self.delays
            .get(i)
            .or_else(|| self.delays.last())
            .copied()
            .unwrap_or(Duration::ZERO)
    }
}

impl Default for PushRetry {
    fn default() -> Self {
        PushRetry::quick()
    }
}

/// What became of one push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The `Event` pushed (`xpay_coin_pay_notify`, …).
    pub event: String,
    /// What identifies it across retries (`OutTradeNo`, `MchRefundId`).
    pub key: String,
    /// The URL it went to.
    pub url: String,
    /// Attempts made.
    pub attempts: u32,
    /// Whether an attempt was acknowledged.
    pub delivered: bool,
    /// The HTTP status of the last attempt, if one was answered.
    pub last_status: Option<u16>,
    /// Why the last failed attempt failed.
    pub last_error: Option<String>,
    /// The message of the last attempt, before encryption (envelope and event fields).
    pub message: Value,
}

/// A push to send: the event and its own fields (the envelope is added when sending).
#[derive(Debug, Clone)]
pub(crate) struct PushJob {
    /// The `Event` value.
    pub event: String,
    /// What identifies the push across retries (its dedup key; empty when it has none).
    pub key: String,
    /// The event's fields, by WeChat's names.
    pub fields: Map<String, Value>,
}

fn fields_of(event: &impl Serialize) -> Map<String, Value> {
    // Events are structs of strings, numbers and nested structs: always JSON objects.
    match serde_json::to_value(event) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

impl PushJob {
    /// The push of a typed event: its name, its dedup key, and its fields serialized.
    pub(crate) fn from_event(event: &Event) -> PushJob {
        let fields = match event {
            Event::GoodsDeliver(e) => fields_of(e),
            Event::CoinPay(e) => fields_of(e),
            Event::Refund(e) => fields_of(e),
            Event::Complaint(e) => fields_of(e),
            Event::SubscribePayFail(e) => fields_of(e),
            Event::SubscribeSigningResult(e) => fields_of(e),
            Event::SubscribeIosRefundQuery(e) => fields_of(e),
            Event::AppleSubscribeSigned(e) => fields_of(e),
            Event::AppleSubscribeUnsigned(e) => fields_of(e),
            Event::WxpayCallback(e) => fields_of(e),
            Event::Unknown { fields, .. } | Event::Malformed { fields, .. } => fields.clone(),
            // An event this version cannot name: its name alone.
            _ => Map::new(),
        };
        PushJob {
            event: event.name().to_string(),
            key: event.dedup_key().unwrap_or_default(),
            fields,
        }
    }
}

/// Sends pushes.
#[derive(Debug, Clone)]
pub(crate) struct Pusher {
    pub http: reqwest::Client,
    pub token: CallbackToken,
    pub aes_key: EncodingAesKey,
    pub app_id: String,
    pub original_id: String,
    pub retry: PushRetry,
}

/// The `FromUserName` of pushes: a WeChat system account.
const SYSTEM_SENDER: &str = "oWeChatPaySystem0000000000000";

impl Pusher {
    fn message(&self, job: &PushJob, attempt: u32) -> Value {
        let mut m = Map::new();
        m.insert("ToUserName".into(), Value::from(self.original_id.clone()));
        m.insert("FromUserName".into(), Value::from(SYSTEM_SENDER));
        m.insert("CreateTime".into(), Value::from(unix_now()));
        m.insert("MsgType".into(), Value::from("event"));
        m.insert("Event".into(), Value::from(job.event.as_str()));
        for (k, v) in &job.fields {
            m.insert(k.clone(), v.clone());
        }
        if m.contains_key("RetryTimes") {
            m.insert("RetryTimes".into(), Value::from(attempt));
        }
        Value::Object(m)
    }

    /// Sends one attempt: `Ok(status)` when acknowledged, `Err((status, why))` otherwise.
    async fn attempt(
        &self,
        target: &PushTarget,
        message: &Value,
    ) -> Result<u16, (Option<u16>, String)> {
        let text = render_message(message, target.format).map_err(|e| (None, e.to_string()))?;
        let push = encrypt_push(
            &self.token,
            &self.aes_key,
            &self.app_id,
            &self.original_id,
            &text,
            target.format,
            &SealParams::fresh(),
        )
        .map_err(|e| (None, e.to_string()))?;
        let sep = if target.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}{}", target.url, push.query.to_query_string());
        let resp = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, push.format.content_type())
            .body(push.body)
            .send()
            .await
            .map_err(|e| (None, e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| (Some(status), e.without_url().to_string()))?;
        if !(200..300).contains(&status) {
            return Err((Some(status), format!("HTTP status {status}")));
        }
        let text = String::from_utf8_lossy(&body);
        match reply_is_success(&text, &self.aes_key, 0) {
            Ok(()) => Ok(status),
            Err(why) => Err((Some(status), why)),
        }
    }

    /// Sends a push until it is acknowledged or the attempts run out.
    pub(crate) async fn deliver(&self, target: &PushTarget, job: &PushJob) -> Delivery {
        let attempts = self.retry.attempts.max(1);
        let mut delivery = Delivery {
            event: job.event.clone(),
            key: job.key.clone(),
            url: target.url.clone(),
            attempts: 0,
            delivered: false,
            last_status: None,
            last_error: None,
            message: Value::Null,
        };
        for n in 0..attempts {
            if n > 0 {
                tokio::time::sleep(self.retry.delay_before(n)).await;
            }
            let message = self.message(job, n);
            delivery.attempts = n + 1;
            let outcome = self.attempt(target, &message).await;
            delivery.message = message;
            match outcome {
                Ok(status) => {
                    delivery.delivered = true;
                    delivery.last_status = Some(status);
                    delivery.last_error = None;
                    break;
                }
                Err((status, why)) => {
                    tracing::debug!(event = %job.event, attempt = n + 1, error = %why, "push not acknowledged");
                    delivery.last_status = status;
                    delivery.last_error = Some(why);
                }
            }
        }
        delivery
    }
}

/// Finds a simple element's text in an XML document (CDATA unwrapped).
fn xml_text<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&close)?;
    let inner = doc[start..end].trim();
    Some(
        inner
            .strip_prefix("<![CDATA[")
            .and_then(|s| s.strip_suffix("]]>"))
            .unwrap_or(inner),
    )
}

/// Whether a push reply acknowledges the push (see the module docs).
pub(crate) fn reply_is_success(text: &str, key: &EncodingAesKey, depth: u8) -> Result<(), String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() || t.eq_ignore_ascii_case("success") {
        return Ok(());
    }
    let (errcode, encrypt) = if t.starts_with('{') {
        let v: Value = serde_json::from_str(t).map_err(|e| format!("reply is not JSON: {e}"))?;
        let code = v.get("ErrCode").or_else(|| v.get("errcode")).map(|c| {
            c.as_i64()
                .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
        });
        (
            code,
            v.get("Encrypt").and_then(Value::as_str).map(str::to_string),
        )
    } else if t.starts_with('<') {
        let code = xml_text(t, "ErrCode").map(|c| c.parse::<i64>().ok());
        (code, xml_text(t, "Encrypt").map(str::to_string))
    } else {
        return Err(format!("reply is neither success, JSON nor XML: {:.80}", t));
    };
    match (errcode, encrypt) {
        (Some(Some(0)), _) => Ok(()),
        (Some(code), _) => Err(format!(
            "reply ErrCode is {}",
            code.map_or_else(|| "not a number".to_string(), |c| c.to_string())
        )),
        (None, Some(enc)) if depth == 0 => {
            let plain = decrypt(key, &enc).map_err(|e| format!("encrypted reply: {e}"))?;
            reply_is_success(&String::from_utf8_lossy(&plain.message), key, 1)
        }
        (None, _) => Err("reply has no ErrCode".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        let key = EncodingAesKey::generate();
        for ok in [
            "",
            "success",
            r#"{"ErrCode":0,"ErrMsg":"success"}"#,
            r#"{"errcode":0}"#,
            "<xml><ErrCode>0</ErrCode><ErrMsg><![CDATA[success]]></ErrMsg></xml>",
        ] {
            assert_eq!(reply_is_success(ok, &key, 0), Ok(()), "{ok}");
        }
        for bad in [
            "fail",
            r#"{"ErrCode":1,"ErrMsg":"no"}"#,
            r#"{"ErrMsg":"no"}"#,
            "<xml><ErrCode>1</ErrCode></xml>",
            "{",
        ] {
            assert!(reply_is_success(bad, &key, 0).is_err(), "{bad}");
        }
        let enc = xpay::callback::encrypt(&key, "wx", br#"{"ErrCode":0}"#, [7u8; 16]);
        let enc = enc.unwrap_or_default();
        let reply =
            format!(r#"{{"Encrypt":"{enc}","MsgSignature":"x","TimeStamp":1,"Nonce":"n"}}"#);
        assert_eq!(reply_is_success(&reply, &key, 0), Ok(()));
        let other = EncodingAesKey::generate();
        assert!(reply_is_success(&reply, &other, 0).is_err());
    }

    #[test]
    fn typed_events_become_jobs_with_their_dedup_key() {
        use xpay::api::{CoinInfo, CoinPayEvent};
        let event = Event::CoinPay(
            CoinPayEvent::new()
                .with_open_id("o1")
                .with_out_trade_no("coin_order_1")
                .with_env(xpay::Env::Sandbox)
                .with_coin_info(CoinInfo::new().with_quantity(3)),
        );
        let job = PushJob::from_event(&event);
        assert_eq!(job.event, "xpay_coin_pay_notify");
        assert_eq!(job.key, "coin_order_1");
        assert_eq!(
            Value::Object(job.fields),
            serde_json::json!({"OpenId": "o1", "OutTradeNo": "coin_order_1", "Env": 1, "CoinInfo": {"Quantity": 3}})
        );
    }

    #[test]
    fn schedules() {
        let w = PushRetry::wechat();
        assert_eq!(w.attempts, 16);
        assert_eq!(w.delays.len(), 15);
        assert_eq!(w.delay_before(1), Duration::from_secs(15));
        assert_eq!(w.delay_before(15), Duration::from_secs(6 * 3600));
        let f = PushRetry::fixed(3, Duration::from_millis(7));
        assert_eq!(f.delay_before(2), Duration::from_millis(7));
        assert_eq!(PushRetry::once().delay_before(1), Duration::ZERO);
    }
}
