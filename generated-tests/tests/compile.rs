//! Compile tests of the generate! macro (trybuild): broken specs fail the build with located
//! errors, never a panic; broken arguments are refused; the generated API cannot be misused in
//! the ways that would break on a spec change (struct literals, matching an unknown value) or
//! that would fail at run time (a `pay+user` action sent without a session key); a crate-local
//! spec compiles under `#![deny(warnings)]`.
//!
//! Refresh the expected output with
//! `TRYBUILD=overwrite cargo test -p generated-tests --test compile`, then read every `.stderr`.

#[test]
fn macro_compile_tests() {
    // trybuild compiles the cases in a project of its own; relative spec paths must resolve
    // from this crate's manifest directory, as they would in a real crate.
    // SAFETY: set before any other thread of this test binary reads the environment.
    unsafe {
        std::env::set_var("XPAY_CODEGEN_TEST_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
