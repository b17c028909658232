//! Amounts: fen as integers, yuan as text (`1` fen ↔ `"0.01"`), and the checks every amount
//! that moves goes through.

use crate::answer::Reject;

/// Formats fen as yuan with two decimals: `1` → `"0.01"`, `-5` → `"-0.05"`.
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

/// Parses a non-negative yuan amount with at most two decimals into fen: `"0.01"` → `1`,
/// `"1.5"` → `150`; `None` for anything else (signs, exponents, `".5"`, `"1."`, overflow).
pub(crate) fn parse_yuan(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && frac.is_empty())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        let f: i64 = frac.parse().ok()?;
        if frac.len() == 1 { f * 10 } else { f }
    };
    whole.checked_mul(100)?.checked_add(frac)
}

/// `v` when positive; 268490002 naming `name` otherwise.
pub(crate) fn positive(name: &str, v: i64) -> Result<i64, Reject> {
    if v > 0 {
        Ok(v)
    } else {
        Err(Reject::field(name, format!("is {v}; it must be positive")))
    }
}

/// 268490002 for an amount whose sum would overflow.
pub(crate) fn too_large(name: &str) -> Reject {
    Reject::field(name, "is too large")
}

/// `a + b`, or 268490002 naming `name` on overflow.
pub(crate) fn add(a: i64, b: i64, name: &str) -> Result<i64, Reject> {
    a.checked_add(b).ok_or_else(|| too_large(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_round_trips() {
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(12345), "123.45");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(parse_yuan("0.01"), Some(1));
        assert_eq!(parse_yuan("1.5"), Some(150));
        assert_eq!(parse_yuan("12"), Some(1200));
        for bad in [
            "",
            ".5",
            "1.",
            "1.234",
            "-1",
            "a",
            "1e3",
            "99999999999999999999",
        ] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn amounts_must_be_positive_and_fit() {
        assert_eq!(positive("amount", 3), Ok(3));
        assert_eq!(
            positive("amount", 0).map_err(|r| r.errcode),
            Err(crate::errcodes::INVALID_FIELD)
        );
        assert_eq!(add(1, 2, "amount"), Ok(3));
        assert_eq!(
            add(i64::MAX, 1, "amount").map_err(|r| r.errcode),
            Err(crate::errcodes::INVALID_FIELD)
        );
    }
}
