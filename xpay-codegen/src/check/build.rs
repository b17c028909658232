//! The model of a spec that broke no rule: names resolved, defaults applied, types parsed.
//! Nothing is checked here; where the raw spec could still surprise (it cannot, once the rules
//! passed), a neutral value is taken rather than a panic.

use super::table::Table;
use super::types::{Shape, shape};
use crate::model::*;
use crate::names::{pascal, payment_order, snake};
use crate::parse::{OneOrMany, Ordered, RawAction, RawError, RawField, RawSpec};
use serde_saphyr::Spanned;

/// Builds the model.
pub(super) fn spec(raw: &RawSpec, table: &Table<'_>) -> Spec {
    Spec {
        version: raw.version.value,
        base_url: raw
            .base_url
            .as_ref()
            .map(|u| u.value.trim_end_matches('/').to_string())
            .unwrap_or_else(|| "https://api.weixin.qq.com".into()),
        types: raw
            .types
            .0
            .iter()
            .map(|(name, t)| TypeDef {
                name: name.value.clone(),
                doc: t.doc.clone().unwrap_or_default(),
                kind: match shape(t) {
                    Shape::Object(list) => TypeKind::Object {
                        fields: fields(table, list),
                    },
                    Shape::Enum(repr, values) => TypeKind::Enum {
                        repr: if repr.value == "int" {
                            Repr::Int
                        } else {
                            Repr::String
                        },
                        values: values
                            .iter()
                            .map(|v| EnumValue {
                                value: v.value.value.text(),
                                name: v.name.value.clone(),
                                doc: v.doc.clone().unwrap_or_default(),
                            })
                            .collect(),
                    },
                    Shape::OneOf(list) => TypeKind::OneOf {
                        members: fields(table, list),
                    },
                    Shape::Invalid => TypeKind::Object { fields: Vec::new() },
                },
            })
            .collect(),
        actions: raw.actions.iter().map(|a| action(table, a)).collect(),
        payments: raw
            .payments
            .iter()
            .map(|p| Payment {
                name: p.name.value.clone(),
                rust_name: rust_name_or(&p.rust_name, || payment_order(&p.name.value)),
                doc: p.doc.clone().unwrap_or_default(),
                uri: p.uri.value.clone(),
                modes: p
                    .modes
                    .0
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.value.clone()))
                    .collect(),
                sign_env: p.sign_env.as_ref().map(|e| e.value),
                fields: fields(table, &p.fields),
            })
            .collect(),
        envelope: fields(table, &raw.envelope),
        events: raw
            .events
            .iter()
            .map(|e| Event {
                name: e.name.value.clone(),
                rust_name: rust_name_or(&e.rust_name, || pascal(&e.name.value)),
                doc: e.doc.clone().unwrap_or_default(),
                dedup_key: match e.dedup_key.as_ref().map(|k| &k.value) {
                    None => Vec::new(),
                    Some(OneOrMany::One(p)) => vec![steps(p)],
                    Some(OneOrMany::Many(ps)) => ps.iter().map(|p| steps(&p.value)).collect(),
                },
                custom_reply: e.reply.as_ref().is_some_and(|r| r.value == "custom"),
                fields: fields(table, &e.fields),
            })
            .collect(),
        errors: errcodes(&raw.errors),
        client_errors: errcodes(&raw.client_errors),
    }
}

/// The `rust_name` the spec gives, or the name derived from the wire name.
fn rust_name_or(given: &Option<Spanned<String>>, derive: impl FnOnce() -> String) -> String {
    given.as_ref().map_or_else(derive, |r| r.value.clone())
}

fn steps(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}

fn action(table: &Table<'_>, a: &RawAction) -> Action {
    let request = fields(table, &a.request);
    let one_of = request
        .iter()
        .filter_map(|f| table.one_of_members(&f.ty))
        .map(|members| members.0.iter().map(|(k, _)| k.value.clone()).collect())
        .collect();
    Action {
        name: a.name.value.clone(),
        alias: a.alias.as_ref().map(|s| s.value.clone()),
        path: a.path.as_ref().map(|p| p.value.clone()).unwrap_or_default(),
        signing: match a.signing.as_ref().map(|s| s.value.as_str()) {
            Some("pay+user") => Signing::PayUser,
            _ => Signing::Pay,
        },
        retry: match a.retry.as_ref().map(|s| s.value.as_str()) {
            Some("safe") => Retry::Safe,
            Some("same-id") => Retry::SameId,
            _ => Retry::Never,
        },
        idempotency_key: a.idempotency_key.as_ref().map(|k| k.value.clone()),
        doc: a.doc.clone().unwrap_or_default(),
        request,
        one_of,
        response: fields(table, &a.response),
    }
}

fn fields(table: &Table<'_>, list: &Ordered<RawField>) -> Vec<Field> {
    list.0
        .iter()
        .map(|(key, f)| {
            let ty = table.ty(&f.ty.value).unwrap_or(Ty::String);
            Field {
                wire: key.value.clone(),
                rust: rust_name_or(&f.rust_name, || snake(&key.value)),
                doc: f.doc.clone().unwrap_or_default(),
                required: f.required.as_ref().is_some_and(|r| r.value),
                fill: match f.fill.as_ref().map(|s| s.value.as_str()) {
                    Some("env") => Some(Fill::Env),
                    Some("offer_id") => Some(Fill::OfferId),
                    _ => None,
                },
                default: f.default.as_ref().map(|d| d.value.text()),
                rules: Rules {
                    min_len: f.min_len.as_ref().map(|v| v.value),
                    max_len: f.max_len.as_ref().map(|v| v.value),
                    charset: f.charset.as_ref().map(|v| v.value.clone()),
                    no_leading: f.no_leading.as_ref().map(|v| v.value.clone()),
                    min: f.min.as_ref().map(|v| v.value),
                    max: f.max.as_ref().map(|v| v.value),
                    min_items: f.min_items.as_ref().map(|v| v.value),
                    max_items: f.max_items.as_ref().map(|v| v.value),
                },
                modes: f
                    .modes
                    .as_ref()
                    .map(|ms| ms.value.iter().map(|m| m.value.clone()).collect())
                    .unwrap_or_default(),
                required_unless: super::fields::required_unless_parts(f).map(|(other, values)| {
                    (
                        other.value.clone(),
                        values.iter().map(|v| v.value.text()).collect(),
                    )
                }),
                pinned: f.value.as_ref().map(|v| v.value.text()),
                ty,
            }
        })
        .collect()
}

fn errcodes(rows: &[RawError]) -> Vec<ErrorCode> {
    rows.iter()
        .map(|e| ErrorCode {
            code: e.code.value,
            name: e.name.value.clone(),
            message: e.message.clone().unwrap_or_default(),
            fix: e.fix.clone(),
        })
        .collect()
}
