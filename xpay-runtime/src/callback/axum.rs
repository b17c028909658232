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
//! What the router answers:
//! - a push the handler accepted: the handler's [`Reply`] (success, or a custom answer such as
//!   the one `xpay_subscribe_ios_refund_query_notify` needs), in the push's format and, with
//!   [`ReplyMode::Encrypted`](super::ReplyMode), encrypted;
//! - a handler `Err`: HTTP 500 and a failure body, so WeChat retries (up to 15 times over about
//!   a day); the error is logged, not sent;
//! - a push that fails verification (a forgery): 401, and the handler never sees it;
//! - a body over the decoder's limit: 413, without reading the rest;
//! - a push that cannot be decrypted or parsed: 500 with a failure body, so a real push that
//!   this version cannot read is retried rather than lost.

use super::{CallbackError, Decoder, Format, Push, PushQuery, Reply, ReplyBody};
use crate::action::EventSet;
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
    _events: PhantomData<fn() -> E>,
}

/// A router serving `/` (GET: URL verification; POST: pushes). Mount it with
/// `Router::nest` at the URL configured in MP → 开发 → 开发管理 → 消息推送.
pub fn router<E, H, Fut, Err>(decoder: Decoder, handler: H) -> Router
where
    E: EventSet + Send + 'static,
    E::Envelope: Send,
    H: Fn(Push<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Err>> + Send + 'static,
    Err: Display + Send + 'static,
{
    let limit = decoder.config().max_body_bytes();
    let shared = Arc::new(Shared {
        decoder,
        handler,
        _events: PhantomData,
    });
    Router::new()
        .route("/", get(verify::<E, H>).post(receive::<E, H, Fut, Err>))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(shared)
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
    match s.decoder.verify_url(&query) {
        Ok(echostr) => (StatusCode::OK, echostr.to_string()).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "message-push URL verification refused");
            (status_for(&e), e.to_string()).into_response()
        }
    }
}

fn status_for(e: &CallbackError) -> StatusCode {
    match e {
        CallbackError::SignatureMismatch(_)
        | CallbackError::MissingQueryParameter(_)
        | CallbackError::StaleTimestamp { .. }
        | CallbackError::InvalidTimestamp(_)
        | CallbackError::AppIdMismatch { .. } => StatusCode::UNAUTHORIZED,
        CallbackError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn guess_format(body: &[u8]) -> Format {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Format::Xml,
        _ => Format::Json,
    }
}

async fn receive<E, H, Fut, Err>(
    State(s): State<Arc<Shared<E, H>>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response
where
    E: EventSet + Send + 'static,
    H: Fn(Push<E>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Reply, Err>> + Send + 'static,
    Err: Display + Send + 'static,
{
    let query = PushQuery::parse(q.as_deref().unwrap_or_default());
    let push = match s.decoder.decode_typed::<E>(&query, &body) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "push refused before the handler");
            let mut reply = ReplyBody::failure(guess_format(&body), &e.to_string());
            reply.status = status_for(&e).as_u16();
            return respond(reply);
        }
    };
    let raw = push.raw.clone();
    let event = raw.event.clone().unwrap_or_default();
    let reply = match (s.handler)(push).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(event = %event, error = %e, "push handler failed; WeChat will retry");
            Reply::Failure("handler failed".into())
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
