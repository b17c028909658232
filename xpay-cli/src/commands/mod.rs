//! One module per command; [`run`] dispatches a parsed command line to it.
//!
//! Each command takes its args struct, resolves only the settings it needs through
//! [`crate::config`], writes its result through [`crate::output`], and returns a
//! [`Failure`] otherwise. `mock` and `demo` need no settings at all.

pub mod call;
pub mod callback;
pub mod check_session;
pub mod demo;
pub mod explain;
pub mod mock;
pub mod sign_payment;
pub mod spec;

use crate::cli::{Cli, Command};
use crate::error::Failure;

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::SignPayment(args) => sign_payment::run(args),
        Command::Call(args) => call::run(args),
        Command::CheckSession(args) => check_session::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Spec(cmd) => spec::run(cmd),
        Command::Callback(cmd) => callback::run(cmd),
        Command::Mock(args) => mock::run(args),
        Command::Demo(args) => demo::run(args),
    }
}

/// A single-threaded tokio runtime with I/O and timers, for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::msg(format_args!("cannot start the async runtime: {e}")))
}
