//! Rules about client-side payment kinds (`payments:`): their names, modes, uri and signing env.

use super::Cx;
use super::fields::{self, Place};
use super::names::{Case, Seen, duplicate_name, name_case};
use crate::model::Ty;
use crate::names::payment_order;
use crate::parse::{RawPayment, RawSpec};
use crate::rule::Rule;

/// Checks every payment kind.
pub(super) fn check(cx: &mut Cx<'_>, raw: &RawSpec) {
    let mut names = Seen::default();
    let mut rust_names = Seen::default();
    for p in &raw.payments {
        name_case(cx, &p.name, "payment kind", Case::Snake);
        duplicate_name(cx, &mut names, &p.name, |_| {
            format!("duplicate payment kind `{}`", p.name.value)
        });
        rust_name_unique(cx, p, &mut rust_names);
        for (mode, _) in &p.modes.0 {
            name_case(cx, mode, "payment mode", Case::Snake);
        }
        empty_wire(cx, p);
        let modes: Vec<&str> = p.modes.0.iter().map(|(k, _)| k.value.as_str()).collect();
        fields::check_list(cx, &p.fields, Place::Payment, &modes);
        sign_env(cx, p);
    }
}

/// `name-case` and `rust-name-clash`: a kind becomes an order type (`rust_name`, else
/// `{Kind}Order`), so that name is PascalCase and no two kinds share it.
fn rust_name_unique(cx: &mut Cx<'_>, p: &RawPayment, seen: &mut Seen) {
    let rust_name = match &p.rust_name {
        Some(r) => {
            name_case(cx, r, "payment rust_name", Case::Pascal);
            r.value.clone()
        }
        None => payment_order(&p.name.value),
    };
    let at = match &p.rust_name {
        Some(r) => cx.at(r),
        None => cx.at(&p.name),
    };
    if seen.first(&rust_name, at.pos).is_some() {
        cx.error(
            Rule::RustNameClash,
            at,
            format!("payment rust_name `{rust_name}` is used twice"),
        );
    }
}

/// `empty-wire`: the uri is what the signature is computed over, and a mode's wire value is
/// what signData says; empty, the client would sign or send nothing meaningful.
fn empty_wire(cx: &mut Cx<'_>, p: &RawPayment) {
    for (mode, wire) in &p.modes.0 {
        if wire.value.is_empty() {
            let at = cx.at(wire);
            cx.error(
                Rule::EmptyWire,
                at,
                format!("payment mode `{}` has an empty wire value", mode.value),
            );
        }
    }
    if p.uri.value.is_empty() {
        let at = cx.at(&p.uri);
        cx.error(
            Rule::EmptyWire,
            at,
            format!("payment kind `{}`: `uri` is empty", p.name.value),
        );
    }
}

/// `sign-env`: `sign_env` pins the AppKey a kind signs with, 0 (production) or 1 (sandbox);
/// it is for a kind whose signData has no env field, since one that has is signed with the env
/// it carries.
fn sign_env(cx: &mut Cx<'_>, p: &RawPayment) {
    let Some(e) = &p.sign_env else { return };
    let name = &p.name.value;
    let at = cx.at(e);
    if e.value > 1 {
        cx.error(
            Rule::SignEnv,
            at.clone(),
            format!("payment kind `{name}`: sign_env must be 0 (production) or 1 (sandbox)"),
        );
    }
    let has_env = p
        .fields
        .0
        .iter()
        .any(|(_, f)| cx.table.ty(&f.ty.value) == Ok(Ty::Env));
    if has_env {
        cx.error(
            Rule::SignEnv,
            at,
            format!("payment kind `{name}`: sign_env is for kinds whose signData has no env field"),
        );
    }
}
