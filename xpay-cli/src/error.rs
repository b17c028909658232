//! How a command fails, and how failures reach stderr: one line, `error: …`, exit 1.
//!
//! The only multi-line failure is a [`Failure::Report`] (the located diagnostics of
//! `xpay spec check`, which are that command's output). A stdout the reader closed
//! ([`Failure::BrokenPipe`]) is not reported at all.

use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// An error, printed as one line.
    Message(String),
    /// A report printed as it is (several lines), then exit 1.
    Report(String),
    /// stdout was closed by its reader: stop quietly.
    BrokenPipe,
}

impl Failure {
    /// A one-line error from anything displayable.
    pub fn msg(message: impl Display) -> Failure {
        Failure::Message(message.to_string())
    }

    /// A failed write to stdout.
    pub fn write(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::msg(format_args!("cannot write to stdout: {e}"))
        }
    }

    /// Reports the failure on stderr and gives the exit code.
    pub fn exit(self) -> ExitCode {
        match self {
            Failure::BrokenPipe => ExitCode::SUCCESS,
            Failure::Message(m) => {
                error_line(&m);
                ExitCode::FAILURE
            }
            Failure::Report(r) => {
                let mut err = io::stderr().lock();
                let _ = err.write_all(r.as_bytes());
                if !r.ends_with('\n') {
                    let _ = err.write_all(b"\n");
                }
                let _ = err.flush();
                ExitCode::FAILURE
            }
        }
    }
}

impl From<xpay::Error> for Failure {
    /// The runtime's message and the causes behind it (`error sending request: … tcp connect
    /// error: Connection refused`), each said once. A cause that mentions an access token is
    /// left out.
    fn from(e: xpay::Error) -> Failure {
        let mut message = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) && !text.contains("access_token") {
                message.push_str(": ");
                message.push_str(&text);
            }
            cause = c.source();
        }
        Failure::Message(message)
    }
}

/// Writes `error: {message}` to stderr as one line. Never panics, even without a stderr.
pub fn error_line(message: &str) {
    // Messages quote outside input (a server's errmsg, a push's fields): whatever escaped
    // escaping upstream, no control character reaches the terminal raw.
    let line = xpay::escape_controls(&one_line(message));
    let line = line.strip_prefix("error: ").unwrap_or(&line);
    let _ = writeln!(io::stderr().lock(), "error: {line}");
}

/// Collapses a message onto one line: line breaks (and the blanks around them) become one space.
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a clap error becomes: `--help` and `--version` print as clap renders them and exit 0;
/// every other error (argument errors included) is one line on stderr and exit 1.
pub fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => match e.print() {
            Ok(()) => ExitCode::SUCCESS,
            Err(io) if io.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(io) => Failure::write(io).exit(),
        },
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            error_line("a command is required; run `xpay --help` for the list");
            ExitCode::FAILURE
        }
        kind => {
            let mut line = clap_summary(&strip_ansi(&e.to_string()));
            // xpay has no short flags: `-abc` is a value that needs the `--flag=value` form.
            let short = matches!(
                e.get(ContextKind::InvalidArg),
                Some(ContextValue::String(a)) if a.starts_with('-') && !a.starts_with("--")
            );
            if kind == ErrorKind::UnknownArgument && short {
                line.push_str(" (to give a value that starts with '-', write --flag=value)");
            }
            error_line(&line);
            ExitCode::FAILURE
        }
    }
}

/// The first paragraph of a rendered clap error (its message and any list that belongs to it,
/// such as the missing arguments), without the usage and tips that follow the first blank line.
fn clap_summary(rendered: &str) -> String {
    let paragraph: Vec<&str> = rendered
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect();
    one_line(&paragraph.join("\n"))
}

/// Removes ANSI escape sequences (`ESC [ … letter`), should clap have styled its message.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_one_line() {
        assert_eq!(one_line("a\nb\r\n  c\n\n"), "a b c");
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn clap_errors_keep_their_first_paragraph() {
        let rendered = "error: the following required arguments were not provided:\n  --mode <coin|goods>\n\nUsage: xpay sign-payment --mode <coin|goods>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            clap_summary(rendered),
            "error: the following required arguments were not provided: --mode <coin|goods>"
        );
    }

    #[test]
    fn ansi_is_stripped() {
        assert_eq!(strip_ansi("\u{1b}[1;31merror:\u{1b}[0m x"), "error: x");
    }
}
