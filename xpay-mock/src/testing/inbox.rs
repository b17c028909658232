//! [`PushInbox`]: a merchant's push callback for tests, serving xpay's axum
//! [`PushRouter`] on 127.0.0.1 and handing every push it received to the test, typed.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use xpay::api::Event;
use xpay::callback::axum::PushRouter;
use xpay::callback::dedup::{Dedup, MemoryDedupStore};
use xpay::callback::{CallbackConfig, CallbackError, Decoder, Format, Push, PushQuery, Reply};

use crate::error::{MockError, Result};
use crate::push::PushTarget;
use crate::server::MockServer;
use crate::serving::Serving;

/// Where the inbox serves the push router: its URL is `http://127.0.0.1:PORT/wechat/push`.
pub const PUSH_PATH: &str = "/wechat/push";

/// The largest push body the inbox keeps (16 MiB), far above any push WeChat sends.
const MAX_KEPT_BODY: usize = 16 << 20;

/// How long [`PushInbox::next`] waits for a push: 10 s.
pub const DEFAULT_PUSH_WAIT: Duration = Duration::from_secs(10);

/// A push the inbox received and acknowledged.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReceivedPush {
    /// The push: verified, decrypted, typed (`push.event`, `push.envelope`, and the raw
    /// message in `push.raw`: format, encryption, appid, text).
    pub push: Push,
    /// The query it came with (`signature`, `timestamp`, `nonce`, `encrypt_type`,
    /// `msg_signature`, …).
    pub query: PushQuery,
    /// The body as it was sent (encrypted in safe mode): with [`query`](Self::query), the
    /// exact push to replay through a [`Decoder`](xpay::callback::Decoder) of your own.
    pub body: Vec<u8>,
    /// The HTTP status of the reply.
    pub status: u16,
    /// The reply body sent back: WeChat's success answer in the push's format (encrypted with
    /// [`ReplyMode::Encrypted`](xpay::callback::ReplyMode::Encrypted)).
    pub reply: String,
}

impl ReceivedPush {
    /// The typed event.
    pub fn event(&self) -> &Event {
        &self.push.event
    }

    /// Every field of the message by WeChat's names (`OutTradeNo`, `CoinInfo`, …), the
    /// envelope's included, typed by the spec.
    pub fn fields(&self) -> std::result::Result<Map<String, Value>, CallbackError> {
        self.push.raw.fields()
    }
}

/// Why [`PushInbox::next`] has no push.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// None arrived in time.
    #[error("no push arrived within {} ms", waited.as_millis())]
    Timeout {
        /// How long it waited.
        waited: Duration,
    },
    /// The inbox's server stopped.
    #[error("the push inbox stopped")]
    Stopped,
}

/// What the inbox and its server share.
#[derive(Debug, Default)]
struct Counters {
    /// Pushes still to refuse.
    refuse: AtomicU32,
    /// HTTP requests received.
    requests: AtomicU32,
}

/// What the server side holds: the handler leaves each push it accepts in `taken`; the
/// layer around the router, which lets one request in at a time, pairs it with the request's
/// query and the reply, and hands the whole to the test.
struct Capture {
    counters: Arc<Counters>,
    turn: tokio::sync::Mutex<()>,
    taken: Mutex<Option<Push>>,
    tx: mpsc::UnboundedSender<ReceivedPush>,
}

impl Capture {
    fn take(&self) -> Option<Push> {
        self.taken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn put(&self, push: Push) {
        *self.taken.lock().unwrap_or_else(PoisonError::into_inner) = Some(push);
    }
}

async fn capture(State(c): State<Arc<Capture>>, request: Request, next: Next) -> Response {
    let _turn = c.turn.lock().await;
    c.counters.requests.fetch_add(1, Ordering::SeqCst);
    if c.take().is_some() {
        // Only when a sender hung up before its reply was written.
        tracing::warn!("a push whose sender hung up was dropped");
    }
    let query = PushQuery::parse(request.uri().query().unwrap_or_default());
    // Kept for the test; a body over the limit reaches the router empty and is refused.
    let (parts, body) = request.into_parts();
    let sent = axum::body::to_bytes(body, MAX_KEPT_BODY)
        .await
        .unwrap_or_default();
    let request = Request::from_parts(parts, Body::from(sent.clone()));
    let response = next.run(request).await;
    let Some(push) = c.take() else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    // The test may have stopped listening; the push is acknowledged all the same.
    let _ = c.tx.send(ReceivedPush {
        push,
        query,
        body: sent.to_vec(),
        status: parts.status.as_u16(),
        reply: String::from_utf8_lossy(&bytes).into_owned(),
    });
    Response::from_parts(parts, Body::from(bytes))
}

/// A push callback for tests: xpay's axum [`PushRouter`] on 127.0.0.1 (URL verification,
/// `msg_signature` checks, decryption, typing, and a [`Dedup`] with a [`MemoryDedupStore`], as
/// a single merchant instance mounts it), acknowledging every push with [`Reply::Success`]
/// and keeping what it received for the test, in order.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use xpay::api::Event;
/// use xpay_mock::{MockConfig, MockServer, Payment};
///
/// let server = MockServer::start(MockConfig::default()).await?;
/// let mut inbox = server.push_inbox().await?; // pushes now go there, in JSON
/// let (openid, _) = server.login("code-of-alice");
/// server.pay(Payment::coin(&openid, "coin_order_01", 100)).await?;
///
/// let received = inbox.next().await?;
/// let Event::CoinPay(paid) = received.event() else { panic!("{:?}", received.event()) };
/// assert_eq!(paid.out_trade_no.as_deref(), Some("coin_order_01"));
/// assert!(received.push.raw.encrypted);
/// assert!(received.reply.contains("success"));
/// # Ok(()) }
/// ```
///
/// [`refuse_next`](Self::refuse_next) makes it answer a failure instead, to see the sender
/// retry. Pushes it answered without running its handler (a push already handled, by its
/// dedup key) are not handed over again.
pub struct PushInbox {
    url: String,
    counters: Arc<Counters>,
    received: mpsc::UnboundedReceiver<ReceivedPush>,
    serving: Serving,
}

impl std::fmt::Debug for PushInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushInbox")
            .field("url", &self.url)
            .field("waiting", &self.received.len())
            .finish_non_exhaustive()
    }
}

impl PushInbox {
    /// Binds a free port on 127.0.0.1 and serves the push router at [`PUSH_PATH`], verifying
    /// and decrypting with `config` (for the mock's pushes,
    /// [`MockServer::callback_config`], with a [`ReplyMode`](xpay::callback::ReplyMode) of
    /// your choice). Needs a tokio runtime with I/O enabled. Errors: [`MockError::Bind`].
    pub async fn start(config: CallbackConfig) -> Result<PushInbox> {
        let counters = Arc::new(Counters::default());
        let (tx, received) = mpsc::unbounded_channel();
        let capture_state = Arc::new(Capture {
            counters: Arc::clone(&counters),
            turn: tokio::sync::Mutex::new(()),
            taken: Mutex::new(None),
            tx,
        });
        let handler_state = Arc::clone(&capture_state);
        let routes = PushRouter::new(Decoder::new(config, &xpay::api::SPEC), move |push: Push| {
            let c = Arc::clone(&handler_state);
            async move {
                let refused = c
                    .counters
                    .refuse
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refused {
                    return Ok::<_, Infallible>(Reply::Failure(
                        "refused by PushInbox::refuse_next".into(),
                    ));
                }
                c.put(push);
                Ok(Reply::Success)
            }
        })
        .dedup(Dedup::new(MemoryDedupStore::new()))
        .into_router();
        let app = Router::new()
            .nest(PUSH_PATH, routes)
            .layer(middleware::from_fn_with_state(capture_state, capture));
        let bind = |source| MockError::Bind { port: 0, source };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let serving = Serving::start(listener, app, "the push inbox");
        Ok(PushInbox {
            url: format!("http://{addr}{PUSH_PATH}"),
            counters,
            received,
            serving,
        })
    }

    /// The push URL: `http://127.0.0.1:PORT/wechat/push`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A push target of this inbox in `format` (JSON or XML), for
    /// [`MockServer::set_push_target`].
    pub fn target(&self, format: Format) -> PushTarget {
        PushTarget {
            url: self.url.clone(),
            format,
        }
    }

    /// The next push received, waiting up to [`DEFAULT_PUSH_WAIT`].
    pub async fn next(&mut self) -> std::result::Result<ReceivedPush, InboxError> {
        self.next_within(DEFAULT_PUSH_WAIT).await
    }

    /// The next push received, waiting up to `wait`.
    pub async fn next_within(
        &mut self,
        wait: Duration,
    ) -> std::result::Result<ReceivedPush, InboxError> {
        match tokio::time::timeout(wait, self.received.recv()).await {
            Ok(Some(received)) => Ok(received),
            Ok(None) => Err(InboxError::Stopped),
            Err(_) => Err(InboxError::Timeout { waited: wait }),
        }
    }

    /// The next push already received, without waiting.
    pub fn try_next(&mut self) -> Option<ReceivedPush> {
        self.received.try_recv().ok()
    }

    /// Whether no push is waiting to be taken.
    pub fn is_empty(&self) -> bool {
        self.received.is_empty()
    }

    /// Answers the next `n` pushes with [`Reply::Failure`] (HTTP 500) instead, so that the
    /// sender retries them; refused pushes are not handed to the test. Replaces any count
    /// still pending.
    pub fn refuse_next(&self, n: u32) {
        self.counters.refuse.store(n, Ordering::SeqCst);
    }

    /// HTTP requests received so far: every attempt of every push, refused or not.
    pub fn requests(&self) -> u32 {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// Stops serving and waits (up to 5 s) for the server to finish.
    pub async fn shutdown(mut self) {
        self.serving.stop().await;
    }
}

impl MockServer {
    /// Starts a [`PushInbox`] with [`callback_config`](Self::callback_config) and sends the
    /// mock's pushes there, in JSON ([`push_to`](Self::push_to)). Errors:
    /// [`MockError::Bind`].
    pub async fn push_inbox(&self) -> Result<PushInbox> {
        let inbox = PushInbox::start(self.callback_config()).await?;
        self.push_to(&inbox);
        Ok(inbox)
    }

    /// Sends the mock's pushes to `inbox`, in JSON (for XML:
    /// `set_push_target(Some(inbox.target(Format::Xml)))`).
    pub fn push_to(&self, inbox: &PushInbox) {
        self.set_push_target(Some(inbox.target(Format::Json)));
    }
}
