//! Rules about a field's limits (`min_len:`, `max_len:`, `charset:`, `no_leading:`, `min:`,
//! `max:`, `min_items:`, `max_items:`), which the runtime checks before a request is sent.

use super::Cx;
use super::fields::Field;
use crate::diag::Loc;
use crate::model::Ty;
use crate::rule::Rule;
use serde_saphyr::Spanned;

/// `limit-type`: the runtime checks lengths and character sets on strings, bounds on
/// integers, item counts on lists; a limit on another type would never be checked.
pub(super) fn limit_type(cx: &mut Cx<'_>, f: &Field<'_>) {
    let Some(ty) = &f.ty else { return };
    let r = f.raw;
    let string_like = cx.table.is_string_like(ty);
    let string = *ty == Ty::String;
    let integer = ty.is_integer();
    let list = matches!(ty, Ty::List(_));
    let limits = [
        (at(cx, &r.min_len), "min_len", string_like, "strings"),
        (at(cx, &r.max_len), "max_len", string_like, "strings"),
        (at(cx, &r.charset), "charset", string, "strings"),
        (at(cx, &r.no_leading), "no_leading", string, "strings"),
        (at(cx, &r.min), "min", integer, "integers"),
        (at(cx, &r.max), "max", integer, "integers"),
        (at(cx, &r.min_items), "min_items", list, "lists"),
        (at(cx, &r.max_items), "max_items", list, "lists"),
    ];
    for (at, name, fits, types) in limits {
        if let Some(at) = at
            && !fits
        {
            cx.error(
                Rule::LimitType,
                at,
                format!("field `{}`: `{name}` applies to {types} only", f.wire()),
            );
        }
    }
}

/// Where a limit is written, if it is.
fn at<T>(cx: &Cx<'_>, limit: &Option<Spanned<T>>) -> Option<Loc> {
    limit.as_ref().map(|v| cx.at(v))
}

/// `limit-range`: a lower limit above its upper limit accepts no value at all.
pub(super) fn limit_range(cx: &mut Cx<'_>, f: &Field<'_>) {
    let r = f.raw;
    let v = |s: &Option<Spanned<u32>>| s.as_ref().map(|s| i64::from(s.value));
    let pairs = [
        ("min_len", v(&r.min_len), "max_len", v(&r.max_len)),
        ("min_items", v(&r.min_items), "max_items", v(&r.max_items)),
        (
            "min",
            r.min.as_ref().map(|s| s.value),
            "max",
            r.max.as_ref().map(|s| s.value),
        ),
    ];
    for (low_name, low, high_name, high) in pairs {
        if let (Some(a), Some(b)) = (low, high)
            && a > b
        {
            let at = cx.at(f.key);
            cx.error(
                Rule::LimitRange,
                at,
                format!(
                    "field `{}`: {low_name} {a} is greater than {high_name} {b}",
                    f.wire()
                ),
            );
        }
    }
}

/// `bad-charset`: `charset:` and `no_leading:` are character-class bodies; an empty one, a
/// backwards range or a lone backslash is a mistake the runtime would turn into a check that
/// refuses (or accepts) everything.
pub(super) fn bad_charset(cx: &mut Cx<'_>, f: &Field<'_>) {
    for (value, name) in [
        (&f.raw.charset, "charset"),
        (&f.raw.no_leading, "no_leading"),
    ] {
        let Some(value) = value else { continue };
        let problem = if value.value.is_empty() {
            format!("`{name}` is empty")
        } else if name == "charset"
            && let Err(e) = charset_ok(&value.value)
        {
            format!("charset {:?}: {e}", value.value)
        } else {
            continue;
        };
        let at = cx.at(value);
        cx.error(
            Rule::BadCharset,
            at,
            format!("field `{}`: {problem}", f.wire()),
        );
    }
}

/// A charset is a character-class body: single characters and `a-z` ranges; `\-` or a trailing
/// `-` is a literal dash.
fn charset_ok(cs: &str) -> Result<(), String> {
    let chars: Vec<char> = cs.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = if chars[i] == '\\' {
            i += 1;
            *chars.get(i).ok_or("ends with a lone backslash")?
        } else {
            chars[i]
        };
        if chars.get(i + 1) == Some(&'-') && i + 2 < chars.len() {
            let hi = chars[i + 2];
            if hi < c {
                return Err(format!("range {c}-{hi} is backwards"));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::charset_ok;

    #[test]
    fn charsets() {
        assert!(charset_ok("A-Za-z0-9_-").is_ok());
        assert!(charset_ok(r"a\-z").is_ok());
        assert!(charset_ok("z-a").is_err());
        assert!(charset_ok("a\\").is_err());
    }
}
