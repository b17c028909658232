//! The Markdown reference of a spec (`docs/ACTIONS.md`, `xpay spec docs`), rendered with
//! minijinja from `templates/actions.md.j2`. The template gets a view of the spec with every
//! table row already worded, so that it only lays rows out.

use crate::model::{Field, Retry, Signing, Spec, TypeKind};
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, Value, context};
use serde::Serialize;

const TEMPLATE: &str = include_str!("../templates/actions.md.j2");

#[derive(Serialize)]
struct Row {
    wire: String,
    ty: String,
    need: String,
    notes: String,
}

#[derive(Serialize)]
struct ActionView<'a> {
    name: &'a str,
    alias: Option<&'a str>,
    signing: &'static str,
    retry: String,
    /// `POST /xpay/… · signing … · retry … · alias …`
    line: String,
    doc: &'a str,
    request: Vec<Row>,
    response: Vec<Row>,
}

#[derive(Serialize)]
struct PaymentView<'a> {
    name: &'a str,
    rust_name: &'a str,
    doc: &'a str,
    /// `Signed as … Modes: …`
    line: String,
    fields: Vec<Row>,
}

#[derive(Serialize)]
struct EventView<'a> {
    name: &'a str,
    rust_name: &'a str,
    doc: &'a str,
    dedup: String,
    custom_reply: bool,
    fields: Vec<Row>,
}

#[derive(Serialize)]
struct TypeView<'a> {
    name: &'a str,
    doc: &'a str,
    kind: &'static str,
    rows: Vec<Row>,
}

/// `{ notes }` of a field: its doc and its rules in words.
fn notes(f: &Field) -> String {
    let rules = f.rules.describe();
    let doc = f.doc.replace('|', "\\|");
    if rules.is_empty() {
        doc
    } else {
        format!("{doc} ({})", rules.replace('|', "\\|"))
    }
}

fn need(f: &Field) -> String {
    if let Some(v) = &f.pinned {
        return format!("always `{v}`");
    }
    if let Some((other, values)) = &f.required_unless {
        return format!("unless `{other}` is {}", values.join(" or "));
    }
    let mut need = if f.required {
        "yes".to_string()
    } else if let Some(fill) = f.fill {
        format!(
            "filled ({})",
            match fill {
                crate::model::Fill::Env => "env",
                crate::model::Fill::OfferId => "offer_id",
            }
        )
    } else if let Some(d) = &f.default {
        if d.is_empty() {
            "default empty".to_string()
        } else {
            format!("default `{d}`")
        }
    } else {
        "no".to_string()
    };
    if !f.modes.is_empty() {
        need = format!("{need}, {} mode only", f.modes.join(", "));
    }
    need
}

fn rows(spec: &Spec, fields: &[Field], with_need: bool) -> Vec<Row> {
    let mut out = Vec::new();
    for f in fields {
        if let Some(members) = spec.one_of_members(&f.ty) {
            let names = members
                .iter()
                .map(|m| format!("`{}`", m.wire))
                .collect::<Vec<_>>()
                .join(" or ");
            for m in members {
                out.push(Row {
                    wire: m.wire.clone(),
                    ty: m.ty.expr(),
                    need: format!("exactly one of {names}"),
                    notes: notes(m),
                });
            }
            continue;
        }
        out.push(Row {
            wire: f.wire.clone(),
            ty: f.ty.expr(),
            need: if with_need { need(f) } else { String::new() },
            notes: notes(f),
        });
    }
    out
}

/// Renders the Markdown reference of a checked spec. `file` names the spec in the header.
pub(crate) fn render_markdown(spec: &Spec, file: &str) -> Result<String, String> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .build()
        .map_err(|e| e.to_string())?;
    env.set_syntax(syntax);
    env.add_template("actions.md", TEMPLATE)
        .map_err(|e| e.to_string())?;
    let tmpl = env.get_template("actions.md").map_err(|e| e.to_string())?;
    let actions: Vec<ActionView<'_>> = spec
        .actions
        .iter()
        .map(|a| {
            let signing = match a.signing {
                Signing::Pay => "pay",
                Signing::PayUser => "pay+user",
            };
            let retry = match (a.retry, &a.idempotency_key) {
                (Retry::Safe, _) => "safe".to_string(),
                (Retry::SameId, Some(k)) => format!("same-id (`{k}`)"),
                (Retry::SameId, None) => "same-id".into(),
                (Retry::Never, _) => "never".into(),
            };
            let alias = a
                .alias
                .as_ref()
                .map(|al| format!(" · alias `{al}`"))
                .unwrap_or_default();
            ActionView {
                name: &a.name,
                alias: a.alias.as_deref(),
                signing,
                line: format!(
                    "`POST {}` · signing `{signing}` · retry {retry}{alias}",
                    a.path
                ),
                retry,
                doc: &a.doc,
                request: rows(spec, &a.request, true),
                response: rows(spec, &a.response, false),
            }
        })
        .collect();
    let payments: Vec<PaymentView<'_>> = spec
        .payments
        .iter()
        .map(|p| PaymentView {
            name: &p.name,
            rust_name: &p.rust_name,
            doc: &p.doc,
            line: {
                let modes = p
                    .modes
                    .iter()
                    .map(|(k, v)| format!("`{k}` → `{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                if modes.is_empty() {
                    format!("Signed as `{}&` + signData.", p.uri)
                } else {
                    format!("Signed as `{}&` + signData. Modes: {modes}.", p.uri)
                }
            },
            fields: rows(spec, &p.fields, true),
        })
        .collect();
    let events: Vec<EventView<'_>> = spec
        .events
        .iter()
        .map(|e| EventView {
            name: &e.name,
            rust_name: &e.rust_name,
            doc: &e.doc,
            dedup: e
                .dedup_key
                .iter()
                .map(|p| format!("`{}`", p.join(".")))
                .collect::<Vec<_>>()
                .join(" + "),
            custom_reply: e.custom_reply,
            fields: rows(spec, &e.fields, false),
        })
        .collect();
    let types: Vec<TypeView<'_>> = spec
        .types
        .iter()
        .map(|t| {
            let (kind, rows) = match &t.kind {
                TypeKind::Object { fields } => ("object", rows(spec, fields, true)),
                TypeKind::OneOf { members } => ("one_of", rows(spec, members, false)),
                TypeKind::Enum { values, .. } => (
                    "enum",
                    values
                        .iter()
                        .map(|v| Row {
                            wire: v.value.clone(),
                            ty: v.name.clone(),
                            need: String::new(),
                            notes: v.doc.replace('|', "\\|"),
                        })
                        .collect(),
                ),
            };
            TypeView {
                name: &t.name,
                doc: &t.doc,
                kind,
                rows,
            }
        })
        .collect();
    let out = tmpl
        .render(context! {
            spec => Value::from(minijinja::value::Serde(spec)),
            actions => Value::from(minijinja::value::Serde(&actions)),
            payments => Value::from(minijinja::value::Serde(&payments)),
            events => Value::from(minijinja::value::Serde(&events)),
            types => Value::from(minijinja::value::Serde(&types)),
            file => file,
        })
        .map_err(|e| format!("{e:#}"))?;
    // Collapse runs of blank lines the template's conditionals leave.
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    Ok(text)
}
