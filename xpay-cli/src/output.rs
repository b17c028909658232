//! Writing results to stdout without panicking: a reader that goes away (`xpay … | head`)
//! ends the command quietly instead of crashing it.

use crate::error::Failure;
use std::borrow::Cow;
use std::io::{self, Write};

/// Writes `bytes` exactly as given, then a newline.
pub fn line(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(Failure::write)
}

/// Writes a JSON document, then a newline, escaped by [`terminal_safe_json`].
pub fn json(text: &str) -> Result<(), Failure> {
    line(terminal_safe_json(text).as_bytes())
}

/// A JSON document with every character a terminal could be driven by (C0 and C1 controls
/// other than the JSON whitespace `\t` `\n` `\r`, DEL, and the bidirectional marks and
/// overrides such as U+202E) written as a `\uXXXX` escape: the same JSON to a parser, and
/// nothing from outside that reaches a terminal raw. Such characters are legal raw only
/// inside JSON strings, where the escape means the same.
fn terminal_safe_json(text: &str) -> Cow<'_, str> {
    let escaped = |c: char| xpay::needs_escape(c) && !matches!(c, '\t' | '\n' | '\r');
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !escaped(c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    Cow::Owned(out)
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

#[cfg(test)]
mod tests {
    use super::terminal_safe_json;

    #[test]
    fn json_output_escapes_what_drives_a_terminal_and_stays_the_same_json() {
        let text = "{\"a\":\"ok\u{202e}gnp.exe \u{7f}\u{85} 中文\",\n\"b\":1}";
        let safe = terminal_safe_json(text);
        assert_eq!(
            safe,
            "{\"a\":\"ok\\u202egnp.exe \\u007f\\u0085 中文\",\n\"b\":1}"
        );
        let before: serde_json::Value = serde_json::from_str(text).expect("JSON");
        let after: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(before, after);
        assert!(matches!(
            terminal_safe_json("{\"a\":1}"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
