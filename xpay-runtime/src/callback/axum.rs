//! axum integration (feature `axum`): one router that answers WeChat's URL verification (GET)
//! and receives pushes (POST): verified, decrypted, typed, handed to your async handler, and
//! answered in the push's format.
//!
//! With the `xpay` crate, `E` is `xpay::api::Event` and `spec` is `&xpay::api::SPEC` (the
//! README shows that version); here for any spec:
//!
//! ```no_run
//! # async fn demo<E>(spec: &'static xpay_runtime::meta::SpecMeta) -> Result<(), Box<dyn std::error::Error>>
//! # where E: xpay_runtime::EventSet + Send + 'static, E::Envelope: Send {
//! use xpay_runtime::callback::{CallbackConfig, Decoder, EncodingAesKey, Push, Reply};
//! use xpay_runtime::CallbackToken;
//!
//! let decoder = Decoder::new(
//!     CallbackConfig::new(CallbackToken::new("token")?)
//!         .with_aes_key(EncodingAesKey::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")?)
//!         .with_app_id("wx1234567890abcdef"),
//!     spec,
//! );
//! let push_routes = xpay_runtime::callback::axum::router(decoder, |push: Push<E>| async move {
//!     // Handle push.event idempotently: WeChat retries a push it got no success for.
//!     let _ = push.event;
//!     Ok::<_, std::io::Error>(Reply::Success)
//! });
//! let app = axum::Router::new().nest("/wechat/push", push_routes);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! Several instances behind a load balancer handle each push once with a shared
//! [`Dedup`] store ([`PushRouter::dedup`], see [`dedup`](super::dedup)):
//!
//! ```no_run
//! # async fn demo<E>(decoder: xpay_runtime::callback::Decoder) -> xpay_runtime::Result<()>
//! # where E: xpay_runtime::EventSet + Send + 'static, E::Envelope: Send {
//! use xpay_runtime::callback::axum::PushRouter;
//! use xpay_runtime::callback::{Push, Reply};
//! use xpay_runtime::callback::dedup::Dedup;
//! use xpay_runtime::redis::{RedisConnection, RedisDedupStore};
//!
//! let redis = RedisConnection::connect("redis://10.0.0.5:6379").await?;
//! let routes = PushRouter::new(decoder, |push: Push<E>| async move {
//!     let _ = push.event; // credit, deliver: runs once per push across every instance
//!     Ok::<_, std::io::Error>(Reply::Success)
//! })
//! .dedup(Dedup::new(RedisDedupStore::new(redis)))
//! .into_router();
//! # let _ = routes; Ok(()) }
//! ```
//!
//! What the router answers:
//! - a push the handler accepted: the handler's [`Reply`] (success, or a custom answer such as
//!   the one `xpay_subscribe_ios_refund_query_notify` needs), in the push's format and, with
//!   [`ReplyMode::Encrypted`](super::ReplyMode), encrypted;
//! - a handler `Err` or panic: HTTP 500 and a failure body, so WeChat retries (up to 15 times
//!   over about a day); the error is logged, not sent;
//! - with dedup, a push already handled: success, without running the handler; one being
//!   handled elsewhere, or when the dedup store cannot be reached: 503 and a failure body, so
//!   WeChat retries later;
//! - a push that fails verification (a forgery, a replayed query, a plain-mode push at a
//!   receiver with an EncodingAESKey): 401, and the handler never sees it;
//! - a body that cannot be read far enough to check its signature (empty, or a safe-mode
//!   envelope that is not JSON or XML or has no `Encrypt`): 400, and the handler never sees it;
//! - a body over the decoder's limit: 413, without reading the rest;
//! - a verified push that cannot be decrypted or parsed: 500 with a failure body, so a real
//!   push that this version cannot read is retried rather than lost.
//!
//! The handler runs on its own task: WeChat closing the connection (after about 5 s) does not
//! stop a delivery halfway. Every log line quotes outside input with its control characters
//! escaped.

use super::dedup::{Dedup, Handled};
use super::{CallbackError, Decoder, Format, Push, PushQuery, Reply, ReplyBody};
use crate::action::EventSet;
use crate::secret::escape_controls;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

struct Shared<E, H> {
    decoder: Decoder,
    handler: H,
    dedup: Option<Dedup>,
    _events: PhantomData<fn() -> E>,
}

/// A router serving `/` (GET: URL verification; POST: pushes), without dedup. Mount it with
/// `Router::nest` at the URL configured in MP → 开发 → 开发管理 → 消息推送. Same as
/// `PushRouter::new(decoder, handler).into_router()`.
pub fn router<E, H, Fut, Err>(decoder: Decoder, handler: H) -> Router
where
    E: EventSet + Send + 'static,
    E::Envelope: Send,
    H: Fn(Push<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Err>> + Send + 'static,
    Err: Display + Send + 'static,
{
    PushRouter::new(decoder, handler).into_router()
}

/// Builds the push router: a decoder, a handler, and optionally [`Dedup`].
pub struct PushRouter<E, H> {
    shared: Shared<E, H>,
}

impl<E, H, Fut, Err> PushRouter<E, H>
where
    E: EventSet + Send + 'static,
    E::Envelope: Send,
    H: Fn(Push<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Err>> + Send + 'static,
    Err: Display + Send + 'static,
{
    /// A router for pushes `decoder` accepts, handed to `handler`.
    pub fn new(decoder: Decoder, handler: H) -> Self {
        Self {
            shared: Shared {
                decoder,
                handler,
                dedup: None,
                _events: PhantomData,
            },
        }
    }

    /// Runs the handler once per push (per dedup key) with `dedup`'s store.
    pub fn dedup(mut self, dedup: Dedup) -> Self {
        self.shared.dedup = Some(dedup);
        self
    }

    /// The axum router.
    pub fn into_router(self) -> Router {
        let limit = self.shared.decoder.config().max_body_bytes();
        Router::new()
            .route("/", get(verify::<E, H>).post(receive::<E, H, Fut, Err>))
            .layer(DefaultBodyLimit::max(limit))
            .with_state(Arc::new(self.shared))
    }
}

fn respond(reply: ReplyBody) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, reply.body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    resp
}

async fn verify<E, H>(State(s): State<Arc<Shared<E, H>>>, RawQuery(q): RawQuery) -> Response {
    let query = PushQuery::parse(q.as_deref().unwrap_or_default());
    match s.decoder.receive_verification(&query).await {
        Ok(echostr) => (StatusCode::OK, echostr.to_string()).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "message-push URL verification refused");
            (status_for(&e), e.to_string()).into_response()
        }
    }
}

fn status_for(e: &CallbackError) -> StatusCode {
    StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn guess_format(body: &[u8]) -> Format {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Format::Xml,
        _ => Format::Json,
    }
}

/// The app a push's dedup keys belong to: the configured appid, else the decrypted one.
fn app_of(decoder: &Decoder, push: &super::RawPush) -> String {
    decoder
        .config()
        .app_id()
        .or(push.app_id.as_deref())
        .unwrap_or("_")
        .to_owned()
}

async fn receive<E, H, Fut, Err>(
    State(s): State<Arc<Shared<E, H>>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response
where
    E: EventSet + Send + 'static,
    E::Envelope: Send,
    H: Fn(Push<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Err>> + Send + 'static,
    Err: Display + Send + 'static,
{
    let query = PushQuery::parse(q.as_deref().unwrap_or_default());
    let push = match s.decoder.receive_typed::<E>(&query, &body).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "push refused before the handler");
            let mut reply = ReplyBody::failure(guess_format(&body), &e.to_string());
            reply.status = status_for(&e).as_u16();
            return respond(reply);
        }
    };
    let raw = push.raw.clone();
    // Outside input, escaped before it reaches a log line.
    let event = escape_controls(raw.event.as_deref().unwrap_or_default());
    let dedup_key = if push.event.needs_custom_reply() {
        None
    } else {
        push.event.dedup_key()
    };
    // Called when first polled, so after the dedup claim: not even the handler's synchronous
    // part runs for a push already handled, or being handled elsewhere.
    let called = Arc::clone(&s);
    let handler = async move { (called.handler)(push).await };
    let handled = match &s.dedup {
        Some(dedup) => {
            let key = dedup_key.map(|key| {
                Dedup::store_key(
                    &app_of(&s.decoder, &raw),
                    raw.event.as_deref().unwrap_or_default(),
                    &key,
                )
            });
            dedup.run(key, handler).await
        }
        None => Dedup::run_unkeyed(handler).await,
    };
    let reply = match handled {
        Handled::Ran(Ok(r)) => r,
        Handled::Ran(Err(e)) => {
            let e = escape_controls(&e.to_string());
            tracing::error!(event = %event, error = %e, "push handler failed; WeChat will retry");
            Reply::Failure("handler failed".into())
        }
        Handled::Panicked => {
            tracing::error!(event = %event, "push handler panicked; WeChat will retry");
            Reply::Failure("handler failed".into())
        }
        Handled::AlreadyDone => {
            tracing::debug!(event = %event, "push already handled; answered without the handler");
            Reply::Success
        }
        Handled::InFlight => {
            tracing::info!(event = %event, "push being handled elsewhere; WeChat will retry");
            return busy(raw.envelope_format, "being handled");
        }
        Handled::Store(e) => {
            tracing::error!(event = %event, error = %e, "push dedup store unavailable; WeChat will retry");
            return busy(raw.envelope_format, "dedup store unavailable");
        }
    };
    match s.decoder.reply(&raw, &reply) {
        Ok(body) => respond(body),
        Err(e) => {
            tracing::error!(event = %event, error = %e, "cannot write the push reply");
            respond(ReplyBody::failure(raw.envelope_format, "reply failed"))
        }
    }
}

/// A failure answer that asks WeChat to come back later: 503.
fn busy(format: Format, message: &str) -> Response {
    let mut reply = ReplyBody::failure(format, message);
    reply.status = StatusCode::SERVICE_UNAVAILABLE.as_u16();
    respond(reply)
}
