//! Pre-send checks shared by generated code and dynamic calls (not a public API; the
//! [`Violation`] they report is): lengths, character sets, leading characters, numeric bounds,
//! exactly-one-of groups, and the shape of dynamic bodies. Each failure names the field by its
//! path; the path is written out only when a check fails.

use crate::Error;
use crate::meta::{FieldMeta, Rules, TypeMeta};
use serde_json::Value;
use std::fmt;

/// What is wrong with a field, in a form a program can match.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// Fewer characters than `min_len`.
    TooShort {
        /// Its length in characters.
        len: usize,
        /// The spec's minimum.
        min: u32,
    },
    /// More characters than `max_len`.
    TooLong {
        /// Its length in characters.
        len: usize,
        /// The spec's maximum.
        max: u32,
    },
    /// A character outside the spec's character set.
    Charset {
        /// The first character not allowed.
        found: char,
        /// The allowed characters, as a character-class body.
        allowed: &'static str,
    },
    /// A first character the spec forbids.
    Leading {
        /// The character.
        found: char,
    },
    /// Below the spec's minimum.
    TooSmall {
        /// The value.
        value: i128,
        /// The minimum.
        min: i64,
    },
    /// Above the spec's maximum.
    TooLarge {
        /// The value.
        value: i128,
        /// The maximum.
        max: i64,
    },
    /// A required field is absent.
    Missing,
    /// A field required unless another has certain values is absent.
    MissingUnless {
        /// The other field.
        field: String,
        /// The values of the other field that make this one optional.
        values: Vec<String>,
    },
    /// A field whose value the spec pins has another value.
    Pinned {
        /// The only value allowed.
        value: String,
    },
    /// Fewer list items than `min_items`.
    TooFew {
        /// How many items.
        len: usize,
        /// The spec's minimum.
        min: u32,
    },
    /// More list items than `max_items` (one item per call, say).
    TooMany {
        /// How many items.
        len: usize,
        /// The spec's maximum.
        max: u32,
    },
    /// An enum value the spec does not list (refused by a server; a client sends it with a
    /// warning, since the spec may lag WeChat).
    UnknownValue {
        /// The value given.
        value: String,
        /// The values the spec lists.
        known: Vec<String>,
    },
    /// None of a group of which exactly one must be set.
    NoneOf {
        /// The group's members.
        members: Vec<String>,
    },
    /// Two members of a group of which exactly one may be set.
    Conflict {
        /// The member set first.
        with: String,
    },
    /// A field that does not belong to the payment mode.
    NotInMode {
        /// The mode.
        mode: String,
    },
    /// A field the spec does not list.
    Unknown {
        /// The fields the spec lists.
        known: Vec<&'static str>,
    },
    /// A value of the wrong JSON type.
    WrongType {
        /// What the spec wants, in words.
        expected: &'static str,
        /// What was given, in words.
        found: String,
    },
    /// A rule of the endpoint that is neither of the above (one item per call, say).
    Other(String),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::TooShort { len, min } => {
                write!(f, "is {len} characters long; it must be at least {min}")
            }
            Violation::TooLong { len, max } => {
                write!(f, "is {len} characters long; it must be at most {max}")
            }
            Violation::Charset { found, allowed } => {
                write!(f, "contains {found:?}; allowed characters are [{allowed}]")
            }
            Violation::Leading { found } => write!(f, "must not start with {found:?}"),
            Violation::TooSmall { value, min } => {
                write!(f, "is {value}; it must be at least {min}")
            }
            Violation::TooLarge { value, max } => write!(f, "is {value}; it must be at most {max}"),
            Violation::Missing => f.write_str("is required"),
            Violation::MissingUnless { field, values } => {
                write!(f, "is required unless `{field}` is {}", values.join(" or "))
            }
            Violation::Pinned { value } => write!(f, "must be {value}"),
            Violation::TooFew { len, min } => {
                write!(f, "has {len} items; it must have at least {min}")
            }
            Violation::TooMany { len, max } => {
                write!(f, "has {len} items; it must have at most {max}")
            }
            Violation::UnknownValue { value, known } => write!(
                f,
                "is {value}, which the spec does not list (values: {})",
                known.join(", ")
            ),
            Violation::NoneOf { members } => {
                write!(f, "is missing: set exactly one of {}", or_list(members))
            }
            Violation::Conflict { with } => {
                write!(f, "conflicts with `{with}`: set only one of them")
            }
            Violation::NotInMode { mode } => write!(f, "does not belong to {mode} mode"),
            Violation::Unknown { known } => {
                write!(
                    f,
                    "is not a field of this body (fields: {})",
                    known.join(", ")
                )
            }
            Violation::WrongType { expected, found } => {
                write!(f, "must be {expected}, not {found}")
            }
            Violation::Other(text) => f.write_str(text),
        }
    }
}

fn or_list(members: &[String]) -> String {
    members
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Where a value sits in a body: a chain of borrowed steps, rendered (`upload_item[0].id`) only
/// when an error names it.
#[derive(Debug, Clone, Copy)]
pub enum At<'a> {
    /// The body itself.
    Root,
    /// A field of the value at the parent.
    Field(&'a At<'a>, &'a str),
    /// An item of the list at the parent.
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    /// `field` below this place.
    pub fn field<'b>(&'b self, name: &'b str) -> At<'b> {
        At::Field(self, name)
    }

    /// The error for a violation at this place.
    pub fn error(&self, ctx: &str, violation: Violation) -> Error {
        Error::Invalid {
            context: ctx.to_string(),
            field: self.to_string(),
            violation,
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Root => f.write_str("(body)"),
            At::Field(At::Root, name) => f.write_str(name),
            At::Field(parent, name) => write!(f, "{parent}.{name}"),
            At::Index(parent, n) => write!(f, "{parent}[{n}]"),
        }
    }
}

/// Whether `c` is in a character-class body such as `A-Za-z0-9_-` (ranges `a-z`; a `-` at
/// either end, or escaped as `\-`, is literal). Allocation-free: it runs per character.
pub fn in_charset(c: char, charset: &str) -> bool {
    let mut found = false;
    for_each_range(charset, |lo, hi| {
        found |= (lo..=hi).contains(&c);
    });
    found
}

/// Calls `f(lo, hi)` for each range of a character-class body (a single character is `c..=c`).
fn for_each_range(charset: &str, mut f: impl FnMut(char, char)) {
    let mut it = charset.chars();
    while let Some(mut lo) = it.next() {
        if lo == '\\' {
            match it.next() {
                Some(escaped) => lo = escaped,
                None => {
                    f('\\', '\\');
                    return;
                }
            }
        }
        // A range needs a `-` followed by another character.
        let mut ahead = it.clone();
        if ahead.next() == Some('-')
            && let Some(hi) = ahead.next()
        {
            f(lo, hi);
            it = ahead;
            continue;
        }
        f(lo, lo);
    }
}

/// [`ascii_mask`], remembered per charset. Charsets are `&'static str`s of the spec's tables,
/// a handful of them, so a small per-thread table keyed by each one's address and length holds
/// them all: a static string's address is never reused for other text.
fn cached_ascii_mask(charset: &'static str) -> u128 {
    use std::cell::Cell;
    const SLOTS: usize = 8;
    thread_local! {
        static MASKS: [Cell<(usize, usize, u128)>; SLOTS] = Default::default();
    }
    let (addr, len) = (charset.as_ptr() as usize, charset.len());
    let slot = (addr ^ len) % SLOTS;
    MASKS.with(|masks| {
        let (a, l, mask) = masks[slot].get();
        if a == addr && l == len {
            return mask;
        }
        let mask = ascii_mask(charset);
        masks[slot].set((addr, len, mask));
        mask
    })
}

/// The ASCII members of a character-class body, one bit each, so that a value's ASCII
/// characters are checked in one step each.
fn ascii_mask(charset: &str) -> u128 {
    // Bits lo..=hi of a u128, for hi < 128.
    fn bits(lo: u32, hi: u32) -> u128 {
        let upto = |n: u32| {
            if n >= 127 {
                u128::MAX
            } else {
                (1u128 << (n + 1)) - 1
            }
        };
        let below = if lo == 0 { 0 } else { upto(lo - 1) };
        upto(hi) & !below
    }
    let mut mask = 0u128;
    for_each_range(charset, |lo, hi| {
        let (lo, hi) = (u32::from(lo), u32::from(hi).min(127));
        if lo <= hi {
            mask |= bits(lo, hi);
        }
    });
    mask
}

/// Checks a string field against its rules.
pub fn string(
    ctx: &str,
    at: &At<'_>,
    field: &str,
    value: &str,
    rules: &Rules,
) -> Result<(), Error> {
    string_rules(value, rules).map_err(|v| at.field(field).error(ctx, v))
}

/// Checks a string against rules, without a place.
pub fn string_rules(value: &str, rules: &Rules) -> Result<(), Violation> {
    let ascii = value.is_ascii();
    if rules.min_len.is_some() || rules.max_len.is_some() {
        let len = if ascii {
            value.len()
        } else {
            value.chars().count()
        };
        if let Some(min) = rules.min_len
            && len < min as usize
        {
            return Err(Violation::TooShort { len, min });
        }
        if let Some(max) = rules.max_len
            && len > max as usize
        {
            return Err(Violation::TooLong { len, max });
        }
    }
    if let Some(allowed) = rules.charset {
        let mask = cached_ascii_mask(allowed);
        let fits = |c: char| match u32::from(c) {
            n @ 0..=127 => mask & (1 << n) != 0,
            _ => in_charset(c, allowed),
        };
        let found = if ascii {
            value
                .bytes()
                .find(|&b| mask & (1 << b) == 0)
                .map(char::from)
        } else {
            value.chars().find(|c| !fits(*c))
        };
        if let Some(found) = found {
            return Err(Violation::Charset { found, allowed });
        }
    }
    if let Some(nl) = rules.no_leading
        && let Some(found) = value.chars().next()
        && nl.contains(found)
    {
        return Err(Violation::Leading { found });
    }
    Ok(())
}

/// Checks an integer field against its bounds.
pub fn int(ctx: &str, at: &At<'_>, field: &str, value: i128, rules: &Rules) -> Result<(), Error> {
    int_rules(value, rules).map_err(|v| at.field(field).error(ctx, v))
}

/// Checks an integer against bounds, without a place.
pub fn int_rules(value: i128, rules: &Rules) -> Result<(), Violation> {
    if let Some(min) = rules.min
        && value < i128::from(min)
    {
        return Err(Violation::TooSmall { value, min });
    }
    if let Some(max) = rules.max
        && value > i128::from(max)
    {
        return Err(Violation::TooLarge { value, max });
    }
    Ok(())
}

/// Checks a list field's length against its rules.
pub fn items(ctx: &str, at: &At<'_>, field: &str, len: usize, rules: &Rules) -> Result<(), Error> {
    items_rules(len, rules).map_err(|v| at.field(field).error(ctx, v))
}

/// Checks a list's length against rules, without a place.
pub fn items_rules(len: usize, rules: &Rules) -> Result<(), Violation> {
    if let Some(min) = rules.min_items
        && len < min as usize
    {
        return Err(Violation::TooFew { len, min });
    }
    if let Some(max) = rules.max_items
        && len > max as usize
    {
        return Err(Violation::TooMany { len, max });
    }
    Ok(())
}

/// A field required unless `other` holds one of `values`: `Ok` when it is given or excused.
pub fn required_unless(
    ctx: &str,
    at: &At<'_>,
    field: &str,
    given: bool,
    other: (&str, Option<&str>),
    values: &[&str],
) -> Result<(), Error> {
    if given || other.1.is_some_and(|v| values.contains(&v)) {
        return Ok(());
    }
    Err(at.field(field).error(
        ctx,
        Violation::MissingUnless {
            field: other.0.to_string(),
            values: values.iter().map(|v| v.to_string()).collect(),
        },
    ))
}

/// An enum value the spec does not list, in a typed request: sent, with a warning, since the
/// spec may lag WeChat (a server refuses it instead).
pub fn unknown_value(ctx: &str, at: &At<'_>, field: &str, value: &dyn fmt::Display) {
    tracing::warn!(
        action = ctx,
        field = %at.field(field),
        value = %crate::secret::escape_controls(&value.to_string()),
        "sending an enum value the spec does not list"
    );
}

/// Who checks a dynamic body: a client (`json<T>` fields may be given as the value itself, and
/// enum values the spec does not list are sent with a warning) or a server standing in for
/// WeChat (`json<T>` fields must be text, unknown enum values are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client, before sending.
    Client,
    /// A server, on receiving.
    Server,
}

/// Exactly one member of the group must be set.
pub fn one_of(ctx: &str, members: &[(&str, bool)]) -> Result<(), Error> {
    let mut set = members.iter().filter(|(_, s)| *s).map(|(n, _)| *n);
    match (set.next(), set.next()) {
        (Some(_), None) => Ok(()),
        (None, _) => Err(At::Root
            .field(members.first().map(|(n, _)| *n).unwrap_or_default())
            .error(
                ctx,
                Violation::NoneOf {
                    members: members.iter().map(|(n, _)| n.to_string()).collect(),
                },
            )),
        (Some(first), Some(second)) => Err(At::Root.field(second).error(
            ctx,
            Violation::Conflict {
                with: first.to_string(),
            },
        )),
    }
}

/// Serializes a value to JSON text, naming the context on failure.
pub fn to_json<T: serde::Serialize>(ctx: &str, value: &T) -> Result<String, Error> {
    serde_json::to_string(value)
        .map_err(|e| At::Root.error(ctx, Violation::Other(format!("cannot be serialized: {e}"))))
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

/// Checks a JSON object against a field table: unknown fields, required fields, pinned values,
/// types and rules, recursively. Used for dynamic calls and by servers; typed calls get the same
/// rules from generated code.
pub fn value(
    ctx: &str,
    at: &At<'_>,
    fields: &[FieldMeta],
    body: &Value,
    side: Side,
) -> Result<(), Error> {
    let Some(obj) = body.as_object() else {
        return Err(at.error(
            ctx,
            Violation::WrongType {
                expected: "a JSON object",
                found: json_kind(body).to_string(),
            },
        ));
    };
    for key in obj.keys() {
        if !fields.iter().any(|f| f.name == key) {
            let shown = key.escape_debug().to_string();
            return Err(at.field(&shown).error(
                ctx,
                Violation::Unknown {
                    known: fields.iter().map(|f| f.name).collect(),
                },
            ));
        }
    }
    for f in fields {
        let given = obj.get(f.name).filter(|v| !v.is_null());
        if let (Some(v), Some(pinned)) = (given, f.pinned)
            && text(v).as_deref() != Some(pinned)
        {
            return Err(at.field(f.name).error(
                ctx,
                Violation::Pinned {
                    value: pinned.to_string(),
                },
            ));
        }
        match given {
            None if f.always_sent() => {
                return Err(at.field(f.name).error(ctx, Violation::Missing));
            }
            None => {
                if let Some((other, values)) = f.required_unless {
                    let other_value = obj.get(other).and_then(text);
                    required_unless(
                        ctx,
                        at,
                        f.name,
                        false,
                        (other, other_value.as_deref()),
                        values,
                    )?;
                }
            }
            Some(v) => typed(ctx, &at.field(f.name), f.ty, &f.rules, v, side)?,
        }
    }
    Ok(())
}

/// A scalar JSON value as text (`"apple"` → `apple`, `1` → `1`).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Checks one JSON value against its type and rules.
pub fn typed(
    ctx: &str,
    at: &At<'_>,
    ty: &TypeMeta,
    rules: &Rules,
    v: &Value,
    side: Side,
) -> Result<(), Error> {
    let wrong = |expected: &'static str| {
        Err(at.error(
            ctx,
            Violation::WrongType {
                expected,
                found: match v {
                    Value::String(s) => format!("the string {:?}", s.escape_debug().to_string()),
                    // `env: 2` is a number, just not one of those allowed: name it.
                    Value::Number(n) => n.to_string(),
                    other => json_kind(other).to_string(),
                },
            },
        ))
    };
    let unknown = |value: String, known: Vec<String>| -> Result<(), Error> {
        match side {
            Side::Server => Err(at.error(ctx, Violation::UnknownValue { value, known })),
            Side::Client => {
                tracing::warn!(
                    action = ctx,
                    field = %at,
                    value = %crate::secret::escape_controls(&value),
                    "sending an enum value the spec does not list"
                );
                Ok(())
            }
        }
    };
    match ty {
        TypeMeta::String => match v.as_str() {
            Some(s) => string_rules(s, rules).map_err(|e| at.error(ctx, e)),
            None => wrong("a string"),
        },
        TypeMeta::StrEnum(_, values) => match v.as_str() {
            Some(s) if values.contains(&s) => string_rules(s, rules).map_err(|e| at.error(ctx, e)),
            Some(s) => unknown(
                format!("{:?}", s.escape_debug().to_string()),
                values.iter().map(|v| format!("{v:?}")).collect(),
            ),
            None => wrong("a string"),
        },
        TypeMeta::Int | TypeMeta::IntEnum(..) => match v
            .as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from))
        {
            Some(n) => {
                int_rules(n, rules).map_err(|e| at.error(ctx, e))?;
                match ty {
                    TypeMeta::IntEnum(_, values) if !values.iter().any(|k| i128::from(*k) == n) => {
                        unknown(n.to_string(), values.iter().map(i64::to_string).collect())
                    }
                    _ => Ok(()),
                }
            }
            None => wrong("an integer"),
        },
        TypeMeta::Env => match v.as_u64() {
            Some(0 | 1) => Ok(()),
            _ => wrong("the number 0 (production) or 1 (sandbox)"),
        },
        TypeMeta::Bool => match v {
            Value::Bool(_) => Ok(()),
            _ => wrong("a boolean"),
        },
        TypeMeta::Object(_, fields) => value(ctx, at, fields, v, side),
        TypeMeta::List(inner) => match v.as_array() {
            Some(list) => {
                items_rules(list.len(), rules).map_err(|e| at.error(ctx, e))?;
                for (n, item) in list.iter().enumerate() {
                    typed(ctx, &At::Index(at, n), inner, &Rules::NONE, item, side)?;
                }
                Ok(())
            }
            None => wrong("an array"),
        },
        // A JSON-in-a-string field: text holding JSON on the wire. A client may give the
        // structure itself (it is written as text before signing); a server refuses it.
        TypeMeta::Json(inner) => match (v, side) {
            (Value::String(text), _) => match serde_json::from_str::<Value>(text) {
                Ok(parsed) => typed(ctx, at, inner, rules, &parsed, side),
                Err(e) => Err(at.error(ctx, Violation::Other(format!("must hold JSON text: {e}")))),
            },
            (other, Side::Client) => typed(ctx, at, inner, rules, other, side),
            (_, Side::Server) => wrong("a string holding JSON text"),
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

    fn violation(r: Result<(), Error>) -> (String, Violation) {
        match r {
            Err(Error::Invalid {
                field, violation, ..
            }) => (field, violation),
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }

    /// `env: 2` is a number, only not an allowed one: the message names it (it once said
    /// "not a number").
    #[test]
    fn a_number_of_the_wrong_kind_is_named() {
        let at = At::Root;
        let checked = |ty: &TypeMeta, v: Value| {
            violation(typed(
                "call",
                &at.field("env"),
                ty,
                &Rules::NONE,
                &v,
                Side::Client,
            ))
        };
        assert_eq!(
            checked(&TypeMeta::Env, serde_json::json!(2)),
            (
                "env".into(),
                Violation::WrongType {
                    expected: "the number 0 (production) or 1 (sandbox)",
                    found: "2".into()
                }
            )
        );
        assert_eq!(
            checked(&TypeMeta::Int, serde_json::json!(1.5)).1,
            Violation::WrongType {
                expected: "an integer",
                found: "1.5".into()
            }
        );
    }

    #[test]
    fn charset_ranges_and_literal_dash() {
        assert!(in_charset('a', "A-Za-z0-9_-"));
        assert!(in_charset('-', "A-Za-z0-9_-"));
        assert!(in_charset('_', "A-Za-z0-9_-"));
        assert!(!in_charset('.', "A-Za-z0-9_-"));
        assert!(in_charset('-', "a\\-z"));
        assert!(!in_charset('b', "a\\-z"));
        // The remembered masks never mix up two charsets, however they share a slot.
        let rules = |charset: &'static str| Rules {
            charset: Some(charset),
            ..Rules::default()
        };
        for _ in 0..3 {
            assert!(string_rules("abc", &rules("a-c")).is_ok());
            assert!(string_rules("abc", &rules("a-b")).is_err());
            assert!(string_rules("xyz", &rules("x-z")).is_ok());
            let long: &'static str = "abc-abc-abc-abc-abc-abc-abc-abc-abc-";
            assert!(string_rules("abc", &rules(long)).is_ok());
        }
        // The ASCII bitmap agrees with the character-class walk on every ASCII character.
        for charset in [
            "A-Za-z0-9_-",
            "0-9A-Za-z_\\-|*@",
            "a\\-z",
            "-a",
            "\\",
            "!-~",
            "中-文a",
        ] {
            let mask = ascii_mask(charset);
            for n in 0u32..128 {
                let c = char::from_u32(n).unwrap_or_default();
                assert_eq!(
                    mask & (1 << n) != 0,
                    in_charset(c, charset),
                    "{charset} {n}"
                );
            }
        }
    }

    #[test]
    fn the_mask_cache_never_answers_for_another_charset() {
        // More charsets than the cache has slots, some of one length, checked in turns: each
        // answer must be its own charset's, whatever slot it shares.
        const CHARSETS: [&str; 12] = [
            "a-z", "A-Z", "0-9", "a-c", "x-z", "0-4", "5-9", "ab", "cd", "_", "-", "!-~",
        ];
        for round in 0..3 {
            for (i, charset) in CHARSETS.iter().enumerate() {
                let rules = Rules {
                    charset: Some(charset),
                    ..Rules::NONE
                };
                for n in 0u8..128 {
                    let c = char::from(n);
                    assert_eq!(
                        string_rules(&c.to_string(), &rules).is_ok(),
                        in_charset(c, charset),
                        "round {round}, charset {i} `{charset}`, {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn string_rules_name_the_field() {
        let at = At::Root;
        assert!(string("payment", &at, "outTradeNo", "trade_0001", &ID).is_ok());
        assert_eq!(
            violation(string("payment", &at, "outTradeNo", "short", &ID)),
            ("outTradeNo".into(), Violation::TooShort { len: 5, min: 8 })
        );
        assert_eq!(
            violation(string(
                "payment",
                &at,
                "outTradeNo",
                "_leading_underscore",
                &ID
            ))
            .1,
            Violation::Leading { found: '_' }
        );
        assert_eq!(
            violation(string("payment", &at, "outTradeNo", "has space 123", &ID)).1,
            Violation::Charset {
                found: ' ',
                allowed: "0-9A-Za-z_|*@-"
            }
        );
        assert_eq!(
            violation(string("payment", &at, "outTradeNo", &"x".repeat(33), &ID)).1,
            Violation::TooLong { len: 33, max: 32 }
        );
        // Lengths count characters, not bytes.
        let r = Rules {
            max_len: Some(2),
            ..Rules::NONE
        };
        assert!(string("x", &at, "name", "中文", &r).is_ok());
    }

    #[test]
    fn bounds_and_one_of() {
        let r = Rules {
            min: Some(1),
            max: Some(1),
            ..Rules::NONE
        };
        let at = At::Root;
        assert!(int("a", &at, "buy_quantity", 1, &r).is_ok());
        assert_eq!(
            violation(int("a", &at, "buy_quantity", 0, &r)).1,
            Violation::TooSmall { value: 0, min: 1 }
        );
        assert_eq!(
            violation(int("a", &at, "buy_quantity", 2, &r)).1,
            Violation::TooLarge { value: 2, max: 1 }
        );
        assert!(one_of("q", &[("order_id", true), ("wx_order_id", false)]).is_ok());
        assert_eq!(
            violation(one_of("q", &[("order_id", false), ("wx_order_id", false)])),
            (
                "order_id".into(),
                Violation::NoneOf {
                    members: vec!["order_id".into(), "wx_order_id".into()]
                }
            )
        );
        assert_eq!(
            violation(one_of("q", &[("order_id", true), ("wx_order_id", true)])),
            (
                "wx_order_id".into(),
                Violation::Conflict {
                    with: "order_id".into()
                }
            )
        );
    }

    #[test]
    fn paths_are_written_only_on_error() {
        let root = At::Root;
        let items = root.field("upload_item");
        let first = At::Index(&items, 0);
        assert_eq!(first.field("id").to_string(), "upload_item[0].id");
        assert_eq!(root.to_string(), "(body)");
        assert_eq!(root.field("a").to_string(), "a");
    }
}
