//! Pre-send checks (public for generated code and for servers that check bodies, like the
//! fake WeChat server) shared by generated code and dynamic calls: lengths, character sets,
//! leading characters, numeric bounds and exactly-one-of groups. Each failure names the field.

use crate::Error;
use crate::meta::{FieldMeta, Rules, TypeMeta};
use serde_json::Value;

/// `path.field`, or `field` at the top level.
pub fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// `path.field[n]`.
pub fn index(path: &str, field: &str, n: usize) -> String {
    format!("{}[{n}]", join(path, field))
}

/// Whether `c` is in a character-class body such as `A-Za-z0-9_-` (ranges `a-z`; a `-` at
/// either end, or escaped as `\-`, is literal). Allocation-free: it runs per character.
pub fn in_charset(c: char, charset: &str) -> bool {
    let mut it = charset.chars();
    while let Some(mut lo) = it.next() {
        if lo == '\\' {
            match it.next() {
                Some(escaped) => lo = escaped,
                None => return c == '\\',
            }
        }
        // A range needs a `-` followed by another character.
        let mut ahead = it.clone();
        if ahead.next() == Some('-')
            && let Some(hi) = ahead.next()
        {
            if (lo..=hi).contains(&c) {
                return true;
            }
            it = ahead;
            continue;
        }
        if lo == c {
            return true;
        }
    }
    false
}

/// Checks a string against its rules.
pub fn string(ctx: &str, path: &str, field: &str, value: &str, rules: &Rules) -> Result<(), Error> {
    let len = value.chars().count();
    let fail = |problem: String| Err(Error::invalid(ctx, join(path, field), problem));
    if let Some(min) = rules.min_len
        && len < min as usize
    {
        return fail(format!(
            "is {len} characters long; it must be at least {min}"
        ));
    }
    if let Some(max) = rules.max_len
        && len > max as usize
    {
        return fail(format!(
            "is {len} characters long; it must be at most {max}"
        ));
    }
    if let Some(cs) = rules.charset
        && let Some(bad) = value.chars().find(|c| !in_charset(*c, cs))
    {
        return fail(format!("contains {bad:?}; allowed characters are [{cs}]"));
    }
    if let Some(nl) = rules.no_leading
        && let Some(first) = value.chars().next()
        && nl.contains(first)
    {
        return fail(format!("must not start with {first:?}"));
    }
    Ok(())
}

/// Checks an integer against its bounds.
pub fn int(ctx: &str, path: &str, field: &str, value: i128, rules: &Rules) -> Result<(), Error> {
    if let Some(min) = rules.min
        && value < i128::from(min)
    {
        return Err(Error::invalid(
            ctx,
            join(path, field),
            format!("is {value}; it must be at least {min}"),
        ));
    }
    if let Some(max) = rules.max
        && value > i128::from(max)
    {
        return Err(Error::invalid(
            ctx,
            join(path, field),
            format!("is {value}; it must be at most {max}"),
        ));
    }
    Ok(())
}

/// Exactly one member of the group must be set.
pub fn one_of(ctx: &str, members: &[(&str, bool)]) -> Result<(), Error> {
    let set: Vec<&str> = members
        .iter()
        .filter(|(_, s)| *s)
        .map(|(n, _)| *n)
        .collect();
    let names = members
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    match set.len() {
        1 => Ok(()),
        0 => Err(Error::invalid(
            ctx,
            members.first().map(|(n, _)| *n).unwrap_or_default(),
            format!("is missing: set exactly one of {names}"),
        )),
        _ => Err(Error::invalid(
            ctx,
            set[1],
            format!("conflicts with `{}`: set exactly one of {names}", set[0]),
        )),
    }
}

/// A field a mode requires is missing.
pub fn missing(ctx: &str, field: &str, mode: &str) -> Error {
    Error::invalid(ctx, field, format!("is required in {mode} mode"))
}

/// Serializes a value to JSON text, naming the context on failure.
pub fn to_json<T: serde::Serialize>(ctx: &str, value: &T) -> Result<String, Error> {
    serde_json::to_string(value)
        .map_err(|e| Error::invalid(ctx, "(body)", format!("cannot be serialized: {e}")))
}

/// What kind of JSON value this is, in words (`a string`, `an object`), for error messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks a JSON object against a field table: unknown fields, required fields, types and
/// rules, recursively. Used for dynamic calls (and by the fake server); typed calls get the same
/// rules from generated code.
pub fn value(ctx: &str, path: &str, fields: &[FieldMeta], body: &Value) -> Result<(), Error> {
    let Some(obj) = body.as_object() else {
        return Err(Error::invalid(
            ctx,
            if path.is_empty() { "(body)" } else { path },
            format!("must be a JSON object, not {}", json_kind(body)),
        ));
    };
    for key in obj.keys() {
        if !fields.iter().any(|f| f.name == key) {
            let known = fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
            return Err(Error::invalid(
                ctx,
                join(path, key),
                format!("is not a field of this request (fields: {known})"),
            ));
        }
    }
    for f in fields {
        match obj.get(f.name) {
            None | Some(Value::Null) if f.always_sent() => {
                return Err(Error::invalid(ctx, join(path, f.name), "is required"));
            }
            None | Some(Value::Null) => {}
            Some(v) => typed(ctx, &join(path, f.name), f.ty, &f.rules, v)?,
        }
    }
    Ok(())
}

fn typed(ctx: &str, path: &str, ty: &TypeMeta, rules: &Rules, v: &Value) -> Result<(), Error> {
    let wrong = |want: &str| {
        Err(Error::invalid(
            ctx,
            path,
            format!("must be {want}, not {}", json_kind(v)),
        ))
    };
    match ty {
        TypeMeta::String | TypeMeta::StrEnum(_) => match v.as_str() {
            Some(s) => string(ctx, "", path, s, rules),
            None => wrong("a string"),
        },
        TypeMeta::Int | TypeMeta::IntEnum(_) => match v
            .as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from))
        {
            Some(n) => int(ctx, "", path, n, rules),
            None => wrong("an integer"),
        },
        TypeMeta::Env => match v.as_u64() {
            Some(0 | 1) => Ok(()),
            _ => Err(Error::invalid(
                ctx,
                path,
                "must be 0 (production) or 1 (sandbox)",
            )),
        },
        TypeMeta::Bool => match v {
            Value::Bool(_) => Ok(()),
            _ => wrong("a boolean"),
        },
        TypeMeta::Object(_, fields) => value(ctx, path, fields, v),
        TypeMeta::List(inner) => match v.as_array() {
            Some(items) => {
                for (n, item) in items.iter().enumerate() {
                    typed(ctx, &format!("{path}[{n}]"), inner, &Rules::NONE, item)?;
                }
                Ok(())
            }
            None => wrong("an array"),
        },
        // A JSON-in-a-string field may be given as the structure itself or as its text.
        TypeMeta::Json(inner) => match v {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(parsed) => typed(ctx, path, inner, rules, &parsed),
                Err(e) => Err(Error::invalid(
                    ctx,
                    path,
                    format!("must hold JSON text: {e}"),
                )),
            },
            other => typed(ctx, path, inner, rules, other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: Rules = Rules {
        min_len: Some(8),
        max_len: Some(32),
        charset: Some("0-9A-Za-z_|*@-"),
        no_leading: Some("_"),
        ..Rules::NONE
    };

    #[test]
    fn charset_ranges_and_literal_dash() {
        assert!(in_charset('a', "A-Za-z0-9_-"));
        assert!(in_charset('-', "A-Za-z0-9_-"));
        assert!(in_charset('_', "A-Za-z0-9_-"));
        assert!(!in_charset('.', "A-Za-z0-9_-"));
        assert!(in_charset('-', "a\\-z"));
        assert!(!in_charset('b', "a\\-z"));
    }

    #[test]
    fn string_rules_name_the_field() {
        assert!(string("payment", "", "outTradeNo", "trade_0001", &ID).is_ok());
        let e = string("payment", "", "outTradeNo", "short", &ID)
            .unwrap_err()
            .to_string();
        assert!(e.contains("outTradeNo") && e.contains("at least 8"), "{e}");
        let e = string("payment", "", "outTradeNo", "_leading_underscore", &ID)
            .unwrap_err()
            .to_string();
        assert!(e.contains("must not start with '_'"), "{e}");
        let e = string("payment", "", "outTradeNo", "has space 123", &ID)
            .unwrap_err()
            .to_string();
        assert!(e.contains("' '"), "{e}");
        let e = string("payment", "", "outTradeNo", &"x".repeat(33), &ID)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 32"), "{e}");
        // Lengths count characters, not bytes.
        let r = Rules {
            max_len: Some(2),
            ..Rules::NONE
        };
        assert!(string("x", "", "name", "中文", &r).is_ok());
    }

    #[test]
    fn bounds_and_one_of() {
        let r = Rules {
            min: Some(1),
            max: Some(1),
            ..Rules::NONE
        };
        assert!(int("a", "", "buy_quantity", 1, &r).is_ok());
        assert!(
            int("a", "", "buy_quantity", 0, &r)
                .unwrap_err()
                .to_string()
                .contains("at least 1")
        );
        assert!(
            int("a", "", "buy_quantity", 2, &r)
                .unwrap_err()
                .to_string()
                .contains("at most 1")
        );
        assert!(one_of("q", &[("order_id", true), ("wx_order_id", false)]).is_ok());
        let e = one_of("q", &[("order_id", false), ("wx_order_id", false)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`order_id` or `wx_order_id`"), "{e}");
        let e = one_of("q", &[("order_id", true), ("wx_order_id", true)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("conflicts"), "{e}");
    }

    #[test]
    fn paths() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("x", "a"), "x.a");
        assert_eq!(index("x", "items", 2), "x.items[2]");
    }
}
