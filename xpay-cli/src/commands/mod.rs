//! One module per command; [`run`] dispatches a parsed command line to it.
//!
//! Each command takes its args struct, resolves only the settings it needs through
//! [`crate::config`], writes its result through [`crate::output`], and returns a
//! [`Failure`] otherwise. Later commands (`mock`, `demo`) are added the same way.

pub mod call;
pub mod callback;
pub mod sign_payment;
pub mod spec;

use crate::cli::{Cli, Command};
use crate::error::Failure;

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::SignPayment(args) => sign_payment::run(args),
        Command::Call(args) => call::run(args),
        Command::Spec(cmd) => spec::run(cmd),
        Command::Callback(cmd) => callback::run(cmd),
    }
}
