//! Stage 1: parse. The YAML is read with serde-saphyr into raw structures that keep the
//! line and column of everything a later error may point at. Nothing is checked here beyond
//! what YAML and the schema's shape require; `check` does the rest and collects every error.

use crate::diag::{Diagnostics, Pos};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::marker::PhantomData;

/// A YAML mapping that keeps its keys' order (the order of fields on the wire).
#[derive(Debug)]
pub struct Ordered<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Spanned<String>, V>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V2(PhantomData))
    }
}

/// A scalar that may be an integer or a string (enum values, defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
}

/// A field of a request, response, object, payment or event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    #[serde(rename = "type")]
    pub ty: Spanned<String>,
    #[serde(default)]
    pub doc: Option<String>,
    #[serde(default)]
    pub required: Option<Spanned<bool>>,
    #[serde(default)]
    pub fill: Option<Spanned<String>>,
    #[serde(default)]
    pub default: Option<Spanned<Scalar>>,
    #[serde(default)]
    pub rust_name: Option<Spanned<String>>,
    #[serde(default)]
    pub min_len: Option<Spanned<u32>>,
    #[serde(default)]
    pub max_len: Option<Spanned<u32>>,
    #[serde(default)]
    pub charset: Option<Spanned<String>>,
    #[serde(default)]
    pub no_leading: Option<Spanned<String>>,
    #[serde(default)]
    pub min: Option<Spanned<i64>>,
    #[serde(default)]
    pub max: Option<Spanned<i64>>,
    #[serde(default)]
    pub modes: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub min_items: Option<Spanned<u32>>,
    #[serde(default)]
    pub max_items: Option<Spanned<u32>>,
    #[serde(default)]
    pub required_unless: Option<Spanned<Ordered<Vec<Spanned<Scalar>>>>>,
    #[serde(default)]
    pub value: Option<Spanned<Scalar>>,
    /// Removed in xpay-rs 0.2; kept only to point at the replacement.
    #[serde(default)]
    pub required_in: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A named object or enum under `types:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawType {
    #[serde(default)]
    pub doc: Option<String>,
    #[serde(default)]
    pub fields: Option<Spanned<Ordered<RawField>>>,
    #[serde(default, rename = "enum")]
    pub repr: Option<Spanned<String>>,
    #[serde(default)]
    pub values: Option<Vec<RawEnumValue>>,
    #[serde(default)]
    pub one_of: Option<Spanned<Ordered<RawField>>>,
}

/// One value of an enum.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnumValue {
    pub value: Spanned<Scalar>,
    pub name: Spanned<String>,
    #[serde(default)]
    pub doc: Option<String>,
}

/// One action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    pub name: Spanned<String>,
    #[serde(default)]
    pub alias: Option<Spanned<String>>,
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub signing: Option<Spanned<String>>,
    #[serde(default)]
    pub retry: Option<Spanned<String>>,
    #[serde(default)]
    pub idempotency_key: Option<Spanned<String>>,
    #[serde(default)]
    pub doc: Option<String>,
    #[serde(default)]
    pub request: Ordered<RawField>,
    /// Replaced by one_of types; kept only to point at the replacement.
    #[serde(default)]
    pub one_of: Option<Spanned<serde::de::IgnoredAny>>,
    #[serde(default)]
    pub response: Ordered<RawField>,
}

/// One client-side payment kind under `payments:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayment {
    pub name: Spanned<String>,
    #[serde(default)]
    pub rust_name: Option<Spanned<String>>,
    #[serde(default)]
    pub doc: Option<String>,
    pub uri: Spanned<String>,
    #[serde(default)]
    pub sign_env: Option<Spanned<u8>>,
    #[serde(default)]
    pub modes: Ordered<Spanned<String>>,
    pub fields: Ordered<RawField>,
}

/// One push event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub name: Spanned<String>,
    #[serde(default)]
    pub rust_name: Option<Spanned<String>>,
    #[serde(default)]
    pub doc: Option<String>,
    #[serde(default)]
    pub dedup_key: Option<Spanned<OneOrMany>>,
    #[serde(default)]
    pub reply: Option<Spanned<String>>,
    #[serde(default)]
    pub fields: Ordered<RawField>,
}

/// One errcode row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawError {
    pub code: Spanned<i64>,
    pub name: Spanned<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub fix: Option<String>,
}

/// A string or a list of strings (a dedup key of one field or several).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    pub version: Spanned<u32>,
    #[serde(default)]
    pub base_url: Option<Spanned<String>>,
    #[serde(default)]
    pub types: Ordered<RawType>,
    pub actions: Vec<RawAction>,
    /// Replaced by `payments:`; kept only to point at the replacement.
    #[serde(default)]
    pub payment: Option<Spanned<serde::de::IgnoredAny>>,
    #[serde(default)]
    pub payments: Vec<RawPayment>,
    #[serde(default)]
    pub envelope: Ordered<RawField>,
    #[serde(default)]
    pub events: Vec<RawEvent>,
    #[serde(default)]
    pub errors: Vec<RawError>,
    #[serde(default)]
    pub client_errors: Vec<RawError>,
}

/// Parses the YAML text. YAML and shape errors stop at the first (serde's way); it is returned
/// located, with the file name the caller gives.
pub fn parse(file: &str, source: &str) -> Result<RawSpec, Diagnostics> {
    serde_saphyr::from_str::<RawSpec>(source).map_err(|e| {
        let mut diags = Diagnostics::new(file, source);
        let pos = e
            .location()
            .map(|l| Pos::from_location(&l))
            .unwrap_or_default();
        let message = e.render_with_options(serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        });
        diags.push(pos, strip_location_suffix(&message));
        diags
    })
}

/// serde-saphyr's plain message ends in ` at line L, column C`; the diagnostic prints its own.
fn strip_location_suffix(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// A span-less position helper for values that only carry `Spanned` metadata.
pub fn pos<T>(s: &Spanned<T>) -> Pos {
    Pos::from_location(&s.referenced)
}
