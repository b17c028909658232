//! The checker: every rule, every error collected and located (the whole offending text, with
//! a suggestion for a misspelt name), no follow-on errors, and no input that panics. Errors are
//! matched by their rule's id, not their wording.

use proptest::prelude::*;
use xpay_codegen::{Diagnostics, RULES, Spec};

fn load(file: &str, yaml: &str) -> Result<Spec, Diagnostics> {
    Spec::load(file, yaml)
}

const SPEC: &str = include_str!("../../spec/xpay.yaml");

fn errors(yaml: &str) -> Diagnostics {
    load("t.yaml", yaml).expect_err("the spec should be rejected")
}

/// Each error as (line, rule id).
fn located(d: &Diagnostics) -> Vec<(u32, &'static str)> {
    d.items.iter().map(|i| (i.pos.line, i.rule)).collect()
}

/// The rule ids, in file order.
fn rules(d: &Diagnostics) -> Vec<&'static str> {
    d.items.iter().map(|i| i.rule).collect()
}

/// The one error of a spec that should have exactly one: its rule, underlined text and help.
fn only(yaml: &str) -> (&'static str, &str, Option<String>) {
    let d = errors(yaml);
    assert_eq!(d.items.len(), 1, "{d}");
    let item = &d.items[0];
    let text = yaml
        .get(item.span.clone())
        .expect("the span is in the source");
    (item.rule, text, item.help.clone())
}

const HEAD: &str = "version: 1\nactions:\n";

/// A spec of one action `a_b` with `tail` (request, response, …) after its required keys.
fn action(tail: &str) -> String {
    format!("{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: safe\n{tail}")
}

#[test]
fn the_built_in_spec_is_valid_and_complete() {
    let spec = load("spec/xpay.yaml", SPEC).unwrap_or_else(|d| panic!("{d}"));
    let [actions, _, events, errors] = spec.counts();
    assert_eq!((actions, events), (37, 10));
    assert!(errors >= 33);
    assert_eq!(spec.actions().filter(|a| a.alias.is_some()).count(), 21);
    for a in spec.actions() {
        assert_eq!(a.path, format!("/xpay/{}", a.name));
    }
    let user: Vec<&str> = spec
        .actions()
        .filter(|a| a.signing == "pay+user")
        .map(|a| a.name)
        .collect();
    assert_eq!(
        user,
        ["query_user_balance", "currency_pay", "cancel_currency_pay"]
    );
}

#[test]
fn rule_ids_are_unique_kebab_case_words() {
    let mut seen = std::collections::BTreeSet::new();
    for id in RULES {
        assert!(seen.insert(id), "{id} twice");
        assert!(
            !id.is_empty()
                && !id.starts_with('-')
                && !id.ends_with('-')
                && id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{id}"
        );
    }
}

#[test]
fn every_error_is_collected_and_located() {
    let yaml = format!(
        "{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: sometimes\n    request:\n      x: {{ type: strng }}\n      y: {{ type: i64, max_len: 3 }}\n  - name: a_b\n    path: /xpay/other\n    signing: pay\n    retry: safe\n"
    );
    let d = errors(&yaml);
    assert_eq!(
        located(&d),
        [
            (6, "unknown-choice"),
            (8, "unknown-type"),
            (9, "limit-type"),
            (10, "duplicate-name"),
            (11, "name-matches-path"),
        ],
        "{d}"
    );
    let text = d.to_string();
    assert!(
        text.contains("error[unknown-type]: unknown type `strng`"),
        "{text}"
    );
    assert!(text.contains("--> t.yaml:8:"), "{text}");
    assert!(text.contains("x: { type: strng }"), "{text}");
    assert!(text.contains("= help: did you mean `string`?"), "{text}");
    assert!(text.ends_with("5 errors in t.yaml"), "{text}");
}

#[test]
fn the_whole_offending_text_is_underlined() {
    let d = errors(&action("    request:\n      x: { type: strng }\n"));
    let text = d.to_string();
    let line = text
        .lines()
        .find(|l| l.contains('^'))
        .expect("an underline");
    assert_eq!(line.trim_start_matches([' ', '|']), "^^^^^", "{text}");

    let cases: &[(&str, &str)] = &[
        // A scalar: all of it, quotes included.
        ("    path2: 1\n", "path2"),
        (
            "    request:\n      x: { type: string, no_leading: \"\" }\n",
            "\"\"",
        ),
        // The unknown name inside a type expression.
        (
            "    request:\n      x: { type: \"[json<strng>]\" }\n",
            "strng",
        ),
        // A flow collection: up to its closing bracket.
        (
            "    request:\n      x: { type: string, required_unless: { mode: [] } }\n",
            "{ mode: [] }",
        ),
        // A block collection: its first line.
        (
            "    request:\n      a: { type: string }\n    one_of:\n      - [a, b]\n",
            "- [a, b]",
        ),
    ];
    for (tail, want) in cases {
        let yaml = action(tail);
        let (_, text, _) = only(&yaml);
        assert_eq!(text, *want, "{yaml}");
    }
}

#[test]
fn misspelt_names_get_the_nearest_known_one() {
    let with_types = |types: &str, rest: &str| {
        format!(
            "version: 1\ntypes:\n{types}actions:\n  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n{rest}"
        )
    };
    let mode = "  Mode:\n    enum: string\n    values:\n      - { value: apple, name: Apple }\n";
    let cases: Vec<(String, &str, &str, &str)> = vec![
        // A type.
        (
            action("    request:\n      x: { type: strng }\n"),
            "unknown-type",
            "strng",
            "string",
        ),
        (
            with_types(
                mode,
                "    retry: safe\n    request:\n      m: { type: Mdoe }\n",
            ),
            "unknown-type",
            "Mdoe",
            "Mode",
        ),
        // A spec key.
        (
            action("    request:\n      x: { type: string, requried: true }\n"),
            "unknown-key",
            "requried",
            "required",
        ),
        (
            action("    reqest:\n      x: { type: string }\n"),
            "unknown-key",
            "reqest",
            "request",
        ),
        // A word of a closed set.
        (
            format!("{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: sfae\n"),
            "unknown-choice",
            "sfae",
            "safe",
        ),
        // Field references.
        (
            format!("{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: same-id\n    idempotency_key: refund_ib\n    request:\n      refund_id: {{ type: string }}\n"),
            "idempotency-key-field",
            "refund_ib",
            "refund_id",
        ),
        (
            with_types(
                mode,
                "    retry: safe\n    request:\n      mode: { type: Mode }\n      x: { type: string, required_unless: { mdoe: [apple] } }\n",
            ),
            "required-unless-field",
            "mdoe",
            "mode",
        ),
        (
            "version: 1\nactions: []\nevents:\n  - name: e\n    dedup_key: OutTradNo\n    fields:\n      OutTradeNo: { type: string }\n".to_string(),
            "dedup-key",
            "OutTradNo",
            "OutTradeNo",
        ),
        // An enum value.
        (
            with_types(
                mode,
                "    retry: safe\n    request:\n      mode: { type: Mode }\n      x: { type: string, required_unless: { mode: [aple] } }\n",
            ),
            "required-unless-value",
            "aple",
            "apple",
        ),
    ];
    for (yaml, rule, underlined, suggested) in &cases {
        let (got_rule, text, help) = only(yaml);
        assert_eq!((got_rule, text), (*rule, *underlined), "{yaml}");
        assert_eq!(
            help.as_deref(),
            Some(format!("did you mean `{suggested}`?").as_str()),
            "{yaml}"
        );
    }
    // Nothing near enough: no suggestion.
    let (_, _, help) = only(&action("    request:\n      x: { type: integr }\n"));
    assert_eq!(help, None);
}

#[test]
fn one_mistake_is_one_error() {
    let cases = [
        // An unknown type is not also a type that does not fit its fill, default or limits.
        "    request:\n      env: { type: evn, fill: env }\n",
        "    request:\n      n: { type: integr, min: 1, default: 3 }\n",
        // An unknown fill is not also an env field that is not filled.
        "    request:\n      env: { type: env, fill: evn }\n",
    ];
    for tail in cases {
        let d = errors(&action(tail));
        assert_eq!(d.items.len(), 1, "{d}");
    }
    // An unknown retry policy is not also a policy the idempotency key does not apply to.
    let d = errors(&format!(
        "{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: same_id\n    idempotency_key: x\n    request:\n      x: {{ type: string }}\n"
    ));
    assert_eq!(rules(&d), ["unknown-choice"], "{d}");
    // An unknown enum representation is not also values of the wrong type.
    let d = errors(
        "version: 1\ntypes:\n  S:\n    enum: strng\n    values:\n      - { value: 1, name: One }\nactions: []\n",
    );
    assert_eq!(rules(&d), ["unknown-choice"], "{d}");
    // A dedup key through a field of unknown type is that field's error only.
    let d = errors(
        "version: 1\nactions: []\nevents:\n  - name: e\n    dedup_key: A.B\n    fields:\n      A: { type: Objct }\n",
    );
    assert_eq!(rules(&d), ["unknown-type"], "{d}");
}

#[test]
fn yaml_errors_are_located() {
    let d = errors("version: 1\nactions:\n  - name: \"a\n");
    assert_eq!(rules(&d), ["yaml-syntax"]);
    assert!(d.items[0].pos.line >= 3, "{d}");
    let d = errors("version: 1\nactions: []\nunknown_key: 1\n");
    assert_eq!(rules(&d), ["unknown-key"]);
    assert!(d.to_string().contains("unknown_key"), "{d}");
    let d = errors(&action(
        "    request:\n      x: { type: string }\n      x: { type: i64 }\n",
    ));
    assert_eq!(located(&d), [(9, "duplicate-key")], "{d}");
    let d = errors(&action(
        "    request:\n      x: { type: string, max_len: many }\n",
    ));
    assert_eq!(located(&d), [(8, "spec-shape")], "{d}");
}

#[test]
fn schema_rules() {
    let cases: &[(&str, &str)] = &[
        (
            "    request:\n      env: { type: env, fill: env, required: true }\n",
            "required-not-filled",
        ),
        (
            "    request:\n      env: { type: string, fill: env }\n",
            "fill-type",
        ),
        (
            "    request:\n      o: { type: i64, fill: offer_id }\n",
            "fill-type",
        ),
        (
            "    request:\n      o: { type: string, charset: \"z-a\" }\n",
            "bad-charset",
        ),
        (
            "    request:\n      o: { type: string, min_len: 5, max_len: 2 }\n",
            "limit-range",
        ),
        (
            "    request:\n      o: { type: i64, default: CNY }\n",
            "literal-type",
        ),
        (
            "    response:\n      o: { type: i64, required: true }\n",
            "received-field-required",
        ),
        (
            "    response:\n      o: { type: i64, min: 1 }\n",
            "client-sent-only",
        ),
        (
            "    request:\n      access_token: { type: string }\n",
            "client-added-field",
        ),
        (
            "    request:\n      a: { type: string }\n    one_of:\n      - [a, b]\n",
            "replaced-key",
        ),
        (
            "    request:\n      a: { type: \"[json<strng>]\" }\n",
            "unknown-type",
        ),
        ("    request:\n      env: { type: env }\n", "env-field"),
        (
            "    request:\n      a: { type: string, fill: env, default: x }\n",
            "fill-type",
        ),
    ];
    for (tail, want) in cases {
        let d = errors(&action(tail));
        assert!(rules(&d).contains(want), "{want}: {d}");
    }
    let d = errors(&format!(
        "{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: same-id\n"
    ));
    assert_eq!(located(&d), [(6, "idempotency-key-retry")], "{d}");
}

#[test]
fn type_rules() {
    let with_types = |types: &str, response: &str| {
        format!(
            "version: 1\ntypes:\n{types}actions:\n  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: safe\n    response:\n{response}"
        )
    };
    let d = errors(&with_types(
        "  S:\n    enum: string\n    values:\n      - { value: 1, name: One }\n      - { value: \"2\", name: Unknown }\n",
        "      s: { type: S }\n",
    ));
    assert_eq!(rules(&d), ["enum-value-type", "reserved-name"], "{d}");
    assert!(d.to_string().contains("quote it"), "{d}");
    let d = errors(&with_types(
        "  Node:\n    fields:\n      next: { type: Node }\n      id: { type: string, required: true }\n",
        "      n: { type: Node }\n",
    ));
    assert_eq!(rules(&d), ["type-cycle", "received-type-required"], "{d}");
    let d = errors(&with_types(
        "  ABRequest:\n    fields:\n      x: { type: string }\n",
        "      x: { type: string }\n",
    ));
    assert_eq!(rules(&d), ["rust-name-clash"], "{d}");
    let d = errors(&with_types(
        "  event:\n    fields:\n      x: { type: string }\n",
        "      x: { type: string }\n",
    ));
    assert_eq!(rules(&d), ["name-case"], "{d}");
}

#[test]
fn one_of_rules() {
    let with_types = |types: &str, request: &str| {
        format!(
            "version: 1\ntypes:\n{types}actions:\n  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: safe\n    request:\n{request}"
        )
    };
    let pair = "  Ref:\n    one_of:\n      a: { type: string }\n      b: { type: string }\n";
    assert!(
        load(
            "t.yaml",
            &with_types(pair, "      r: { type: Ref, required: true }\n")
        )
        .is_ok()
    );
    for (types, request, want) in [
        (pair, "      r: { type: Ref }\n", "one-of-required"),
        (
            pair,
            "      r: { type: Ref, required: true }\n      a: { type: string }\n",
            "one-of-member-clash",
        ),
        (
            "  Ref:\n    one_of:\n      a: { type: string }\n",
            "      r: { type: Ref, required: true }\n",
            "one-of-too-few",
        ),
        (
            "  Ref:\n    one_of:\n      a: { type: string, required: true }\n      b: { type: string }\n",
            "      r: { type: Ref, required: true }\n",
            "one-of-member-plain",
        ),
    ] {
        let d = errors(&with_types(types, request));
        assert_eq!(rules(&d), [want], "{d}");
    }
    let d = errors(&format!(
        "version: 1\ntypes:\n{pair}actions:\n  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: safe\n    response:\n      r: {{ type: Ref }}\n"
    ));
    assert_eq!(rules(&d), ["one-of-only-in-requests"], "{d}");
}

#[test]
fn event_rules() {
    let yaml = "version: 1\nactions: []\nevents:\n  - name: e1\n    dedup_key: Nope\n    reply: maybe\n    fields:\n      A: { type: string, required: true }\n  - name: e1\n";
    let d = errors(yaml);
    assert_eq!(
        located(&d),
        [
            (5, "dedup-key"),
            (6, "unknown-choice"),
            (8, "received-field-required"),
            (9, "duplicate-name"),
            (9, "rust-name-clash"),
        ],
        "{d}"
    );
}

/// `self`, `Self`, `super` and `crate` cannot be names even as `r#…`: a trial made the macro
/// panic with a field called `self`. Each way such a name can arise is refused, located, as
/// `reserved-name`, and a `rust_name:` is the way out.
#[test]
fn keywords_that_r_hash_cannot_escape_are_refused_as_names() {
    let type_spec = |types: &str| {
        format!(
            "version: 1\ntypes:\n{types}actions:\n  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: safe\n    response:\n      x: {{ type: string }}\n"
        )
    };
    let cases = [
        // A field whose wire name is one, or whose rust_name is one.
        (
            action("    request:\n      self: { type: string }\n"),
            8,
            "self",
        ),
        (
            action("    request:\n      Crate: { type: string }\n"),
            8,
            "Crate",
        ),
        (
            action("    request:\n      x: { type: string, rust_name: super }\n"),
            8,
            "super",
        ),
        // A type or an enum variant called `Self`.
        (
            type_spec("  Self:\n    fields:\n      a: { type: string }\n"),
            3,
            "Self",
        ),
        (
            type_spec("  S:\n    enum: string\n    values:\n      - { value: a, name: Self }\n"),
            6,
            "Self",
        ),
        // An event whose name becomes `Self`, or whose rust_name is `Self`.
        (
            "version: 1\nactions: []\nevents:\n  - name: self\n".to_string(),
            4,
            "self",
        ),
        (
            "version: 1\nactions: []\nevents:\n  - name: e1\n    rust_name: Self\n".to_string(),
            5,
            "Self",
        ),
    ];
    for (yaml, line, text) in cases {
        let d = errors(&yaml);
        assert_eq!(located(&d), [(line, "reserved-name")], "{yaml}\n{d}");
        let item = &d.items[0];
        assert_eq!(yaml.get(item.span.clone()), Some(text), "{d}");
    }
    // With a rust_name the wire name is free.
    assert!(
        load(
            "x.yaml",
            &action("    request:\n      self: { type: string, rust_name: self_ }\n")
        )
        .is_ok()
    );
}

/// Names the generator makes that would clash in the generated code: a trial compiled `xpay
/// spec rust` output and got E0119 (`do_it` and `do__it` both give `DoItRequest`) and E0428
/// (an event `rust_name: Malformed` beside `Event::Malformed`). Both are located spec errors.
#[test]
fn generated_names_never_clash() {
    let action_at = |name: &str| {
        format!("  - name: {name}\n    path: /xpay/{name}\n    signing: pay\n    retry: safe\n")
    };
    let yaml = format!("{HEAD}{}{}", action_at("do_it"), action_at("do__it"));
    let d = errors(&yaml);
    assert_eq!(
        located(&d),
        [(7, "rust-name-clash"), (7, "rust-name-clash")],
        "{d}"
    );
    assert!(d.to_string().contains("`DoItRequest`"), "{d}");
    assert!(d.to_string().contains("line 3"), "{d}");
    let d = errors("version: 1\nactions: []\nevents:\n  - name: e1\n    rust_name: Malformed\n");
    assert_eq!(located(&d), [(5, "reserved-name")], "{d}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any line of the real spec removed, duplicated or truncated: an answer, never a panic.
    #[test]
    fn mangled_specs_never_panic(line in 0usize..1400, cut in 0usize..60, mode in 0u8..3) {
        let mut lines: Vec<String> = SPEC.lines().map(str::to_string).collect();
        let i = line % lines.len();
        match mode {
            0 => { lines.remove(i); }
            1 => { let l = lines[i].clone(); lines.insert(i, l); }
            _ => { let l: String = lines[i].chars().take(cut).collect(); lines[i] = l; }
        }
        let text = lines.join("\n");
        match load("m.yaml", &text) {
            Ok(_) => {}
            Err(d) => {
                prop_assert!(!d.items.is_empty());
                prop_assert!(d.to_string().contains("m.yaml:"));
                for item in &d.items {
                    prop_assert!(RULES.contains(&item.rule));
                    prop_assert!(text.get(item.span.clone()).is_some());
                }
            }
        }
    }

    /// Arbitrary text is an error, never a panic, and renders.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        if let Err(d) = load("x.yaml", &text) {
            prop_assert!(d.to_string().contains("error["));
        }
    }
}
