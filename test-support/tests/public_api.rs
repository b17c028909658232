//! The public API of the published library crates, as a committed list
//! (`public-api/<crate>.txt`): this test fails when it changes without review.
//!
//! The list is read from rustdoc's JSON output (made on the stable toolchain with
//! `RUSTC_BOOTSTRAP=1`, in a target directory of its own): every public path from the crate
//! root (re-exports followed), each struct's public fields, each enum's variants, each type's
//! inherent methods and associated items, and the traits it implements from the crate. After a
//! deliberate change, bless the lists with `XPAY_BLESS=1 cargo test -p xpay-test-support --test
//! public_api` and review the diff like code.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The crates whose API users build on: the runtime, the generator library, the fake WeChat.
const CRATES: [(&str, &str); 3] = [
    ("xpay-runtime", "xpay_runtime"),
    ("xpay-codegen", "xpay_codegen"),
    ("xpay-mock", "xpay_mock"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rustdoc_json(package: &str, lib: &str) -> Value {
    let root = root();
    let target = root.join("target/public-api");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTDOCFLAGS")
        .args([
            "rustdoc",
            "-q",
            "-p",
            package,
            "--all-features",
            "--lib",
            "--",
        ])
        .args(["-Z", "unstable-options", "--output-format", "json"])
        .output()
        .expect("run cargo rustdoc");
    assert!(
        out.status.success(),
        "cargo rustdoc -p {package} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(target.join(format!("doc/{lib}.json")))
        .expect("rustdoc JSON written");
    serde_json::from_str(&text).expect("rustdoc JSON parses")
}

/// Walks the crate from its root and lists what a user can name.
struct Walk<'a> {
    index: &'a serde_json::Map<String, Value>,
    lines: BTreeSet<String>,
    seen: HashSet<(String, String)>,
}

impl Walk<'_> {
    fn item(&self, id: &Value) -> Option<&Value> {
        self.index.get(&id.to_string())
    }

    fn public(item: &Value) -> bool {
        item["visibility"] == "public"
    }

    fn module(&mut self, id: &Value, path: &str) {
        let Some(module) = self.item(id) else { return };
        let items = module["inner"]["module"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for child in items {
            self.named(&child, path, None);
        }
    }

    /// An item reachable as `path::name` (`name` overrides the item's own, for re-exports).
    fn named(&mut self, id: &Value, path: &str, name: Option<&str>) {
        let Some(item) = self.item(id).cloned() else {
            return;
        };
        if !Self::public(&item) {
            return;
        }
        let inner = &item["inner"];
        if let Some(u) = inner.get("use") {
            let target = &u["id"];
            if u["is_glob"] == true {
                if target.is_null() {
                    return;
                }
                self.module(target, path);
            } else if self.item(target).is_some() {
                self.named(target, path, u["name"].as_str());
            } else {
                let line = format!(
                    "pub use {path}::{} (= {})",
                    u["name"].as_str().unwrap_or("?"),
                    u["source"].as_str().unwrap_or("?")
                );
                self.lines.insert(line);
            }
            return;
        }
        let own = name.or(item["name"].as_str()).unwrap_or("?").to_string();
        let full = format!("{path}::{own}");
        if !self.seen.insert((id.to_string(), full.clone())) {
            return;
        }
        let kind = inner
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default();
        match kind.as_str() {
            "module" => {
                self.lines.insert(format!("mod {full}"));
                self.module(id, &full);
            }
            "struct" => {
                self.lines.insert(format!("struct {full}"));
                let fields = &inner["struct"]["kind"]["plain"]["fields"];
                for f in fields.as_array().cloned().unwrap_or_default() {
                    if let Some(field) = self.item(&f).cloned()
                        && Self::public(&field)
                    {
                        let fname = field["name"].as_str().unwrap_or("?");
                        self.lines.insert(format!("field {full}.{fname}"));
                    }
                }
                self.impls(&inner["struct"]["impls"], &full);
            }
            "enum" => {
                self.lines.insert(format!("enum {full}"));
                for v in inner["enum"]["variants"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    if let Some(variant) = self.item(&v) {
                        let vname = variant["name"].as_str().unwrap_or("?");
                        self.lines.insert(format!("variant {full}::{vname}"));
                    }
                }
                self.impls(&inner["enum"]["impls"], &full);
            }
            "trait" => {
                self.lines.insert(format!("trait {full}"));
                for m in inner["trait"]["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    if let Some(member) = self.item(&m) {
                        let mname = member["name"].as_str().unwrap_or("?");
                        self.lines.insert(format!("trait-item {full}::{mname}"));
                    }
                }
            }
            other => {
                self.lines.insert(format!("{other} {full}"));
            }
        }
    }

    /// Inherent associated items, and the crate's own traits implemented.
    fn impls(&mut self, impls: &Value, ty: &str) {
        for i in impls.as_array().cloned().unwrap_or_default() {
            let Some(imp) = self.item(&i).cloned() else {
                continue;
            };
            let imp = &imp["inner"]["impl"];
            if imp["is_synthetic"] == true || !imp["blanket_impl"].is_null() {
                continue;
            }
            match imp["trait"].as_object() {
                None => {
                    for m in imp["items"].as_array().cloned().unwrap_or_default() {
                        if let Some(member) = self.item(&m)
                            && Self::public(member)
                        {
                            let mname = member["name"].as_str().unwrap_or("?");
                            self.lines.insert(format!("assoc {ty}::{mname}"));
                        }
                    }
                }
                Some(t) => {
                    let tname = t["path"].as_str().unwrap_or("?");
                    self.lines.insert(format!("impl {tname} for {ty}"));
                }
            }
        }
    }
}

fn list(package: &str, lib: &str) -> String {
    let doc = rustdoc_json(package, lib);
    let index = doc["index"].as_object().expect("an index");
    let mut walk = Walk {
        index,
        lines: BTreeSet::new(),
        seen: HashSet::new(),
    };
    walk.module(&doc["root"], lib);
    let mut out = String::new();
    for line in walk.lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn the_public_api_changes_only_when_reviewed() {
    let bless = std::env::var_os("XPAY_BLESS").is_some();
    let mut changed = Vec::new();
    for (package, lib) in CRATES {
        let now = list(package, lib);
        let file = root().join(format!("public-api/{package}.txt"));
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        if now != committed {
            if bless {
                std::fs::write(&file, &now).expect("write the list");
            } else {
                let before: HashSet<&str> = committed.lines().collect();
                let after: HashSet<&str> = now.lines().collect();
                let added: Vec<&&str> = after.difference(&before).collect();
                let removed: Vec<&&str> = before.difference(&after).collect();
                changed.push(format!("{package}: added {added:#?}\nremoved {removed:#?}"));
            }
        }
    }
    assert!(
        changed.is_empty(),
        "the public API changed; review it, then bless with XPAY_BLESS=1:\n{}",
        changed.join("\n")
    );
}
