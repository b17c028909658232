//! Rules about push events: their names, dedup keys and replies.

use super::Cx;
use super::fields::{self, Place};
use super::names::{Case, Seen, duplicate_name, name_case, path_keyword, unknown_choice};
use crate::diag::Loc;
use crate::model::Ty;
use crate::names::{is_pascal_ident, pascal};
use crate::parse::{OneOrMany, Ordered, RawEvent, RawField, RawSpec};
use crate::rule::Rule;
use crate::suggest::did_you_mean;

/// Checks every event.
pub(super) fn check(cx: &mut Cx<'_>, raw: &RawSpec) {
    let mut names = Seen::default();
    let mut rust_names = Seen::default();
    for e in &raw.events {
        duplicate_name(cx, &mut names, &e.name, |_| {
            format!("duplicate event `{}`", e.name.value)
        });
        rust_name(cx, e, &mut rust_names);
        fields::check_list(cx, &e.fields, Place::Event, &[]);
        dedup_key(cx, e);
        if let Some(reply) = &e.reply {
            let name = &e.name.value;
            unknown_choice(cx, reply, &["standard", "custom"], |other| {
                format!("event `{name}`: reply `{other}` must be `standard` or `custom`")
            });
        }
    }
}

/// `name-case`, `reserved-name` and `rust-name-clash`: an event becomes a variant of the
/// generated `Event` enum (`rust_name`, else the PascalCase of its name), which already has
/// `Unknown` for events the spec does not list and `Malformed` for listed events that do not
/// fit their type; each variant name is unique.
fn rust_name(cx: &mut Cx<'_>, e: &RawEvent, seen: &mut Seen) {
    let (rust_name, at) = match &e.rust_name {
        Some(r) => {
            name_case(cx, r, "event rust_name", Case::Pascal);
            (r.value.clone(), cx.at(r))
        }
        None => {
            let derived = pascal(&e.name.value);
            let at = cx.at(&e.name);
            if !is_pascal_ident(&derived) {
                cx.error(
                    Rule::NoRustName,
                    at.clone(),
                    format!(
                        "event `{}` has no valid Rust name (`{derived}`); add `rust_name:`",
                        e.name.value
                    ),
                );
            } else {
                path_keyword(cx, at.clone(), &derived, "the Rust name of event");
            }
            (derived, at)
        }
    };
    if rust_name == "Unknown" || rust_name == "Malformed" {
        cx.error(
            Rule::ReservedName,
            at.clone(),
            format!(
                "event rust_name `{rust_name}` is reserved: `Event::Unknown` holds events the spec does not list, `Event::Malformed` listed events that do not fit their type"
            ),
        );
    }
    if seen.first(&rust_name, at.pos).is_some() {
        cx.error(
            Rule::RustNameClash,
            at,
            format!("event rust_name `{rust_name}` is used twice"),
        );
    }
}

/// `dedup-key`: a push is recognised across WeChat's retries by its dedup key, so each of its
/// paths (`A.B`) goes through the event's fields and objects to a string or integer field. A
/// misspelt step gets the nearest field suggested.
fn dedup_key(cx: &mut Cx<'_>, e: &RawEvent) {
    let Some(k) = &e.dedup_key else { return };
    let name = &e.name.value;
    let whole = cx.at(k);
    let paths: Vec<(&str, Loc)> = match &k.value {
        OneOrMany::One(p) => vec![(p.as_str(), whole.clone())],
        OneOrMany::Many(ps) => ps.iter().map(|p| (p.value.as_str(), cx.at(p))).collect(),
    };
    if paths.is_empty() {
        cx.error(
            Rule::DedupKey,
            whole,
            format!("event `{name}`: dedup_key is empty"),
        );
    }
    for (path, at) in paths {
        match resolve(cx, &e.fields, path) {
            Ok(None) => {}
            Ok(Some(ty)) => {
                if !cx.table.is_string_like(&ty) && !ty.is_integer() {
                    cx.error(
                        Rule::DedupKey,
                        at,
                        format!(
                            "event `{name}`: dedup_key `{path}` must be a string or integer field"
                        ),
                    );
                }
            }
            Err(wrong) => {
                let at = at.part(cx.diags.source(), path, wrong.range);
                cx.error(
                    Rule::DedupKey,
                    at,
                    format!("event `{name}`: dedup_key `{path}` {}", wrong.problem),
                )
                .suggest(wrong.help);
            }
        }
    }
}

/// Why a dedup key path does not resolve, and at which step (bytes of the path).
struct WrongStep {
    problem: String,
    range: std::ops::Range<usize>,
    help: Option<String>,
}

/// The type at the end of a dedup key path; `None` when a type on the way is unknown
/// (reported by `unknown-type`).
fn resolve(cx: &Cx<'_>, fields: &Ordered<RawField>, path: &str) -> Result<Option<Ty>, WrongStep> {
    let steps: Vec<&str> = path.split('.').collect();
    let mut fields = fields;
    let mut owner: Option<String> = None;
    let mut start = 0;
    for (i, step) in steps.iter().enumerate() {
        let range = start..start + step.len();
        start = range.end + 1;
        let Some((_, field)) = fields.0.iter().find(|(k, _)| k.value == *step) else {
            let problem = match &owner {
                None => format!("names `{step}`, which is not a field there"),
                Some(n) => format!("names `{step}`, which is not a field of `{n}`"),
            };
            let help = did_you_mean(step, fields.0.iter().map(|(k, _)| k.value.as_str()));
            return Err(WrongStep {
                problem,
                range,
                help,
            });
        };
        let Ok(ty) = cx.table.ty(&field.ty.value) else {
            return Ok(None);
        };
        if i + 1 == steps.len() {
            return Ok(Some(ty));
        }
        let next = match &ty {
            Ty::Named(n) => cx.table.object_fields(n).map(|f| (n.clone(), f)),
            _ => None,
        };
        let Some((n, next)) = next else {
            return Err(WrongStep {
                problem: format!("goes through `{step}`, which is not an object"),
                range,
                help: None,
            });
        };
        fields = next;
        owner = Some(n);
    }
    Ok(None)
}
