//! Rules about the spec's items together: the Rust names the generator derives for actions,
//! events and payment kinds, and what the named types contain.

use super::Cx;
use crate::diag::Loc;
use crate::model::Ty;
use crate::names::{mode_enum, mode_order, pascal, payment_order};
use crate::parse::{RawField, RawSpec};
use crate::rule::Rule;
use std::collections::{BTreeSet, HashMap};

/// Checks the spec's items together.
pub(super) fn check(cx: &mut Cx<'_>, raw: &RawSpec) {
    generated_name_clash(cx, raw);
    received_type_required(cx, raw);
    type_cycle(cx, raw);
}

/// `rust-name-clash`: actions, events and payment kinds become structs the generator names
/// (`QueryOrderRequest`, `CoinPayEvent`, `PaymentOrder`, …). Two items that would get one name
/// (`do_it` and `do__it` both give `DoItRequest`), or a type from `types:` of such a name,
/// would be two items of one name.
fn generated_name_clash(cx: &mut Cx<'_>, raw: &RawSpec) {
    // Each generated name, with the kind of item it comes from (`action`, `event`, `payment
    // kind`), that item, and where it is declared.
    let mut generated: Vec<(String, &str, String, Loc)> = Vec::new();
    for a in &raw.actions {
        let base = pascal(&a.name.value);
        let what = format!("action `{}`", a.name.value);
        let at = cx.at(&a.name);
        generated.push((format!("{base}Request"), "action", what.clone(), at.clone()));
        generated.push((format!("{base}Response"), "action", what, at));
    }
    for e in &raw.events {
        let (rust, at) = match &e.rust_name {
            Some(r) => (r.value.clone(), cx.at(r)),
            None => (pascal(&e.name.value), cx.at(&e.name)),
        };
        let what = format!("event `{}`", e.name.value);
        generated.push((format!("{rust}Event"), "event", what, at));
    }
    for p in &raw.payments {
        let order = match &p.rust_name {
            Some(r) => r.value.clone(),
            None => payment_order(&p.name.value),
        };
        let what = format!("payment kind `{}`", p.name.value);
        let at = cx.at(&p.name);
        let kind = "payment kind";
        generated.push((order.clone(), kind, what.clone(), at.clone()));
        if !p.modes.0.is_empty() {
            generated.push((mode_enum(&order), kind, what.clone(), at.clone()));
            for (m, _) in &p.modes.0 {
                generated.push((mode_order(&m.value, &order), kind, what.clone(), at.clone()));
            }
        }
    }
    // Two events or two payment kinds of one rust_name are already `rust-name-clash` where
    // their names are checked; what is left is two actions, or items of different kinds.
    let mut first: HashMap<&str, (&str, &str, u32)> = HashMap::new();
    let mut clashes = Vec::new();
    for (g, kind, what, at) in &generated {
        match first.get(g.as_str()) {
            Some((other_kind, other, line))
                if other != what && (other_kind != kind || *kind == "action") =>
            {
                clashes.push((
                    at.clone(),
                    format!(
                        "{what} would generate `{g}`, as {other} (line {line}) does; rename one"
                    ),
                ));
            }
            Some(_) => {}
            None => {
                first.insert(g, (kind, what, at.pos.line));
            }
        }
    }
    for (at, message) in clashes {
        cx.error(Rule::RustNameClash, at, message);
    }
    for (g, _, _, _) in generated {
        if let Some((name, _)) = raw.types.0.iter().find(|(n, _)| n.value == g) {
            let at = cx.at(name);
            cx.error(
                Rule::RustNameClash,
                at,
                format!("the name `{g}` is generated for an action or event; rename this type"),
            );
        }
    }
}

/// `received-type-required`: an object reachable from a response, an event or the push
/// envelope is decoded from what WeChat sends, which omits fields freely; a required field
/// would fail to decode the day it is left out. Each such field is reported once.
fn received_type_required(cx: &mut Cx<'_>, raw: &RawSpec) {
    let mut roots: Vec<(&RawField, String)> = Vec::new();
    for a in &raw.actions {
        for (_, f) in &a.response.0 {
            roots.push((f, format!("the response of `{}`", a.name.value)));
        }
    }
    for e in &raw.events {
        for (_, f) in &e.fields.0 {
            roots.push((f, format!("event `{}`", e.name.value)));
        }
    }
    for (_, f) in &raw.envelope.0 {
        roots.push((f, "the push envelope".into()));
    }
    let mut reported = BTreeSet::new();
    for (root, place) in roots {
        let mut stack: Vec<Ty> = cx.table.ty(&root.ty.value).into_iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(t) = stack.pop() {
            let n = match t {
                Ty::List(inner) | Ty::Json(inner) => {
                    stack.push(*inner);
                    continue;
                }
                Ty::Named(n) if seen.insert(n.clone()) => n,
                _ => continue,
            };
            let Some(fields) = cx.table.object_fields(&n) else {
                continue;
            };
            for (key, f) in &fields.0 {
                if let Some(required) = f.required.as_ref().filter(|r| r.value)
                    && reported.insert((n.clone(), key.value.clone()))
                {
                    let at = cx.at(required);
                    cx.error(
                        Rule::ReceivedTypeRequired,
                        at,
                        format!(
                            "field `{}` of type `{n}` cannot be required: the type is used in {place}, where WeChat may omit fields",
                            key.value
                        ),
                    );
                }
                stack.extend(cx.table.ty(&f.ty.value));
            }
        }
    }
}

/// `type-cycle`: the generated metadata tables are plain statics, which cannot describe a type
/// that contains itself (directly, in a list or through other objects).
fn type_cycle(cx: &mut Cx<'_>, raw: &RawSpec) {
    fn refs(t: &Ty, out: &mut Vec<String>) {
        match t {
            Ty::Named(n) => out.push(n.clone()),
            Ty::List(i) | Ty::Json(i) => refs(i, out),
            _ => {}
        }
    }
    for (start, _) in &raw.types.0 {
        let mut stack = vec![start.value.clone()];
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            let Some(fields) = cx.table.object_fields(&n) else {
                continue;
            };
            let mut next = Vec::new();
            for (_, f) in &fields.0 {
                if let Ok(ty) = cx.table.ty(&f.ty.value) {
                    refs(&ty, &mut next);
                }
            }
            if next.contains(&start.value) {
                let at = cx.at(start);
                cx.error(
                    Rule::TypeCycle,
                    at,
                    format!("type `{}` contains itself", start.value),
                );
                break;
            }
            stack.extend(next);
        }
    }
}
