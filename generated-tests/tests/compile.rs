//! Compile tests of the generate! macro (trybuild): broken specs fail the build with located
//! errors, never a panic; a crate-local spec compiles under `#![deny(warnings)]`.
//! Refresh the expected output with `TRYBUILD=overwrite cargo test -p generated-tests --test compile`.

#[test]
fn macro_compile_tests() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
