//! Rules about the named types under `types:`: their names, their shape, and enums' values.

use super::Cx;
use super::fields::{self, Place};
use super::names::{Case, Seen, duplicate_name, name_case, unknown_choice};
use crate::model::Repr;
use crate::parse::{Ordered, RawEnumValue, RawField, RawSpec, RawType, Scalar};
use crate::rule::Rule;
use serde_saphyr::Spanned;

/// Names the generator emits itself; a type from `types:` may not take them.
pub(super) const RESERVED_TYPES: &[&str] = &[
    "Event",
    "Envelope",
    "Push",
    "Action",
    "Client",
    "Env",
    "JsonString",
    "SessionKey",
];

/// What a named type is, as far as its keys tell.
pub(super) enum Shape<'a> {
    Object(&'a Ordered<RawField>),
    Enum(&'a Spanned<String>, &'a [RawEnumValue]),
    OneOf(&'a Ordered<RawField>),
    /// None or several of the above (reported by `type-shape`).
    Invalid,
}

/// The shape of a named type.
pub(super) fn shape(t: &RawType) -> Shape<'_> {
    match (&t.fields, &t.repr, &t.values, &t.one_of) {
        (Some(fields), None, None, None) => Shape::Object(&fields.value),
        (None, Some(repr), Some(values), None) => Shape::Enum(repr, values),
        (None, None, None, Some(members)) => Shape::OneOf(&members.value),
        _ => Shape::Invalid,
    }
}

/// Checks every named type.
pub(super) fn check(cx: &mut Cx<'_>, raw: &RawSpec) {
    for (name, t) in &raw.types.0 {
        type_name(cx, name);
        match shape(t) {
            Shape::Object(fields) => fields::check_list(cx, fields, Place::Object, &[]),
            Shape::Enum(repr, values) => enum_values(cx, name, repr, values),
            Shape::OneOf(members) => {
                fields::check_list(cx, members, Place::OneOf, &[]);
                one_of_too_few(cx, name, members);
            }
            Shape::Invalid => type_shape(cx, name),
        }
    }
}

/// `name-case` and `reserved-name` for a type: it becomes a Rust type of that name, next to
/// the items the generator emits itself (`Event`, `Envelope`, …), which it must not shadow.
fn type_name(cx: &mut Cx<'_>, name: &Spanned<String>) {
    name_case(cx, name, "type name", Case::Pascal);
    if RESERVED_TYPES.contains(&name.value.as_str()) {
        let at = cx.at(name);
        cx.error(
            Rule::ReservedName,
            at,
            format!("type name `{}` is reserved for generated code", name.value),
        );
    }
}

/// `type-shape`: a named type is an object (`fields:`), an enum (`enum:` and `values:`) or a
/// one_of type (`one_of:`), exactly one of them; anything else has no Rust form.
fn type_shape(cx: &mut Cx<'_>, name: &Spanned<String>) {
    let at = cx.at(name);
    cx.error(
        Rule::TypeShape,
        at,
        format!(
            "type `{}` must have exactly one of `fields:` (an object), `enum:` and `values:` (an enum), or `one_of:` (exactly one of several request fields)",
            name.value
        ),
    );
}

/// `one-of-too-few`: a one_of type says "exactly one of these is sent"; with one member it
/// is just a field, and the generated enum would have one variant.
fn one_of_too_few(cx: &mut Cx<'_>, name: &Spanned<String>, members: &Ordered<RawField>) {
    if members.0.len() < 2 {
        let at = cx.at(name);
        cx.error(
            Rule::OneOfTooFew,
            at,
            format!("one_of type `{}` needs at least two members", name.value),
        );
    }
}

/// An enum: its representation, its values and its variants.
fn enum_values(
    cx: &mut Cx<'_>,
    name: &Spanned<String>,
    repr: &Spanned<String>,
    values: &[RawEnumValue],
) {
    let type_name = &name.value;
    let repr = unknown_choice(cx, repr, &["int", "string"], |other| {
        format!("enum `{type_name}`: `enum: {other}` must be `int` or `string`")
    })
    .map(|i| if i == 0 { Repr::Int } else { Repr::String });
    empty_enum(cx, name, values);
    let mut seen_values = Seen::default();
    let mut seen_names = Seen::default();
    for v in values {
        if let Some(repr) = repr {
            enum_value_type(cx, type_name, repr, &v.value);
        }
        enum_value_unique(cx, type_name, &mut seen_values, &v.value);
        if name_case(
            cx,
            &v.name,
            &format!("enum `{type_name}`: variant"),
            Case::Pascal,
        ) {
            unknown_variant_reserved(cx, type_name, &v.name);
        }
        duplicate_name(cx, &mut seen_names, &v.name, |_| {
            format!("enum `{type_name}`: duplicate variant `{}`", v.name.value)
        });
    }
}

/// `empty-enum`: an enum without values has no variant but `Unknown`: certainly a mistake.
fn empty_enum(cx: &mut Cx<'_>, name: &Spanned<String>, values: &[RawEnumValue]) {
    if values.is_empty() {
        let at = cx.at(name);
        cx.error(
            Rule::EmptyEnum,
            at,
            format!("enum `{}` has no values", name.value),
        );
    }
}

/// `enum-value-type`: values are sent as the enum's representation says; `"2"` in an `int`
/// enum (or `2` in a `string` one) would be sent as the other JSON type, which WeChat refuses.
fn enum_value_type(cx: &mut Cx<'_>, type_name: &str, repr: Repr, value: &Spanned<Scalar>) {
    let message = match (&value.value, repr) {
        (Scalar::Str(s), Repr::Int) => {
            format!("enum `{type_name}` is `int` but value {s:?} is a string")
        }
        (Scalar::Int(i), Repr::String) => {
            format!("enum `{type_name}` is `string` but value {i} is a number; quote it: \"{i}\"")
        }
        _ => return,
    };
    let at = cx.at(value);
    cx.error(Rule::EnumValueType, at, message);
}

/// `duplicate-value`: a wire value names one variant; two variants of one value could not be
/// told apart when read.
fn enum_value_unique(cx: &mut Cx<'_>, type_name: &str, seen: &mut Seen, value: &Spanned<Scalar>) {
    let text = value.value.text();
    let at = cx.at(value);
    if seen.first(&text, at.pos).is_some() {
        cx.error(
            Rule::DuplicateValue,
            at,
            format!("enum `{type_name}`: duplicate value {text}"),
        );
    }
}

/// `reserved-name`: every generated enum has an `Unknown` variant for the values the spec
/// does not list (WeChat adds values); a listed value cannot take that name.
fn unknown_variant_reserved(cx: &mut Cx<'_>, type_name: &str, variant: &Spanned<String>) {
    if variant.value == "Unknown" {
        let at = cx.at(variant);
        cx.error(
            Rule::ReservedName,
            at,
            format!("enum `{type_name}`: `Unknown` is reserved for values the spec does not list"),
        );
    }
}
