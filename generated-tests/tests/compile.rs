//! Compile tests of the generate! macro (trybuild): broken specs fail the build with located
//! errors, never a panic; broken arguments are refused; the generated API cannot be misused in
//! the ways that would break on a spec change (struct literals, matching an unknown value) or
//! that would fail at run time (a `pay+user` action sent without a session key); a crate-local
//! spec compiles under `#![deny(warnings)]`. Every rule of the spec checker has a case: its id
//! shows in at least one blessed `.stderr`.
//!
//! Refresh the expected output with
//! `TRYBUILD=overwrite cargo test -p generated-tests --test compile`, then read every `.stderr`.

use std::sync::Mutex;

/// Held by each test for its whole run, so that no test reads the environment while
/// `macro_compile_tests` changes it.
static ENV: Mutex<()> = Mutex::new(());

#[test]
fn macro_compile_tests() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    // trybuild compiles the cases in a project of its own; relative spec paths must resolve
    // from this crate's manifest directory, as they would in a real crate.
    // SAFETY: no other thread of this test binary runs while `ENV` is held.
    unsafe {
        std::env::set_var("XPAY_CODEGEN_TEST_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

/// Every rule id of the checker appears as `error[ID]` in some `tests/ui/*.stderr`, and every
/// id there is a rule's (none left behind by a renamed rule).
#[test]
fn every_rule_has_a_ui_case() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui");
    let mut shown = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("tests/ui") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "stderr") {
            let text = std::fs::read_to_string(&path).expect("a .stderr file");
            shown.extend(ids(&text));
        }
    }
    let rules = xpay_codegen::RULES;
    assert!(rules.len() > 1, "{rules:?}");
    let missing: Vec<&str> = rules
        .iter()
        .copied()
        .filter(|id| !shown.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a ui case (add one to tests/ui/): {missing:?}"
    );
    let unknown: Vec<&String> = shown
        .iter()
        .filter(|id| !rules.contains(&id.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "ids in tests/ui/*.stderr that no rule has: {unknown:?}"
    );
}

/// The ids of `error[ID]` headers that are not rustc's own (`E0277`).
fn ids(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split("error[").skip(1).filter_map(|rest| {
        let id = &rest[..rest.find(']')?];
        let rustc = id.starts_with('E') && id[1..].chars().all(|c| c.is_ascii_digit());
        (!rustc).then(|| id.to_string())
    })
}
