//! [`Serving`]: an axum app served on a bound listener until stopped, for the fake WeChat and
//! the push inbox alike: stopped on request (open requests finish, up to 5 s) or when dropped.

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server; dropping it asks it to stop.
pub(crate) struct Serving {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Serving {
    /// Serves `app` on `listener` on a task of its own; `what` names it in a failure's log.
    pub(crate) fn start(listener: TcpListener, app: Router, what: &'static str) -> Serving {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "{what} stopped serving");
            }
        });
        Serving {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops serving: no new connections; waits up to 5 s for open ones, then aborts.
    pub(crate) async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
