//! The demo's callback server: xpay-runtime's axum router on 127.0.0.1, as a merchant would
//! mount it, handing every push it verified, decrypted and typed to the tour.
//!
//! The router runs the handler once per push ([`Dedup`] with an in-memory store, as a single
//! instance would; several instances share a `RedisDedupStore`). The handler acknowledges every
//! push with [`Reply::Success`] and records what arrived,
//! together with the reply body the router sends back for it (the same decoder renders it), so
//! the tour can show the push and its answer and check both.

use crate::error::Failure;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use xpay::api::Event;
use xpay::callback::axum::PushRouter;
use xpay::callback::{CallbackConfig, Decoder, Dedup, Format, MemoryDedupStore, Push, Reply};

/// Where the router is mounted, as in MP → 开发管理 → 消息推送 → URL.
pub const PUSH_PATH: &str = "/wechat/push";

/// How long the tour waits for a push before it gives up.
const PUSH_WAIT: Duration = Duration::from_secs(10);

/// A push as the handler received it.
#[derive(Debug)]
pub struct Received {
    /// The typed event.
    pub event: Event,
    /// What identifies it across WeChat's retries.
    pub dedup_key: Option<String>,
    /// Whether it came encrypted (safe mode) and was decrypted.
    pub encrypted: bool,
    /// The format of the pushed body.
    pub format: Format,
    /// The appid found inside the encrypted message (checked by the decoder).
    pub app_id: Option<String>,
    /// The reply body sent back.
    pub reply: String,
}

/// A running callback server and the pushes it received, oldest first.
pub struct Inbox {
    url: String,
    received: mpsc::UnboundedReceiver<Received>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Inbox {
    /// Binds 127.0.0.1 on a free port and serves the push router at [`PUSH_PATH`].
    pub async fn start(config: CallbackConfig) -> Result<Inbox, Failure> {
        let decoder = Decoder::new(config, &xpay::api::SPEC);
        let replier = decoder.clone();
        let (tx, received) = mpsc::unbounded_channel();
        let routes = PushRouter::new(decoder, move |push: Push| {
            let tx = tx.clone();
            let replier = replier.clone();
            async move {
                let reply = Reply::Success;
                let body = match replier.reply(&push.raw, &reply) {
                    Ok(body) => body.text().to_string(),
                    Err(e) => format!("(cannot render the reply: {e})"),
                };
                let dedup_key = push.event.dedup_key();
                // The tour may have stopped listening; the push is acknowledged all the same.
                let _ = tx.send(Received {
                    event: push.event,
                    dedup_key,
                    encrypted: push.raw.encrypted,
                    format: push.raw.envelope_format,
                    app_id: push.raw.app_id,
                    reply: body,
                });
                Ok::<_, Infallible>(reply)
            }
        })
        .dedup(Dedup::new(MemoryDedupStore::new()))
        .into_router();
        let app = axum::Router::new().nest(PUSH_PATH, routes);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Failure::msg(format_args!("cannot start the callback server: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::msg(format_args!("cannot start the callback server: {e}")))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Inbox {
            url: format!("http://{addr}{PUSH_PATH}"),
            received,
            stop: Some(stop),
            task,
        })
    }

    /// The push URL: `http://127.0.0.1:PORT/wechat/push`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next push received, waiting for it a while; `what` names it in the error.
    pub async fn next(&mut self, what: &str) -> Result<Received, Failure> {
        match tokio::time::timeout(PUSH_WAIT, self.received.recv()).await {
            Ok(Some(received)) => Ok(received),
            Ok(None) => Err(Failure::msg(format_args!(
                "the callback server stopped before {what} arrived"
            ))),
            Err(_) => Err(Failure::msg(format_args!(
                "{what} did not reach the callback server within {} s",
                PUSH_WAIT.as_secs()
            ))),
        }
    }

    /// Whether a push arrived that the tour has not taken yet.
    pub fn is_empty(&self) -> bool {
        self.received.is_empty()
    }

    /// Stops serving and waits (briefly) for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
