//! Rules about actions: their names and aliases, path, signing and retry, and what their
//! request fields say about each other.

use super::Cx;
use super::fields::{self, Place, required_unless_parts};
use super::names::{Case, Seen, duplicate_name, name_case, unknown_choice};
use crate::model::{Retry, Ty};
use crate::parse::{RawAction, RawField, RawSpec};
use crate::rule::Rule;
use crate::suggest::did_you_mean;
use serde_saphyr::Spanned;

/// Checks every action.
pub(super) fn check(cx: &mut Cx<'_>, raw: &RawSpec) {
    // Every name first, so that an alias can be checked against names declared later.
    let mut names = Seen::default();
    for a in &raw.actions {
        duplicate_name(cx, &mut names, &a.name, |line| {
            format!(
                "duplicate action `{}` (first declared at line {line})",
                a.name.value
            )
        });
    }
    let mut aliases = Seen::default();
    for a in &raw.actions {
        name_case(cx, &a.name, "action name", Case::SnakeNoKeyword);
        if let Some(alias) = &a.alias {
            name_case(cx, alias, "alias", Case::SnakeNoKeyword);
            alias_clash(cx, a, alias, &names);
            duplicate_name(cx, &mut aliases, alias, |line| {
                format!("alias `{}` is already used at line {line}", alias.value)
            });
        }
        name_matches_path(cx, a);
        signing(cx, a);
        let retry = retry(cx, a);
        fields::check_list(cx, &a.request, Place::Request, &[]);
        fields::check_list(cx, &a.response, Place::Response, &[]);
        client_added_field(cx, a);
        env_field(cx, a);
        idempotency_key(cx, a, retry);
        one_of_list_is_replaced(cx, a);
        required_unless_refers(cx, a);
        one_of_member_clash(cx, a);
    }
}

/// `alias-clash`: an action is found by its name or its alias (dynamic calls, `xpay call`);
/// an alias that is another action's name would make that name find two actions.
fn alias_clash(cx: &mut Cx<'_>, a: &RawAction, alias: &Spanned<String>, names: &Seen) {
    if alias.value != a.name.value && names.contains(&alias.value) {
        let at = cx.at(alias);
        cx.error(
            Rule::AliasClash,
            at,
            format!(
                "alias `{}` of action `{}` clashes with the action of that name",
                alias.value, a.name.value
            ),
        );
    }
}

/// `missing-key`, `path-leading-slash` and `name-matches-path`: the path is signed as
/// written, so it starts with `/`; and an action is named after its path's last segment
/// (WeChat's spelling included), so that the name says which URL it calls.
fn name_matches_path(cx: &mut Cx<'_>, a: &RawAction) {
    let name = &a.name.value;
    let Some(p) = &a.path else {
        missing_key(cx, a, "`path`");
        return;
    };
    let at = cx.at(p);
    if !p.value.starts_with('/') {
        cx.error(
            Rule::PathLeadingSlash,
            at,
            format!(
                "path `{}` must start with `/` (it is signed as written)",
                p.value
            ),
        );
    } else if p.value.rsplit('/').next() != Some(name.as_str()) {
        cx.error(
            Rule::NameMatchesPath,
            at,
            format!("path `{}` must end with the action name `{name}`", p.value),
        );
    }
}

/// `missing-key`: an action's path, signing and retry policy have no sensible default; each
/// must be written.
fn missing_key(cx: &mut Cx<'_>, a: &RawAction, what: &str) {
    let at = cx.at(&a.name);
    cx.error(
        Rule::MissingKey,
        at,
        format!("action `{}` has no {what}", a.name.value),
    );
}

/// `unknown-choice` and `missing-key` for `signing:`: `pay` or `pay+user` decides which
/// signatures are computed and how the action is sent.
fn signing(cx: &mut Cx<'_>, a: &RawAction) {
    let name = &a.name.value;
    match &a.signing {
        Some(s) => {
            unknown_choice(cx, s, &["pay", "pay+user"], |other| {
                format!("action `{name}`: signing `{other}` must be `pay` or `pay+user`")
            });
        }
        None => missing_key(cx, a, "`signing` (pay or pay+user)"),
    }
}

/// `unknown-choice` and `missing-key` for `retry:`: whether an action that moves money may be
/// sent twice is a decision, never a default. The policy, when known.
fn retry(cx: &mut Cx<'_>, a: &RawAction) -> Option<Retry> {
    let name = &a.name.value;
    let Some(r) = &a.retry else {
        missing_key(cx, a, "`retry` (safe, same-id or never)");
        return None;
    };
    let i = unknown_choice(cx, r, &["safe", "same-id", "never"], |other| {
        format!("action `{name}`: retry `{other}` must be `safe`, `same-id` or `never`")
    })?;
    Some([Retry::Safe, Retry::SameId, Retry::Never][i])
}

/// `client-added-field`: the client adds `access_token`, `pay_sig` and `signature` itself;
/// listed in the spec they would be sent twice or signed over.
fn client_added_field(cx: &mut Cx<'_>, a: &RawAction) {
    for (key, _) in &a.request.0 {
        if matches!(key.value.as_str(), "access_token" | "pay_sig" | "signature") {
            let at = cx.at(key);
            cx.error(
                Rule::ClientAddedField,
                at,
                format!(
                    "action `{}`: `{}` is added by the client; do not list it",
                    a.name.value, key.value
                ),
            );
        }
    }
}

/// `env-field`: a request's `env` decides which AppKey signs it, so it is either the client's
/// (`fill: env`) or pinned (`value: 0`); a caller-set env could be signed with the wrong key.
fn env_field(cx: &mut Cx<'_>, a: &RawAction) {
    let Some((key, env)) = a.request.0.iter().find(|(k, _)| k.value == "env") else {
        return;
    };
    let Ok(ty) = cx.table.ty(&env.ty.value) else {
        return; // reported by `unknown-type`
    };
    let fill = env.fill.as_ref().map(|f| f.value.as_str());
    if fill.is_some_and(|f| f != "env" && f != "offer_id") {
        return; // reported by `unknown-choice`
    }
    let filled = fill == Some("env");
    let pinned = ty == Ty::Env && env.value.is_some();
    if !filled && !pinned {
        let at = cx.at(key);
        cx.error(
            Rule::EnvField,
            at,
            format!(
                "action `{}`: the `env` field must be `{{ type: env, fill: env }}`, or pinned: `{{ type: env, value: 0 }}`",
                a.name.value
            ),
        );
    }
}

/// `idempotency-key-field` and `idempotency-key-retry`: an action retried with the same id
/// (`retry: same-id`) is deduplicated by WeChat on one request field, which `idempotency_key`
/// names; the key means nothing for another policy, and that policy is unsafe without it.
fn idempotency_key(cx: &mut Cx<'_>, a: &RawAction, retry: Option<Retry>) {
    let name = &a.name.value;
    let Some(k) = &a.idempotency_key else {
        if retry == Some(Retry::SameId)
            && let Some(r) = &a.retry
        {
            let at = cx.at(r);
            cx.error(
                Rule::IdempotencyKeyRetry,
                at,
                format!("action `{name}`: `retry: same-id` needs an `idempotency_key`"),
            );
        }
        return;
    };
    let at = cx.at(k);
    if !a.request.0.iter().any(|(f, _)| f.value == k.value) {
        let help = did_you_mean(&k.value, a.request.0.iter().map(|(f, _)| f.value.as_str()));
        cx.error(
            Rule::IdempotencyKeyField,
            at.clone(),
            format!(
                "action `{name}`: idempotency_key `{}` is not a request field",
                k.value
            ),
        )
        .suggest(help);
    }
    if retry.is_some_and(|r| r != Retry::SameId) {
        cx.error(
            Rule::IdempotencyKeyRetry,
            at,
            format!("action `{name}`: idempotency_key only applies to `retry: same-id`"),
        );
    }
}

/// `replaced-key`: an action's `one_of: [[a, b]]` list became one_of types in xpay-rs 0.2; a
/// spec written before is told what to write instead.
fn one_of_list_is_replaced(cx: &mut Cx<'_>, a: &RawAction) {
    if let Some(old) = &a.one_of {
        let at = cx.at(old);
        cx.error(
            Rule::ReplacedKey,
            at,
            format!(
                "action `{}`: `one_of:` lists are replaced by one_of types: declare `types: {{ OrderRef: {{ one_of: {{ order_id: {{…}}, wx_order_id: {{…}} }} }} }}` and use it as a required request field",
                a.name.value
            ),
        );
    }
}

/// `required-unless-field` and `required-unless-value`: `required_unless: { mode: [apple] }`
/// is checked on the request before it is sent, so `mode` is a field of the same request, and
/// when that field is an enum the values are its values (a misspelt one would silently never
/// match).
fn required_unless_refers(cx: &mut Cx<'_>, a: &RawAction) {
    let name = &a.name.value;
    let request = &a.request.0;
    for (key, f) in request {
        let Some((other, values)) = required_unless_parts(f) else {
            continue;
        };
        let Some((_, other_field)) = request.iter().find(|(k, _)| k.value == other.value) else {
            let at = cx.at(other);
            let help = did_you_mean(&other.value, request.iter().map(|(k, _)| k.value.as_str()));
            cx.error(
                Rule::RequiredUnlessField,
                at,
                format!(
                    "action `{name}`: field `{}` is required unless `{}`, which is not a request field",
                    key.value, other.value
                ),
            )
            .suggest(help);
            continue;
        };
        let Some((enum_name, known)) = enum_of(cx, other_field) else {
            continue;
        };
        for v in values {
            let text = v.value.text();
            if known.contains(&text) {
                continue;
            }
            let at = cx.at(v);
            let help = did_you_mean(&text, known.iter().map(String::as_str));
            cx.error(
                Rule::RequiredUnlessValue,
                at,
                format!(
                    "action `{name}`: `{text}` is not a value of `{}` ({enum_name})",
                    other.value
                ),
            )
            .suggest(help);
        }
    }
}

/// The enum a field's type names, and its values.
fn enum_of(cx: &Cx<'_>, f: &RawField) -> Option<(String, Vec<String>)> {
    let Ok(Ty::Named(n)) = cx.table.ty(&f.ty.value) else {
        return None;
    };
    let values = cx.table.enum_values(&n)?;
    Some((n, values))
}

/// `one-of-member-clash`: a one_of field is flattened into the request, its members becoming
/// request keys; a request field of a member's name would be sent twice.
fn one_of_member_clash(cx: &mut Cx<'_>, a: &RawAction) {
    let request = &a.request.0;
    for (key, f) in request {
        let Ok(ty) = cx.table.ty(&f.ty.value) else {
            continue;
        };
        let Some(members) = cx.table.one_of_members(&ty) else {
            continue;
        };
        for (m, _) in &members.0 {
            if let Some((clash, _)) = request.iter().find(|(k, _)| k.value == m.value) {
                let at = cx.at(clash);
                cx.error(
                    Rule::OneOfMemberClash,
                    at,
                    format!(
                        "action `{}`: one_of member `{}` of field `{}` is also a request field",
                        a.name.value, m.value, key.value
                    ),
                );
            }
        }
    }
}
