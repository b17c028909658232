//! Stage 1: parse. The YAML is read with serde-saphyr into raw structures that keep the
//! line and column of everything a later error may point at. Nothing is checked here beyond
//! what YAML and the schema's shape require; `check` does the rest and collects every error.

use crate::diag::{Diagnostics, Loc};
use crate::rule::Rule;
use crate::suggest::did_you_mean;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Error, Spanned};
use std::fmt;
use std::marker::PhantomData;

/// A YAML mapping that keeps its keys' order (the order of fields on the wire).
#[derive(Debug)]
pub(crate) struct Ordered<V>(pub(crate) Vec<(Spanned<String>, V)>);

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
pub(crate) enum Scalar {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
}

impl Scalar {
    /// The value as text (`2`, `SIGNED`).
    pub(crate) fn text(&self) -> String {
        match self {
            Scalar::Int(i) => i.to_string(),
            Scalar::Str(s) => s.clone(),
        }
    }

    /// The value as the spec writes it, strings quoted (`2`, `"SIGNED"`), for messages.
    pub(crate) fn shown(&self) -> String {
        match self {
            Scalar::Int(i) => i.to_string(),
            Scalar::Str(s) => format!("{s:?}"),
        }
    }
}

/// A field of a request, response, object, payment or event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    #[serde(rename = "type")]
    pub(crate) ty: Spanned<String>,
    pub(crate) doc: Option<String>,
    pub(crate) required: Option<Spanned<bool>>,
    pub(crate) fill: Option<Spanned<String>>,
    pub(crate) default: Option<Spanned<Scalar>>,
    pub(crate) rust_name: Option<Spanned<String>>,
    pub(crate) min_len: Option<Spanned<u32>>,
    pub(crate) max_len: Option<Spanned<u32>>,
    pub(crate) charset: Option<Spanned<String>>,
    pub(crate) no_leading: Option<Spanned<String>>,
    pub(crate) min: Option<Spanned<i64>>,
    pub(crate) max: Option<Spanned<i64>>,
    pub(crate) modes: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) min_items: Option<Spanned<u32>>,
    pub(crate) max_items: Option<Spanned<u32>>,
    pub(crate) required_unless: Option<Spanned<Ordered<Vec<Spanned<Scalar>>>>>,
    pub(crate) value: Option<Spanned<Scalar>>,
    /// Removed in xpay-rs 0.2; kept only to point at the replacement.
    pub(crate) required_in: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A named object or enum under `types:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawType {
    pub(crate) doc: Option<String>,
    pub(crate) fields: Option<Spanned<Ordered<RawField>>>,
    #[serde(default, rename = "enum")]
    pub(crate) repr: Option<Spanned<String>>,
    pub(crate) values: Option<Vec<RawEnumValue>>,
    pub(crate) one_of: Option<Spanned<Ordered<RawField>>>,
}

/// One value of an enum.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEnumValue {
    pub(crate) value: Spanned<Scalar>,
    pub(crate) name: Spanned<String>,
    pub(crate) doc: Option<String>,
}

/// One action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAction {
    pub(crate) name: Spanned<String>,
    pub(crate) alias: Option<Spanned<String>>,
    pub(crate) path: Option<Spanned<String>>,
    pub(crate) signing: Option<Spanned<String>>,
    pub(crate) retry: Option<Spanned<String>>,
    pub(crate) idempotency_key: Option<Spanned<String>>,
    pub(crate) doc: Option<String>,
    #[serde(default)]
    pub(crate) request: Ordered<RawField>,
    /// Replaced by one_of types; kept only to point at the replacement.
    pub(crate) one_of: Option<Spanned<serde::de::IgnoredAny>>,
    #[serde(default)]
    pub(crate) response: Ordered<RawField>,
}

/// One client-side payment kind under `payments:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPayment {
    pub(crate) name: Spanned<String>,
    pub(crate) rust_name: Option<Spanned<String>>,
    pub(crate) doc: Option<String>,
    pub(crate) uri: Spanned<String>,
    pub(crate) sign_env: Option<Spanned<u8>>,
    #[serde(default)]
    pub(crate) modes: Ordered<Spanned<String>>,
    pub(crate) fields: Ordered<RawField>,
}

/// One push event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEvent {
    pub(crate) name: Spanned<String>,
    pub(crate) rust_name: Option<Spanned<String>>,
    pub(crate) doc: Option<String>,
    pub(crate) dedup_key: Option<Spanned<OneOrMany>>,
    pub(crate) reply: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) fields: Ordered<RawField>,
}

/// One errcode row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawError {
    pub(crate) code: Spanned<i64>,
    pub(crate) name: Spanned<String>,
    pub(crate) message: Option<String>,
    pub(crate) fix: Option<String>,
}

/// A string or a list of strings (a dedup key of one field or several).
#[derive(Debug)]
pub(crate) enum OneOrMany {
    /// One.
    One(String),
    /// Several, each located.
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field path or a list of field paths")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(p) = seq.next_element::<Spanned<String>>()? {
                    out.push(p);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpec {
    pub(crate) version: Spanned<u32>,
    pub(crate) base_url: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) types: Ordered<RawType>,
    pub(crate) actions: Vec<RawAction>,
    /// Replaced by `payments:`; kept only to point at the replacement.
    pub(crate) payment: Option<Spanned<serde::de::IgnoredAny>>,
    #[serde(default)]
    pub(crate) payments: Vec<RawPayment>,
    #[serde(default)]
    pub(crate) envelope: Ordered<RawField>,
    #[serde(default)]
    pub(crate) events: Vec<RawEvent>,
    #[serde(default)]
    pub(crate) errors: Vec<RawError>,
    #[serde(default)]
    pub(crate) client_errors: Vec<RawError>,
}

/// Parses the YAML text. YAML and shape errors stop at the first (serde's way); it is returned
/// located, with the file name the caller gives.
pub(crate) fn parse(file: &str, source: &str) -> Result<RawSpec, Diagnostics> {
    serde_saphyr::from_str::<RawSpec>(source).map_err(|e| {
        let mut diags = Diagnostics::new(file, source);
        let at = e
            .location()
            .map(|l| Loc::at(&l, source))
            .unwrap_or_default();
        let (rule, message, help) = classify(&e);
        diags.push(rule, at, message).suggest(help);
        diags
    })
}

/// The rule a parse error breaks, its message, and a suggestion for a misspelt key.
fn classify(e: &Error) -> (Rule, String, Option<String>) {
    let mut inner = e;
    while let Error::WithSnippet { error, .. } | Error::AliasError { error, .. } = inner {
        inner = error;
    }
    match inner {
        Error::SerdeUnknownField {
            field, expected, ..
        } => (
            Rule::UnknownKey,
            format!(
                "unknown key `{field}` (expected one of: {})",
                expected.join(", ")
            ),
            did_you_mean(field, expected.iter().copied()),
        ),
        Error::DuplicateMappingKey { key: Some(key), .. } => {
            (Rule::DuplicateKey, format!("duplicate key `{key}`"), None)
        }
        Error::DuplicateMappingKey { key: None, .. } => {
            (Rule::DuplicateKey, "duplicate key".to_string(), None)
        }
        Error::SerdeInvalidType { .. }
        | Error::SerdeInvalidValue { .. }
        | Error::SerdeInvalidLength { .. }
        | Error::SerdeUnknownVariant { .. }
        | Error::SerdeMissingField { .. }
        | Error::Message { .. }
        | Error::Unexpected { .. }
        | Error::InvalidScalar { .. }
        | Error::InvalidBooleanStrict { .. }
        | Error::NullIntoString { .. } => (Rule::SpecShape, plain_message(e), None),
        _ => (Rule::YamlSyntax, plain_message(e), None),
    }
}

/// serde-saphyr's message without its snippet and without the ` at line L, column C` it ends
/// in: the diagnostic shows its own.
fn plain_message(e: &Error) -> String {
    let message = e.render_with_options(serde_saphyr::render_options! {
        snippets: serde_saphyr::SnippetMode::Off,
    });
    let first = message.lines().next().unwrap_or(&message).trim();
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}
