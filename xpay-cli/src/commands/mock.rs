//! `xpay mock`: the fake WeChat of [`xpay_mock`], run as a process.
//!
//! The order of events is what makes it scriptable: the signal handlers are installed first
//! (so a SIGTERM sent the moment the lines are read still ends in a clean exit 0), then the
//! server binds (a taken port is a one-line error and exit 1), then the `XPAY_NAME=value`
//! lines are written and flushed with `XPAY_BASE_URL` last, and then nothing more is written
//! to stdout or stderr until SIGINT or SIGTERM, which shuts the server down and exits 0.
//! The mock logs through `tracing`, and this binary installs no subscriber, so it stays quiet.

use crate::cli::MockArgs;
use crate::error::Failure;
use crate::output;
use xpay_mock::{MockConfig, MockServer};

/// Starts the fake WeChat, prints its settings, and serves until interrupted.
pub fn run(args: MockArgs) -> Result<(), Failure> {
    let runtime = super::runtime()?;
    runtime.block_on(serve(args.port.unwrap_or(0)))
}

async fn serve(port: u16) -> Result<(), Failure> {
    let stop = Stop::install()?;
    let server = MockServer::start(MockConfig::default().with_port(port))
        .await
        .map_err(Failure::msg)?;
    if let Err(failure) = output::text(&server.env_lines().join("\n")) {
        server.shutdown().await;
        return Err(failure);
    }
    stop.wait().await;
    server.shutdown().await;
    Ok(())
}

/// The signals that stop the server: SIGINT and SIGTERM (Ctrl-C elsewhere).
#[cfg(unix)]
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Stop {
    /// Installs the handlers; from now on these signals no longer kill the process outright.
    fn install() -> Result<Stop, Failure> {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| Failure::msg(format_args!("cannot listen for {name}: {e}")))
        };
        Ok(Stop {
            interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
            terminate: listen(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    /// Waits for either signal.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
struct Stop;

#[cfg(not(unix))]
impl Stop {
    /// Nothing to install ahead: `ctrl_c` listens when awaited.
    fn install() -> Result<Stop, Failure> {
        Ok(Stop)
    }

    /// Waits for Ctrl-C (or for the listener to fail, which also stops the server).
    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
