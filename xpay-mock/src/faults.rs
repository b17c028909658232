//! Fault injection: make the next calls of an endpoint fail, or slow every call down.
//!
//! Faults are keyed by endpoint: an xpay action name (or its yansongda alias, resolved to the
//! name), or one of [`STABLE_TOKEN`], [`TOKEN`] and [`JSCODE2SESSION`]. An injected fault
//! answers before any check runs, so the failed call changes nothing (no money moves, no
//! token is handed out).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::answer::JsonAnswer;
use crate::error::{MockError, Result};

/// The endpoint key of `POST /cgi-bin/stable_token`.
pub const STABLE_TOKEN: &str = "stable_token";
/// The endpoint key of `GET /cgi-bin/token`.
pub const TOKEN: &str = "token";
/// The endpoint key of `GET /sns/jscode2session`.
pub const JSCODE2SESSION: &str = "jscode2session";
/// `GET /wxa/checksession`.
pub const CHECKSESSION: &str = "checksession";

/// How an injected failure answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 200 with `{"errcode": errcode, "errmsg": errmsg}`.
    Errcode {
        /// The errcode, e.g. -1 (system error) or 268490015 (rate limited).
        errcode: i64,
        /// The errmsg.
        errmsg: String,
    },
    /// This HTTP status with `{"errcode":-1,"errmsg":"system error"}` as the body.
    Http {
        /// The status, 100..=999 (e.g. 500, 502, 503).
        status: u16,
    },
}

impl Fault {
    /// An errcode fault whose errmsg is the spec's meaning of the code.
    pub fn errcode(errcode: i64) -> Self {
        let meaning = xpay::api::SPEC
            .meaning(errcode)
            .unwrap_or("an errcode the spec's table does not list");
        let errmsg = format!("{meaning} (injected)");
        Fault::Errcode { errcode, errmsg }
    }

    /// An errcode fault with this errmsg.
    pub fn errcode_with(errcode: i64, errmsg: impl Into<String>) -> Self {
        Fault::Errcode {
            errcode,
            errmsg: errmsg.into(),
        }
    }

    /// An HTTP status fault.
    pub fn http(status: u16) -> Self {
        Fault::Http { status }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        match self {
            Fault::Http { status } if StatusCode::from_u16(*status).is_err() => Err(
                MockError::Config(format!("HTTP status {status} is out of range (100..=999)")),
            ),
            _ => Ok(()),
        }
    }

    pub(crate) fn answer(&self) -> JsonAnswer {
        match self {
            Fault::Errcode { errcode, errmsg } => {
                JsonAnswer::ok(json!({"errcode": errcode, "errmsg": errmsg}))
            }
            Fault::Http { status } => JsonAnswer {
                status: StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body: json!({"errcode": -1, "errmsg": format!("system error (injected HTTP {status})")}),
            },
        }
    }
}

/// Resolves an endpoint key: an action name or alias of the built-in spec, or one of the
/// token and login endpoints (`code2session` is accepted for `jscode2session`).
pub fn endpoint_key(name: &str) -> Result<&'static str> {
    match name {
        STABLE_TOKEN => return Ok(STABLE_TOKEN),
        TOKEN => return Ok(TOKEN),
        JSCODE2SESSION | "code2session" => return Ok(JSCODE2SESSION),
        CHECKSESSION | "check_session" => return Ok(CHECKSESSION),
        _ => {}
    }
    xpay::api::SPEC
        .action(name)
        .map(|a| a.name)
        .ok_or_else(|| {
            MockError::Config(format!(
                "unknown endpoint `{name}`: use an action name or alias of the spec, `{STABLE_TOKEN}`, `{TOKEN}` or `{JSCODE2SESSION}`"
            ))
        })
}

/// Queued faults and latencies.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    queued: HashMap<&'static str, VecDeque<(Fault, u32)>>,
    latency: Duration,
    endpoint_latency: HashMap<&'static str, Duration>,
}

impl Faults {
    /// Queues `fault` for the next `n` calls of `endpoint` (after faults already queued).
    pub(crate) fn fail_next(&mut self, endpoint: &'static str, n: u32, fault: Fault) {
        if n > 0 {
            self.queued
                .entry(endpoint)
                .or_default()
                .push_back((fault, n));
        }
    }

    /// Takes the fault for one call of `endpoint`, if one is queued.
    pub(crate) fn take(&mut self, endpoint: &str) -> Option<Fault> {
        let queue = self.queued.get_mut(endpoint)?;
        let (fault, left) = queue.front_mut()?;
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    /// Sets the delay before every answer (`Duration::ZERO` for none).
    pub(crate) fn set_latency(&mut self, latency: Duration) {
        self.latency = latency;
    }

    /// Sets the delay of one endpoint's answers, replacing the global one for it
    /// (`None` clears it).
    pub(crate) fn set_endpoint_latency(
        &mut self,
        endpoint: &'static str,
        latency: Option<Duration>,
    ) {
        match latency {
            Some(l) => {
                self.endpoint_latency.insert(endpoint, l);
            }
            None => {
                self.endpoint_latency.remove(endpoint);
            }
        }
    }

    /// The delay before answering a call of `endpoint`.
    pub(crate) fn latency(&self, endpoint: &str) -> Duration {
        self.endpoint_latency
            .get(endpoint)
            .copied()
            .unwrap_or(self.latency)
    }

    /// Drops every queued fault and latency.
    pub(crate) fn clear(&mut self) {
        *self = Faults::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order() {
        let mut f = Faults::default();
        f.fail_next("currency_pay", 2, Fault::errcode(-1));
        f.fail_next("currency_pay", 1, Fault::http(503));
        f.fail_next("currency_pay", 0, Fault::http(500));
        assert_eq!(f.take("query_order"), None);
        assert_eq!(f.take("currency_pay"), Some(Fault::errcode(-1)));
        assert_eq!(f.take("currency_pay"), Some(Fault::errcode(-1)));
        assert_eq!(f.take("currency_pay"), Some(Fault::http(503)));
        assert_eq!(f.take("currency_pay"), None);
    }

    #[test]
    fn endpoint_keys_resolve_aliases() {
        assert_eq!(
            endpoint_key("currency_present").ok(),
            Some("present_currency")
        );
        assert_eq!(endpoint_key("query_order").ok(), Some("query_order"));
        assert_eq!(endpoint_key("code2session").ok(), Some(JSCODE2SESSION));
        assert!(endpoint_key("nope").is_err());
    }

    #[test]
    fn answers() {
        let a = Fault::http(502).answer();
        assert_eq!(a.status, StatusCode::BAD_GATEWAY);
        assert_eq!(a.errcode(), -1);
        let a = Fault::errcode(268490015).answer();
        assert_eq!(a.errcode(), 268490015);
        assert!(Fault::http(42).validate().is_err());
        assert!(Fault::http(500).validate().is_ok());
    }

    #[test]
    fn latency_per_endpoint_overrides_global() {
        let mut f = Faults::default();
        f.set_latency(Duration::from_millis(5));
        f.set_endpoint_latency("query_order", Some(Duration::from_millis(50)));
        assert_eq!(f.latency("query_order"), Duration::from_millis(50));
        assert_eq!(f.latency("currency_pay"), Duration::from_millis(5));
        f.set_endpoint_latency("query_order", None);
        assert_eq!(f.latency("query_order"), Duration::from_millis(5));
    }
}
