//! The promise behind the generated API: WeChat can add fields, values, events and actions
//! without breaking a user's build.
//!
//! A user crate written against the built-in spec as the README teaches
//! (`tests/evolution/user.rs`) must compile unchanged, under `#![deny(warnings)]`, against the
//! `xpay` crate generated from the built-in spec and from that spec plus one new optional
//! request field, one new response field, one new enum value, one new event, one new action,
//! and all five at once. A second user crate (`tests/evolution/clash.rs`) declares in its own
//! spec an action that the grown built-in spec then also has.
//!
//! Each variant is a copy of the `xpay` crate (its `build.rs` and `src/lib.rs`, the real ones)
//! with the grown spec, in a scratch workspace under cargo's target directory; one
//! `cargo check` builds them all.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A named change to the built-in spec: `(anchor, text inserted after the anchor's line)`.
struct Growth {
    name: &'static str,
    edits: &'static [(&'static str, &'static str)],
}

const FIELD: (&str, &str) = (
    "      user_ip: { type: string, required: true, doc: 用户 ip — the user's IP address (e.g. 1.1.1.1) }",
    "      scene: { type: string, doc: 场景 — a request field WeChat added }",
);
const RESPONSE_FIELD: (&str, &str) = (
    "      first_save_flag: { type: bool, doc: 是否满足首充活动标记 — whether the user qualifies for the first top-up offer }",
    "      vip_level: { type: i64, doc: 会员等级 — a response field WeChat added }",
);
const VALUE: (&str, &str) = (
    "      - { value: 10, name: ProfitSharingRolledBack, doc: 分账回退完成 — profit-sharing rollback completed }",
    "      - { value: 11, name: Archived, doc: 已归档 — a value WeChat added }",
);
const EVENT: (&str, &str) = (
    "events:",
    "  - name: xpay_gift_notify
    rust_name: Gift
    doc: 礼品推送 — an event WeChat added.
    dedup_key: GiftId
    fields:
      GiftId: { type: string, doc: 礼品 id — gift id }",
);
const ACTION: (&str, &str) = (
    "actions:",
    "  - name: query_gift_card
    path: /xpay/query_gift_card
    signing: pay
    retry: safe
    doc: 查询礼品卡 — an action WeChat added.
    request:
      card_id: { type: string, required: true, doc: 礼品卡 id — card id }
      env: { type: env, fill: env, doc: 环境 — 0 production / 1 sandbox }
    response:
      balance: { type: i64, doc: 余额（分） — balance in fen }
      issuer: { type: string, doc: 发行方 — issuer }",
);

const GROWTHS: &[Growth] = &[
    Growth {
        name: "base",
        edits: &[],
    },
    Growth {
        name: "field",
        edits: &[FIELD],
    },
    Growth {
        name: "response",
        edits: &[RESPONSE_FIELD],
    },
    Growth {
        name: "value",
        edits: &[VALUE],
    },
    Growth {
        name: "event",
        edits: &[EVENT],
    },
    Growth {
        name: "action",
        edits: &[ACTION],
    },
    Growth {
        name: "all",
        edits: &[FIELD, RESPONSE_FIELD, VALUE, EVENT, ACTION],
    },
];

/// The built-in spec with `edits` applied; each anchor must stand exactly once.
fn grow(spec: &str, edits: &[(&str, &str)]) -> String {
    let mut out = spec.to_string();
    for (anchor, text) in edits {
        let found: Vec<usize> = out
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_end() == *anchor)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(found.len(), 1, "anchor {anchor:?} must stand once");
        let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines.insert(found[0] + 1, text.to_string());
        out = lines.join("\n");
    }
    out
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

fn path_of(rel: &str) -> String {
    let p = std::fs::canonicalize(Path::new(ROOT).join(rel)).expect("path");
    p.to_string_lossy().replace('\\', "/")
}

#[test]
fn a_user_crate_compiles_unchanged_against_a_grown_spec() {
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("evolution");
    let builtin = std::fs::read_to_string(Path::new(ROOT).join("spec/xpay.yaml")).expect("spec");
    let lib = std::fs::read_to_string(Path::new(ROOT).join("xpay/src/lib.rs")).expect("lib");
    let build = std::fs::read_to_string(Path::new(ROOT).join("xpay/build.rs")).expect("build");
    let user = include_str!("evolution/user.rs");
    let clash = include_str!("evolution/clash.rs");
    let gift = include_str!("evolution/gift.yaml");
    let runtime = path_of("xpay-runtime");
    let macros = path_of("xpay-macros");
    let codegen = path_of("xpay-codegen");

    let mut members = Vec::new();
    for g in GROWTHS {
        let api = format!("api-{}", g.name);
        let spec = grow(&builtin, g.edits);
        write(&scratch.join(&api).join("spec/xpay.yaml"), &spec);
        write(&scratch.join(&api).join("src/lib.rs"), &lib);
        write(&scratch.join(&api).join("build.rs"), &build);
        write(
            &scratch.join(&api).join("Cargo.toml"),
            &format!(
                r#"[package]
name = "xpay-{name}"
version = "0.2.0"
edition = "2024"
publish = false

[lib]
name = "xpay"

[features]
serde-roundtrip = []
axum = []
redis = []

[dependencies]
xpay-runtime = {{ path = "{runtime}", default-features = false }}
xpay-macros = {{ path = "{macros}" }}

[build-dependencies]
xpay-codegen = {{ path = "{codegen}", default-features = false, features = ["pretty"] }}
"#,
                name = g.name
            ),
        );
        members.push(api.clone());
        let mut users = vec![("user", user, false)];
        if matches!(g.name, "base" | "action") {
            users.push(("clash", clash, true));
        }
        for (kind, source, with_gift) in users {
            let dir = format!("{kind}-{}", g.name);
            write(&scratch.join(&dir).join("src/lib.rs"), source);
            if with_gift {
                write(&scratch.join(&dir).join("spec/gift.yaml"), gift);
            }
            write(
                &scratch.join(&dir).join("Cargo.toml"),
                &format!(
                    r#"[package]
name = "{dir}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
xpay = {{ package = "xpay-{name}", path = "../{api}" }}
serde_json = "1"
"#,
                    name = g.name
                ),
            );
            members.push(dir);
        }
    }
    let list = members
        .iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ");
    write(
        &scratch.join("Cargo.toml"),
        &format!("[workspace]\nresolver = \"3\"\nmembers = [{list}]\n"),
    );
    // The project's lock file, so the scratch builds use the versions the project tests with.
    std::fs::copy(
        Path::new(ROOT).join("Cargo.lock"),
        scratch.join("Cargo.lock"),
    )
    .expect("lock");

    let out = Command::new(env!("CARGO"))
        .args(["check", "--workspace", "--offline", "--quiet"])
        .current_dir(&scratch)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "a user crate stopped compiling:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_growths_really_grow_the_spec() {
    let builtin = std::fs::read_to_string(Path::new(ROOT).join("spec/xpay.yaml")).expect("spec");
    let base = xpay_codegen::Spec::load("spec/xpay.yaml", &builtin).expect("valid");
    for g in GROWTHS {
        let grown = grow(&builtin, g.edits);
        let spec = xpay_codegen::Spec::load("grown.yaml", &grown)
            .unwrap_or_else(|d| panic!("{}: {d}", g.name));
        let [actions, _, events, _] = spec.counts();
        let [base_actions, _, base_events, _] = base.counts();
        let grew_action = g.edits.contains(&ACTION);
        let grew_event = g.edits.contains(&EVENT);
        assert_eq!(
            actions,
            base_actions + usize::from(grew_action),
            "{}",
            g.name
        );
        assert_eq!(events, base_events + usize::from(grew_event), "{}", g.name);
        assert_eq!(grown != builtin, !g.edits.is_empty(), "{}", g.name);
    }
}
