//! Snapshots of what the generator makes of `spec/xpay.yaml`: the code of every action, type,
//! event and table (prettyplease-formatted, one snapshot each, so a spec change is a readable
//! diff), the wire JSON of a sample request per action, and the rendered docs.
//!
//! Review changes with `cargo insta review`. In CI (`CI=true`) insta never writes snapshots.

use generated_tests::{sample_request, spec_source};
use xpay_codegen::{ClientStyle, Options};
use xpay_runtime::Client;

fn options() -> Options {
    Options {
        client: ClientStyle::Inherent,
    }
}

#[test]
fn generated_code_per_part() {
    let spec = xpay_codegen::load("spec/xpay.yaml", &spec_source()).expect("spec is valid");
    let parts = xpay_codegen::emit::emit_parts(&spec, &options());
    // One snapshot per action, type, and the shared parts.
    assert!(parts.len() >= spec.actions.len() + spec.types.len() + 2);
    for (label, tokens) in parts {
        let code = xpay_codegen::pretty(tokens).unwrap_or_else(|e| panic!("{label}: {e}"));
        insta::assert_snapshot!(label, code);
    }
}

#[test]
fn wire_json_of_a_sample_request_per_action() {
    let client = Client::builder()
        .offer_id("1450000000")
        .app_key("app-key")
        .sandbox_app_key("sandbox-key")
        .build()
        .expect("client");
    for meta in xpay_runtime::api::SPEC.actions {
        let sample = sample_request(meta);
        let (_, dynamic) = client
            .prepare_dynamic(meta, sample)
            .unwrap_or_else(|e| panic!("{}: {e}", meta.name));
        let typed = xpay_runtime::api::__typed_roundtrip(meta.name, &dynamic)
            .expect("every action has a typed request")
            .unwrap_or_else(|e| panic!("{}: the typed request rejects the body: {e}", meta.name));
        // The typed and dynamic paths put the same fields on the wire (JSON-in-a-string fields
        // compared by content: the key order inside them may differ).
        let a = normalize(serde_json::from_slice(&dynamic).expect("json"));
        let b = normalize(serde_json::from_slice(&typed).expect("json"));
        assert_eq!(a, b, "{}", meta.name);
        let text = String::from_utf8(typed).expect("utf-8");
        insta::assert_snapshot!(format!("wire_{}", meta.name), text);
    }
}

/// Parses JSON held in strings, recursively, so values compare by content.
fn normalize(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(inner @ (Value::Array(_) | Value::Object(_))) => normalize(inner),
            _ => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        other => other,
    }
}

#[test]
fn rendered_docs() {
    let spec = xpay_codegen::load("spec/xpay.yaml", &spec_source()).expect("spec is valid");
    let md = xpay_codegen::render_markdown(&spec, "spec/xpay.yaml").expect("render");
    insta::assert_snapshot!("docs", md);
}

/// `docs/ACTIONS.md` is committed; it must match the spec. Run with `XPAY_BLESS=1` to rewrite
/// it after changing the spec.
#[test]
fn committed_docs_are_current() {
    let spec = xpay_codegen::load("spec/xpay.yaml", &spec_source()).expect("spec is valid");
    let md = xpay_codegen::render_markdown(&spec, "spec/xpay.yaml").expect("render");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ACTIONS.md");
    if std::env::var_os("XPAY_BLESS").is_some() {
        std::fs::write(path, &md).expect("write docs/ACTIONS.md");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == md,
        "docs/ACTIONS.md is out of date: run `XPAY_BLESS=1 cargo test -p generated-tests --test snapshots committed_docs_are_current` (or `cargo run -p xpay-cli -- spec docs > docs/ACTIONS.md`)"
    );
}

/// Changing one field in the YAML changes exactly the generated part of that action (so exactly
/// one code snapshot), and the wire of the others stays the same.
#[test]
fn one_field_change_touches_one_part() {
    let source = spec_source();
    let line = "      fail_reason: { type: string, doc: 提现失败原因 — why it failed }";
    assert_eq!(source.matches(line).count(), 1, "the edited line is unique");
    let edited = source.replace(
        line,
        "      fail_reason: { type: string, doc: 提现失败原因 — why it failed (edited) }",
    );
    let before = xpay_codegen::load("spec/xpay.yaml", &source).expect("valid");
    let after = xpay_codegen::load("spec/xpay.yaml", &edited).expect("valid");
    let a = xpay_codegen::emit::emit_parts(&before, &options());
    let b = xpay_codegen::emit::emit_parts(&after, &options());
    let changed: Vec<&str> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.1.to_string() != y.1.to_string())
        .map(|(x, _)| x.0.as_str())
        .collect();
    assert_eq!(changed, ["action_query_withdraw_order"]);
}
