//! The checker: every rule, every error collected and located, and no input that panics.

use proptest::prelude::*;
use xpay_codegen::{Diagnostics, Spec};

fn load(file: &str, yaml: &str) -> Result<Spec, Diagnostics> {
    Spec::load(file, yaml)
}

const SPEC: &str = include_str!("../../spec/xpay.yaml");

fn errors(yaml: &str) -> Diagnostics {
    load("t.yaml", yaml).expect_err("the spec should be rejected")
}

fn messages(d: &Diagnostics) -> Vec<(u32, String)> {
    d.items
        .iter()
        .map(|i| (i.pos.line, i.message.clone()))
        .collect()
}

const HEAD: &str = "version: 1\nactions:\n";

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
fn every_error_is_collected_and_located() {
    let yaml = format!(
        "{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: sometimes\n    request:\n      x: {{ type: strng }}\n      y: {{ type: i64, max_len: 3 }}\n  - name: a_b\n    path: /xpay/other\n    signing: pay\n    retry: safe\n"
    );
    let d = errors(&yaml);
    let m = messages(&d);
    assert_eq!(m.len(), 5, "{d}");
    assert!(
        m.iter()
            .any(|(l, s)| *l == 6 && s.contains("retry `sometimes`")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|(l, s)| *l == 8 && s.contains("unknown type `strng`")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|(l, s)| *l == 9 && s.contains("max_len` applies to strings")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|(l, s)| *l == 10 && s.contains("duplicate action `a_b`")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|(l, s)| *l == 11 && s.contains("must end with the action name")),
        "{m:?}"
    );
    let text = d.to_string();
    assert!(text.contains("--> t.yaml:8:"), "{text}");
    assert!(
        text.contains("x: { type: strng }") && text.contains('^'),
        "{text}"
    );
    assert!(text.ends_with("5 errors in t.yaml"), "{text}");
}

#[test]
fn yaml_errors_are_located() {
    let d = errors("version: 1\nactions:\n  - name: [a\n");
    assert_eq!(d.items.len(), 1);
    assert!(d.items[0].pos.line >= 3, "{d}");
    let d = errors("version: 1\nactions: []\nunknown_key: 1\n");
    assert!(d.to_string().contains("unknown_key"), "{d}");
}

#[test]
fn schema_rules() {
    let cases: &[(&str, &str)] = &[
        (
            "    request:\n      env: { type: env, fill: env, required: true }\n",
            "both required and filled",
        ),
        (
            "    request:\n      env: { type: string, fill: env }\n",
            "`fill: env` needs `type: env`",
        ),
        (
            "    request:\n      o: { type: i64, fill: offer_id }\n",
            "`fill: offer_id` needs `type: string`",
        ),
        (
            "    request:\n      o: { type: string, charset: \"z-a\" }\n",
            "backwards",
        ),
        (
            "    request:\n      o: { type: string, min_len: 5, max_len: 2 }\n",
            "greater than max_len",
        ),
        (
            "    request:\n      o: { type: i64, default: CNY }\n",
            "does not fit",
        ),
        (
            "    response:\n      o: { type: i64, required: true }\n",
            "cannot be required",
        ),
        (
            "    response:\n      o: { type: i64, min: 1 }\n",
            "apply to fields the client sends",
        ),
        (
            "    request:\n      access_token: { type: string }\n",
            "added by the client",
        ),
        (
            "    request:\n      a: { type: string }\n    one_of:\n      - [a, b]\n",
            "replaced by one_of types",
        ),
        (
            "    request:\n      a: { type: \"[json<strng>]\" }\n",
            "unknown type `strng`",
        ),
    ];
    for (tail, want) in cases {
        let yaml = format!(
            "{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: safe\n{tail}"
        );
        let d = errors(&yaml);
        assert!(d.to_string().contains(want), "{want}: {d}");
    }
    let d = errors(&format!(
        "{HEAD}  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: same-id\n"
    ));
    assert!(d.to_string().contains("needs an `idempotency_key`"), "{d}");
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
    let t = d.to_string();
    assert!(t.contains("quote it") && t.contains("reserved"), "{t}");
    let d = errors(&with_types(
        "  Node:\n    fields:\n      next: { type: Node }\n      id: { type: string, required: true }\n",
        "      n: { type: Node }\n",
    ));
    let t = d.to_string();
    assert!(
        t.contains("contains itself") && t.contains("cannot be required"),
        "{t}"
    );
    let d = errors(&with_types(
        "  ABRequest:\n    fields:\n      x: { type: string }\n",
        "      x: { type: string }\n",
    ));
    assert!(d.to_string().contains("is generated for an action"), "{d}");
    let d = errors(&with_types(
        "  event:\n    fields:\n      x: { type: string }\n",
        "      x: { type: string }\n",
    ));
    assert!(d.to_string().contains("PascalCase"), "{d}");
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
        (pair, "      r: { type: Ref }\n", "must be `required: true`"),
        (
            pair,
            "      r: { type: Ref, required: true }\n      a: { type: string }\n",
            "is also a request field",
        ),
        (
            "  Ref:\n    one_of:\n      a: { type: string }\n",
            "      r: { type: Ref, required: true }\n",
            "at least two members",
        ),
        (
            "  Ref:\n    one_of:\n      a: { type: string, required: true }\n      b: { type: string }\n",
            "      r: { type: Ref, required: true }\n",
            "a member cannot be required",
        ),
    ] {
        let d = errors(&with_types(types, request));
        assert!(d.to_string().contains(want), "{want}: {d}");
    }
    let d = errors(&format!(
        "version: 1\ntypes:\n{pair}actions:\n  - name: a_b\n    path: /xpay/a_b\n    signing: pay\n    retry: safe\n    response:\n      r: {{ type: Ref }}\n"
    ));
    assert!(
        d.to_string()
            .contains("can only be a field of an action's request"),
        "{d}"
    );
}

#[test]
fn event_rules() {
    let yaml = "version: 1\nactions: []\nevents:\n  - name: e1\n    dedup_key: Nope\n    reply: maybe\n    fields:\n      A: { type: string, required: true }\n  - name: e1\n";
    let t = errors(yaml).to_string();
    assert!(t.contains("dedup_key `Nope`"), "{t}");
    assert!(t.contains("reply `maybe`"), "{t}");
    assert!(t.contains("cannot be required"), "{t}");
    assert!(t.contains("duplicate event `e1`"), "{t}");
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
            }
        }
    }

    /// Arbitrary text is an error, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = load("x.yaml", &text);
    }
}
