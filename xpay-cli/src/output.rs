//! Writing results to stdout without panicking: a reader that goes away (`xpay … | head`)
//! ends the command quietly instead of crashing it.

use crate::error::Failure;
use std::io::{self, Write};

/// Writes `bytes` exactly as given, then a newline.
pub fn line(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(Failure::write)
}

/// Writes a text, ending it with a newline unless it already ends with one.
pub fn text(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        })
        .and_then(|()| out.flush())
        .map_err(Failure::write)
}
