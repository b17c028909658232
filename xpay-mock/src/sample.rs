//! Spec-shaped sample values, built from the field tables alone (no per-action code).
//!
//! - [`sample_response`]: what the mock answers for an action its ledger has no model for:
//!   `{"errcode":0,"errmsg":"ok"}` plus every response field with a zero value of its type
//!   (`""`, `0`, `false`, `[]`, nested objects with their own fields, JSON text for
//!   JSON-in-a-string fields).
//! - [`sample_request`]: a request body that passes the action's checks (every field set,
//!   values within the spec's rules, the first member of each one-of group), for tests and
//!   demos.

use serde_json::{Map, Value};
use xpay::Env;
use xpay::meta::{ActionMeta, FieldMeta, Rules, TypeMeta};

/// The zero value of a type: `""` for strings and string enums, `0` for numbers, env and
/// integer enums, `false`, `[]`, an object of its fields' zero values, or the JSON text of the
/// inner zero value for a JSON-in-a-string type.
pub fn zero_value(ty: &TypeMeta) -> Value {
    match ty {
        TypeMeta::String | TypeMeta::StrEnum(..) => Value::from(""),
        TypeMeta::Int | TypeMeta::Env | TypeMeta::IntEnum(..) => Value::from(0),
        TypeMeta::Bool => Value::Bool(false),
        TypeMeta::Object(_, fields) => zero_object(fields),
        TypeMeta::List(_) => Value::Array(Vec::new()),
        TypeMeta::Json(inner) => Value::from(zero_value(inner).to_string()),
    }
}

/// An object with every field of the table at its [`zero_value`].
pub fn zero_object(fields: &[FieldMeta]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|f| (f.name.to_string(), zero_value(f.ty)))
            .collect(),
    )
}

/// A spec-shaped success answer for an action: `errcode` 0, `errmsg` "ok" and every response
/// field at its [`zero_value`].
pub fn sample_response(meta: &ActionMeta) -> Value {
    let mut m = Map::new();
    m.insert("errcode".into(), Value::from(0));
    m.insert("errmsg".into(), Value::from("ok"));
    for f in meta.response {
        m.insert(f.name.to_string(), zero_value(f.ty));
    }
    Value::Object(m)
}

fn sample_string(name: &str, rules: &Rules) -> Value {
    // Letters and digits only: within every character set the spec uses.
    let mut s: String = format!("{name}sample")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let min = rules.min_len.unwrap_or(1).max(1) as usize;
    let max = rules.max_len.map_or(usize::MAX, |m| m as usize).max(1);
    while s.len() < min {
        s.push('0');
    }
    s.truncate(max);
    if let Some(nl) = rules.no_leading
        && s.starts_with(|c| nl.contains(c))
    {
        s.replace_range(..1, "x");
    }
    Value::from(s)
}

fn sample_int(rules: &Rules) -> Value {
    let v = rules.min.unwrap_or(1);
    Value::from(rules.max.map_or(v, |max| v.min(max)))
}

/// A sample value for a request field of this type, within `rules`.
pub fn sample_value(name: &str, ty: &TypeMeta, rules: &Rules, env: Env) -> Value {
    match ty {
        TypeMeta::String => sample_string(name, rules),
        // The first value the spec lists.
        TypeMeta::StrEnum(_, values) => Value::from(values.first().copied().unwrap_or_default()),
        TypeMeta::IntEnum(_, values) => Value::from(values.first().copied().unwrap_or_default()),
        TypeMeta::Int => sample_int(rules),
        TypeMeta::Env => Value::from(env.as_u8()),
        TypeMeta::Bool => Value::Bool(true),
        TypeMeta::Object(_, fields) => sample_object(fields, env),
        TypeMeta::List(inner) => {
            let n = rules.min_items.unwrap_or(1).max(1) as usize;
            Value::Array(vec![sample_value(name, inner, &Rules::NONE, env); n])
        }
        TypeMeta::Json(inner) => Value::from(sample_value(name, inner, rules, env).to_string()),
    }
}

/// Every field of a table with its [`sample_value`].
pub fn sample_object(fields: &[FieldMeta], env: Env) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|f| {
                let value = match f.pinned {
                    Some(pinned) => pinned
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| Value::from(pinned)),
                    None => sample_value(f.name, f.ty, &f.rules, env),
                };
                (f.name.to_string(), value)
            })
            .collect(),
    )
}

/// A request body for an action that passes its checks: every field set (`env` to `env`),
/// only the first member of each one-of group.
pub fn sample_request(meta: &ActionMeta, env: Env) -> Value {
    let mut v = sample_object(meta.request, env);
    if let Some(obj) = v.as_object_mut() {
        for group in meta.one_of {
            for extra in group.iter().skip(1) {
                obj.remove(*extra);
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use xpay::api::SPEC;

    #[test]
    fn every_sample_request_passes_the_checks() {
        for meta in SPEC.actions {
            for env in [Env::Production, Env::Sandbox] {
                let body = sample_request(meta, env);
                meta.check_request(&body)
                    .unwrap_or_else(|e| panic!("{}: {e}", meta.name));
            }
        }
    }

    #[test]
    fn sample_responses_have_every_field() {
        for meta in SPEC.actions {
            let r = sample_response(meta);
            assert_eq!(r["errcode"], 0);
            for f in meta.response {
                assert!(r.get(f.name).is_some(), "{}.{}", meta.name, f.name);
            }
        }
        let order = SPEC.action("query_order").map(sample_response);
        assert_eq!(
            order.as_ref().and_then(|o| o["order"]["left_fee"].as_i64()),
            Some(0)
        );
    }

    #[test]
    fn strings_respect_rules() {
        let r = Rules {
            min_len: Some(8),
            max_len: Some(10),
            no_leading: Some("o"),
            ..Rules::NONE
        };
        let s = sample_string("order_id_long_name", &r);
        let s = s.as_str().unwrap_or_default();
        assert!((8..=10).contains(&s.len()), "{s}");
        assert!(!s.starts_with('o'));
        let s = sample_string("a", &r);
        assert_eq!(s.as_str().map(str::len), Some(8));
    }
}
