//! [`Hook`]: one place for cross-cutting concerns around every HTTP request the [`Client`]
//! makes to WeChat: request ids, trace propagation, metrics.
//!
//! A hook sees each request after it was signed, and may add headers; the URL and the body are
//! signed and stay as they are, and the per-action retry rule stays the client's. It then sees
//! how the request ended. Set one with [`ClientBuilder::hook`](crate::ClientBuilder::hook):
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use xpay_runtime::hook::{Hook, Request, Response};
//!
//! #[derive(Default)]
//! struct Metrics { calls: AtomicU64 }
//!
//! impl Hook for Metrics {
//!     fn on_request(&self, request: &mut Request<'_>) {
//!         let id = format!("req-{}", self.calls.fetch_add(1, Ordering::Relaxed));
//!         request.insert_header("x-request-id", &id);
//!     }
//!     fn on_response(&self, response: &Response<'_>) {
//!         tracing::info!(action = response.action, status = ?response.status, elapsed = ?response.elapsed);
//!     }
//! }
//!
//! let client = xpay_runtime::Client::builder().hook(Metrics::default()).build();
//! # let _ = client;
//! ```
//!
//! Covered: every action (each attempt), `code2session` and `check_session`. Token fetches go
//! through the [`TokenSource`](crate::token::TokenSource), which an application that wants
//! them hooked can wrap.
//!
//! [`Client`]: crate::Client

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// A request about to be sent.
#[derive(Debug)]
#[non_exhaustive]
pub struct Request<'a> {
    /// The action (`currency_pay`, `code2session`, …).
    pub action: &'a str,
    /// The attempt, from 1.
    pub attempt: u32,
    headers: &'a mut HeaderMap,
}

impl Request<'_> {
    /// Sets a header. A name or value that is not valid HTTP is ignored (and logged), never a
    /// failed call.
    pub fn insert_header(&mut self, name: &str, value: &str) {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
            }
            _ => tracing::warn!(
                header = %crate::secret::escape_controls(name),
                "a hook's header is not valid HTTP; ignored"
            ),
        }
    }

    /// The headers set so far.
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }
}

/// How a request ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct Response<'a> {
    /// The action.
    pub action: &'a str,
    /// The attempt, from 1.
    pub attempt: u32,
    /// The HTTP status, or `None` when no answer came (a transport error).
    pub status: Option<u16>,
    /// From sending to the answer's status line (or the error).
    pub elapsed: Duration,
}

/// Cross-cutting behaviour around each request to WeChat. Both methods do nothing by default.
pub trait Hook: Send + Sync + 'static {
    /// Before the request is sent: add headers.
    fn on_request(&self, request: &mut Request<'_>) {
        let _ = request;
    }

    /// After it ended.
    fn on_response(&self, response: &Response<'_>) {
        let _ = response;
    }
}

/// A shared hook (the application keeps a handle to read its metrics, say).
impl<T: Hook + ?Sized> Hook for std::sync::Arc<T> {
    fn on_request(&self, request: &mut Request<'_>) {
        (**self).on_request(request);
    }
    fn on_response(&self, response: &Response<'_>) {
        (**self).on_response(response);
    }
}

/// Sends `builder` through the hook, if any.
pub(crate) async fn send(
    hook: Option<&dyn Hook>,
    action: &str,
    attempt: u32,
    builder: reqwest::RequestBuilder,
) -> reqwest::Result<reqwest::Response> {
    let Some(hook) = hook else {
        return builder.send().await;
    };
    let mut headers = HeaderMap::new();
    hook.on_request(&mut Request {
        action,
        attempt,
        headers: &mut headers,
    });
    let started = Instant::now();
    let sent = builder.headers(headers).send().await;
    hook.on_response(&Response {
        action,
        attempt,
        status: sent.as_ref().ok().map(|r| r.status().as_u16()),
        elapsed: started.elapsed(),
    });
    sent
}
