//! Rules about the spec as a whole: its version, keys it no longer has, the push envelope, and
//! the errcode tables.

use super::Cx;
use super::fields::{self, Place};
use super::names::{Case, Seen, duplicate_name, name_case};
use crate::parse::{RawError, RawSpec};
use crate::rule::Rule;

/// Checks the top level, the envelope's fields and nothing else.
pub(super) fn check(cx: &mut Cx<'_>, raw: &RawSpec) {
    version_is_known(cx, raw);
    payment_is_replaced(cx, raw);
    fields::check_list(cx, &raw.envelope, Place::Event, &[]);
}

/// Checks both errcode tables.
pub(super) fn check_errcodes(cx: &mut Cx<'_>, raw: &RawSpec) {
    errcode_table(cx, &raw.errors);
    errcode_table(cx, &raw.client_errors);
}

/// `unsupported-version`: the schema has one version; a spec written for another would be
/// read with the wrong meaning, so it is refused rather than half understood.
fn version_is_known(cx: &mut Cx<'_>, raw: &RawSpec) {
    if raw.version.value != 1 {
        let at = cx.at(&raw.version);
        cx.error(
            Rule::UnsupportedVersion,
            at,
            format!(
                "unsupported spec version {} (only 1 exists)",
                raw.version.value
            ),
        );
    }
}

/// `replaced-key`: `payment:` (one payment kind) became `payments:` (a list of kinds) in
/// xpay-rs 0.2; a spec written before is told what to write instead.
fn payment_is_replaced(cx: &mut Cx<'_>, raw: &RawSpec) {
    if let Some(old) = &raw.payment {
        let at = cx.at(old);
        cx.error(
            Rule::ReplacedKey,
            at,
            "`payment:` was replaced by `payments:`, a list of payment kinds each with a `name` (and `rust_name`, `uri`, `modes`, `fields`)",
        );
    }
}

/// One errcode table: codes and names unique (`duplicate-value`, `duplicate-name`), names in
/// snake_case (`name-case`), as `Error::explained_by` and `xpay explain` look rows up by both.
fn errcode_table(cx: &mut Cx<'_>, rows: &[RawError]) {
    let mut codes = Seen::default();
    let mut names = Seen::default();
    for e in rows {
        errcode_unique(cx, &mut codes, e);
        name_case(cx, &e.name, "error name", Case::Snake);
        duplicate_name(cx, &mut names, &e.name, |_| {
            format!("duplicate error name `{}`", e.name.value)
        });
    }
}

/// `duplicate-value`: a code means one thing, so a table lists it once.
fn errcode_unique(cx: &mut Cx<'_>, codes: &mut Seen, e: &RawError) {
    let at = cx.at(&e.code);
    if codes.first(&e.code.value.to_string(), at.pos).is_some() {
        cx.error(
            Rule::DuplicateValue,
            at,
            format!("duplicate errcode {}", e.code.value),
        );
    }
}
