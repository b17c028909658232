//! `xpay`: WeChat Mini Program virtual payment (小程序虚拟支付) from the command line.
//!
//! Parse, dispatch, map failures to exit codes: 0 on success (and for `--help`/`--version`),
//! 1 on any failure, argument errors included, with one line on stderr. See the CLI contract
//! in the design notes; the commands live in [`commands`].

mod cli;
mod commands;
mod config;
mod error;
mod output;

use clap::Parser;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return error::clap_exit(e),
    };
    // A bug must still end as one line and exit 1, not a backtrace and exit 101.
    panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        error::error_line(&format!("internal error (a bug in xpay): {what}{at}"));
    }));
    match panic::catch_unwind(AssertUnwindSafe(|| commands::run(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(failure)) => failure.exit(),
        Err(_) => ExitCode::FAILURE,
    }
}
