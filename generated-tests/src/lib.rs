//! Helpers shared by the generated-code tests: the spec text and sample bodies built from the
//! spec's own tables (so no test is written per action).

use serde_json::{Map, Value};
use xpay::meta::{ActionMeta, FieldMeta, TypeMeta};

/// The built-in spec's text.
pub fn spec_source() -> String {
    xpay::SPEC_YAML.to_string()
}

/// A deterministic sample value for a field, within its rules.
pub fn sample_value(f: &FieldMeta, ty: &TypeMeta) -> Value {
    let r = &f.rules;
    match ty {
        TypeMeta::String => {
            let len = r
                .min_len
                .unwrap_or(0)
                .max(8)
                .min(r.max_len.unwrap_or(u32::MAX)) as usize;
            let mut s: String = format!("{}_sample", f.name)
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if r.no_leading
                .is_some_and(|nl| s.starts_with(|c| nl.contains(c)))
            {
                s.insert(0, 'x');
            }
            while s.chars().count() < len {
                s.push('0');
            }
            Value::String(s.chars().take(len.max(1)).collect())
        }
        TypeMeta::Int => Value::from(r.min.unwrap_or(1).min(r.max.unwrap_or(i64::MAX))),
        TypeMeta::Bool => Value::Bool(true),
        TypeMeta::Env => Value::from(1),
        TypeMeta::IntEnum(_) => Value::from(1),
        TypeMeta::StrEnum(_) => Value::from("1"),
        TypeMeta::Object(_, fields) => sample_object(fields),
        TypeMeta::List(inner) => Value::Array(vec![sample_value(f, inner)]),
        TypeMeta::Json(inner) => Value::from(sample_value(f, inner).to_string()),
    }
}

/// Every field of a table, each with its sample value (one-of groups are fixed up by the
/// caller's table).
pub fn sample_object(fields: &[FieldMeta]) -> Value {
    let mut m = Map::new();
    for f in fields {
        m.insert(f.name.to_string(), sample_value(f, f.ty));
    }
    Value::Object(m)
}

/// A sample request for an action: every field set (only the first member of each one-of
/// group), with values within the spec's rules.
pub fn sample_request(meta: &ActionMeta) -> Value {
    let mut v = sample_object(meta.request);
    if let Some(obj) = v.as_object_mut() {
        for group in meta.one_of {
            for extra in group.iter().skip(1) {
                obj.remove(*extra);
            }
        }
    }
    v
}

pub mod server;
