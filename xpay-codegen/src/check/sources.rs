//! Rules about where a field's value comes from when the caller leaves it unset: the client's
//! configuration (`fill:`), a literal (`default:`), or always the same pinned literal
//! (`value:`).

use super::Cx;
use super::fields::{Field, Place};
use super::names::unknown_choice;
use crate::model::{Fill, Ty};
use crate::parse::Scalar;
use crate::rule::Rule;
use serde_saphyr::Spanned;

/// `unknown-choice` for `fill:`: the client fills a field from its `env` or its `offer_id`,
/// nothing else. The source, when known.
pub(super) fn fill_word(
    cx: &mut Cx<'_>,
    key: &Spanned<String>,
    fill: &Spanned<String>,
) -> Option<Fill> {
    let wire = &key.value;
    unknown_choice(cx, fill, &["env", "offer_id"], |other| {
        format!("field `{wire}`: unknown fill `{other}` (expected env or offer_id)")
    })
    .map(|i| if i == 0 { Fill::Env } else { Fill::OfferId })
}

/// `fill-type`: the client's env is an `env`, its offer id a `string`; a field of another
/// type could not hold what is filled in.
pub(super) fn fill_type(cx: &mut Cx<'_>, f: &Field<'_>) {
    let (Some(fill), Some(ty), Some(at)) = (f.fill, &f.ty, &f.raw.fill) else {
        return;
    };
    let message = match fill {
        Fill::Env if *ty != Ty::Env => "`fill: env` needs `type: env`",
        Fill::OfferId if *ty != Ty::String => "`fill: offer_id` needs `type: string`",
        _ => return,
    };
    let at = cx.at(at);
    cx.error(
        Rule::FillType,
        at,
        format!("field `{}`: {message}", f.wire()),
    );
}

/// `required-not-filled`: a filled or defaulted field is optional for the caller by
/// definition (the client supplies it when unset); making it required too contradicts that.
pub(super) fn required_not_filled(cx: &mut Cx<'_>, f: &Field<'_>) {
    if !f.required() || (f.fill.is_none() && !f.defaulted()) {
        return;
    }
    let what = if f.fill.is_some() {
        "filled (`fill:`)"
    } else {
        "defaulted (`default:`)"
    };
    let at = match &f.raw.required {
        Some(r) => cx.at(r),
        None => cx.at(f.key),
    };
    cx.error(
        Rule::RequiredNotFilled,
        at,
        format!(
            "field `{}` is both required and {what}; a filled field is optional for the caller, drop `required: true`",
            f.wire()
        ),
    );
}

/// `fill-and-default`: a field has one source when the caller leaves it unset, the client's
/// configuration or a literal, not both.
pub(super) fn fill_and_default(cx: &mut Cx<'_>, f: &Field<'_>) {
    if f.fill.is_some() && f.defaulted() {
        let at = cx.at(f.key);
        cx.error(
            Rule::FillAndDefault,
            at,
            format!("field `{}` has both `fill:` and `default:`", f.wire()),
        );
    }
}
/// `literal-type`: a `default:` or a pinned `value:` is sent as written, so it must be a value
/// of the field's type (a string for strings and string enums, an integer for integers, 0 or 1
/// for an env).
pub(super) fn literal_type(cx: &mut Cx<'_>, f: &Field<'_>) {
    let Some(ty) = &f.ty else { return };
    for (literal, what) in [(&f.raw.default, "default"), (&f.raw.value, "value")] {
        let Some(literal) = literal else { continue };
        let fits = match (&literal.value, ty) {
            (Scalar::Int(0 | 1), Ty::Env) => what == "value",
            (Scalar::Int(_), t) => t.is_integer(),
            (Scalar::Str(_), t) => cx.table.is_string_like(t),
        };
        if !fits {
            let at = cx.at(literal);
            cx.error(
                Rule::LiteralType,
                at,
                format!(
                    "field `{}`: {what} {} does not fit type `{}`",
                    f.wire(),
                    literal.value.shown(),
                    ty.expr()
                ),
            );
        }
    }
}

/// `pinned-alone`: a pinned `value:` is always sent, whatever the caller or the client's
/// configuration says; requiring, filling or defaulting it too would mean nothing.
pub(super) fn pinned_alone(cx: &mut Cx<'_>, f: &Field<'_>) {
    let Some(value) = &f.raw.value else { return };
    if f.required() || f.fill.is_some() || f.defaulted() {
        let at = cx.at(value);
        cx.error(
            Rule::PinnedAlone,
            at,
            format!(
                "field `{}`: a pinned `value` is always sent; it cannot also be required, filled or defaulted",
                f.wire()
            ),
        );
    }
}

/// `client-sent-only`: `fill:`, `default:`, `value:` and limits describe what the client
/// sends; on a field WeChat sends (a response's, an event's) or on an object's field they
/// would mean nothing.
pub(super) fn client_sent_only(cx: &mut Cx<'_>, f: &Field<'_>) {
    let wire = f.wire();
    if let Some(value) = &f.raw.value
        && !f.place.is_sent()
    {
        let at = cx.at(value);
        cx.error(
            Rule::ClientSentOnly,
            at,
            format!("field `{wire}`: `value` pins what the client sends; it applies to request and payment fields"),
        );
    }
    let sourced = f.fill.is_some() || f.defaulted();
    let message = match f.place {
        p if p.is_received() && (sourced || f.has_limits()) => {
            format!("field `{wire}`: fill, default and rules apply to fields the client sends")
        }
        Place::Object if sourced => {
            format!("field `{wire}`: fill and default apply to request and payment fields only")
        }
        _ => return,
    };
    let at = cx.at(f.key);
    cx.error(Rule::ClientSentOnly, at, message);
}
