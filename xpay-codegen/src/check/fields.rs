//! Rules about fields: of requests, responses, objects, one_of types, payments and events.
//! Where a field sits decides what it may say ([`Place`]). This file walks a list of fields and
//! holds the rules about a field's type, name and place; where its value comes from (`fill:`,
//! `default:`, `value:`) is in `sources.rs`, its limits (`min_len:`, `charset:`, …) in
//! `limits.rs`.

use super::names::{Case, name_case, path_keyword};
use super::{Cx, limits, sources};
use crate::model::{Fill, Ty};
use crate::names::{is_snake_ident, snake};
use crate::parse::{Ordered, RawField, Scalar};
use crate::rule::Rule;
use crate::suggest::did_you_mean;
use serde_saphyr::Spanned;
use std::collections::HashSet;

/// Where a list of fields sits, which decides what its fields may say.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Request,
    Response,
    Object,
    Payment,
    Event,
    OneOf,
}

impl Place {
    /// Whether the client sends fields of this place (so they may be filled, defaulted,
    /// pinned or limited).
    pub(super) fn is_sent(self) -> bool {
        matches!(self, Place::Request | Place::Payment)
    }

    /// Whether WeChat sends fields of this place (so they are never required).
    pub(super) fn is_received(self) -> bool {
        matches!(self, Place::Response | Place::Event)
    }
}

/// One field with what the rules ask of it more than once.
pub(super) struct Field<'a> {
    pub(super) key: &'a Spanned<String>,
    pub(super) raw: &'a RawField,
    pub(super) place: Place,
    /// The resolved type; `None` when `type:` names no type (reported by `unknown-type`).
    pub(super) ty: Option<Ty>,
    /// The `fill:` source, when `fill:` is one the client knows.
    pub(super) fill: Option<Fill>,
}

impl Field<'_> {
    pub(super) fn wire(&self) -> &str {
        &self.key.value
    }

    pub(super) fn required(&self) -> bool {
        self.raw.required.as_ref().is_some_and(|r| r.value)
    }

    pub(super) fn defaulted(&self) -> bool {
        self.raw.default.is_some()
    }

    pub(super) fn has_limits(&self) -> bool {
        let r = self.raw;
        r.min_len.is_some()
            || r.max_len.is_some()
            || r.charset.is_some()
            || r.no_leading.is_some()
            || r.min.is_some()
            || r.max.is_some()
            || r.min_items.is_some()
            || r.max_items.is_some()
    }
}

/// Checks a list of fields at `place`; `modes` are the payment kind's modes (payment fields).
pub(super) fn check_list(cx: &mut Cx<'_>, list: &Ordered<RawField>, place: Place, modes: &[&str]) {
    let mut rust_names = HashSet::new();
    for (key, raw) in &list.0 {
        let ty = unknown_type(cx, &raw.ty);
        let fill = raw
            .fill
            .as_ref()
            .and_then(|fill| sources::fill_word(cx, key, fill));
        let f = Field {
            key,
            raw,
            place,
            ty,
            fill,
        };
        rust_name_unique(cx, &f, &mut rust_names);
        sources::fill_type(cx, &f);
        sources::required_not_filled(cx, &f);
        sources::fill_and_default(cx, &f);
        limits::limit_type(cx, &f);
        limits::limit_range(cx, &f);
        limits::bad_charset(cx, &f);
        sources::literal_type(cx, &f);
        sources::pinned_alone(cx, &f);
        sources::client_sent_only(cx, &f);
        required_unless(cx, &f);
        required_in_is_replaced(cx, &f);
        modes_of_payment(cx, &f, modes);
        one_of_field(cx, &f);
        received_field_required(cx, &f);
        one_of_member_plain(cx, &f);
    }
}

/// `unknown-type`: a `type:` is a built-in type, a type from `types:`, `[T]` or `json<T>`;
/// a misspelt name gets the nearest known one suggested. The resolved type, if any.
fn unknown_type(cx: &mut Cx<'_>, expr: &Spanned<String>) -> Option<Ty> {
    let unknown = match cx.table.ty(&expr.value) {
        Ok(ty) => return Some(ty),
        Err(name) => name,
    };
    let at = match expr.value.find(unknown.as_str()) {
        Some(i) if !unknown.is_empty() => cx.part(expr, i..i + unknown.len()),
        _ => cx.at(expr),
    };
    let help = did_you_mean(&unknown, cx.table.known());
    cx.error(
        Rule::UnknownType,
        at,
        format!(
            "unknown type `{unknown}` (expected string, i32, i64, u32, u64, bool, env, a type from `types:`, [T] or json<T>)"
        ),
    )
    .suggest(help);
    None
}
/// `name-case`, `no-rust-name` and `rust-name-clash`: a field becomes a Rust field named
/// `rust_name:`, or the snake_case of its wire name; that must be an identifier, and unique in
/// its struct.
fn rust_name_unique(cx: &mut Cx<'_>, f: &Field<'_>, seen: &mut HashSet<String>) {
    let wire = f.wire();
    let rust = match &f.raw.rust_name {
        Some(r) => {
            name_case(cx, r, "rust_name", Case::SnakeIdent);
            r.value.clone()
        }
        None => {
            let s = snake(wire);
            let at = cx.at(f.key);
            if !is_snake_ident(&s) {
                cx.error(
                    Rule::NoRustName,
                    at,
                    format!("field `{wire}` has no valid Rust name; add `rust_name:`"),
                );
            } else {
                path_keyword(cx, at, &s, "the Rust name of field");
            }
            s
        }
    };
    if !seen.insert(rust.clone()) {
        let at = cx.at(f.key);
        cx.error(
            Rule::RustNameClash,
            at,
            format!("field `{wire}`: Rust name `{rust}` is used twice; add `rust_name:`"),
        );
    }
}
/// `required-unless-place`, `required-unless-required` and `required-unless-shape`:
/// `required_unless: { mode: [apple] }` is checked before a request is sent, so it is on an
/// action's request field; it replaces `required: true` rather than adding to it; and it names
/// one other field with the values that excuse this one. (That the field and values exist is
/// checked with the action's other fields: `required-unless-field`, `required-unless-value`.)
fn required_unless(cx: &mut Cx<'_>, f: &Field<'_>) {
    let Some(ru) = &f.raw.required_unless else {
        return;
    };
    let wire = f.wire();
    let at = cx.at(ru);
    if f.place != Place::Request {
        cx.error(
            Rule::RequiredUnlessPlace,
            at.clone(),
            format!("field `{wire}`: `required_unless` applies to action request fields"),
        );
    }
    if f.required() {
        cx.error(
            Rule::RequiredUnlessRequired,
            at.clone(),
            format!("field `{wire}` is both required and required_unless; keep one"),
        );
    }
    if required_unless_parts(f.raw).is_none() {
        cx.error(
            Rule::RequiredUnlessShape,
            at,
            format!(
                "field `{wire}`: `required_unless` names one other field and its values, like `{{ mode: [apple] }}`"
            ),
        );
    }
}

/// The other field and the values of a well-formed `required_unless:`.
pub(super) fn required_unless_parts(
    raw: &RawField,
) -> Option<(&Spanned<String>, &[Spanned<Scalar>])> {
    match raw.required_unless.as_ref()?.value.0.as_slice() {
        [(other, values)] if !values.is_empty() => Some((other, values)),
        _ => None,
    }
}

/// `replaced-key`: `required_in: [goods]` became `required: true, modes: [goods]` in
/// xpay-rs 0.2; a spec written before is told what to write instead.
fn required_in_is_replaced(cx: &mut Cx<'_>, f: &Field<'_>) {
    let Some(ri) = &f.raw.required_in else { return };
    let modes: Vec<&str> = ri.value.iter().map(|m| m.value.as_str()).collect();
    let at = cx.at(ri);
    cx.error(
        Rule::ReplacedKey,
        at,
        format!(
            "field `{}`: `required_in` was replaced by `modes`: write `required: true, modes: [{}]`",
            f.wire(),
            modes.join(", ")
        ),
    );
}

/// `modes-place` and `unknown-mode`: `modes:` says which modes of a payment kind a field
/// belongs to, so it is on a payment field, lists at least one mode, and only the kind's modes
/// (a misspelt one gets the nearest suggested).
fn modes_of_payment(cx: &mut Cx<'_>, f: &Field<'_>, modes: &[&str]) {
    let Some(ms) = &f.raw.modes else { return };
    let wire = f.wire();
    let at = cx.at(ms);
    if f.place != Place::Payment {
        cx.error(
            Rule::ModesPlace,
            at,
            format!("field `{wire}`: `modes` is for payment fields only"),
        );
        return;
    }
    if ms.value.is_empty() {
        cx.error(
            Rule::ModesPlace,
            at,
            format!("field `{wire}`: `modes` is empty"),
        );
    }
    for m in &ms.value {
        if !modes.contains(&m.value.as_str()) {
            let at = cx.at(m);
            let help = did_you_mean(&m.value, modes.iter().copied());
            cx.error(
                Rule::UnknownMode,
                at,
                format!(
                    "field `{wire}`: unknown payment mode `{}` (modes: {})",
                    m.value,
                    modes.join(", ")
                ),
            )
            .suggest(help);
        }
    }
}

/// `one-of-only-in-requests` and `one-of-required`: a one_of type is flattened into the
/// request body that uses it (exactly one member is sent), so it is the type of an action's
/// request field, and that field is required (sending none is what the type rules out).
fn one_of_field(cx: &mut Cx<'_>, f: &Field<'_>) {
    let Some(ty) = &f.ty else { return };
    if cx.table.one_of_members(ty).is_none() {
        return;
    }
    let wire = f.wire();
    let at = cx.at(&f.raw.ty);
    if f.place != Place::Request {
        cx.error(
            Rule::OneOfOnlyInRequests,
            at,
            format!(
                "field `{wire}`: one_of type `{}` can only be a field of an action's request",
                ty.expr()
            ),
        );
    } else if !f.required() {
        cx.error(
            Rule::OneOfRequired,
            at,
            format!(
                "field `{wire}`: a one_of field must be `required: true` (exactly one member is sent)"
            ),
        );
    }
}

/// `received-field-required`: WeChat omits response and push fields freely, so every field it
/// sends is an `Option`; a required one would fail to decode the day it is left out.
fn received_field_required(cx: &mut Cx<'_>, f: &Field<'_>) {
    if !f.place.is_received() {
        return;
    }
    let Some(r) = f.raw.required.as_ref().filter(|r| r.value) else {
        return;
    };
    let what = if f.place == Place::Event {
        "event"
    } else {
        "response"
    };
    let at = cx.at(r);
    cx.error(
        Rule::ReceivedFieldRequired,
        at,
        format!(
            "{what} field `{}` cannot be required: WeChat omits fields, so every {what} field is optional",
            f.wire()
        ),
    );
}

/// `one-of-member-plain`: the one_of field decides which member is sent; a member that is
/// required, filled or defaulted would be sent on its own terms.
fn one_of_member_plain(cx: &mut Cx<'_>, f: &Field<'_>) {
    if f.place == Place::OneOf && (f.required() || f.fill.is_some() || f.defaulted()) {
        let at = cx.at(f.key);
        cx.error(
            Rule::OneOfMemberPlain,
            at,
            format!(
                "one_of member `{}`: a member cannot be required, filled or defaulted (the one_of field decides which member is sent)",
                f.wire()
            ),
        );
    }
}
