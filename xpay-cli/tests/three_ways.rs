//! Three ways to generate, one output: the `generate!` macro (`xpay_codegen::expand_macro`, what
//! `xpay-macros` calls), a build script (`Generator::write_to_out_dir`, what the `xpay` crate's
//! `build.rs` calls) and committed bindings (`xpay spec rust`) give the same items for the same
//! spec and settings.

mod common;

use common::xpay;
use std::path::Path;
use xpay_codegen::{Generator, Settings};

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/xpay.yaml");

/// The code without the header comment the written forms start with.
fn body(text: &str) -> &str {
    text.split_once("\n\n").map_or(text, |(_, rest)| rest)
}

#[test]
fn the_macro_the_build_script_and_the_command_give_the_same_items() {
    // The command, for a spec file.
    let cli = xpay(&["spec", "rust", SPEC, "--runtime", "::xpay_runtime"], &[]);
    let cli = cli.ok().to_string();

    // The build script's function, writing where cargo would.
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("three_ways");
    std::fs::create_dir_all(&out_dir).expect("out dir");
    // SAFETY: this test binary runs this one test; nothing else reads the environment.
    unsafe { std::env::set_var("OUT_DIR", &out_dir) };
    let written = Generator::new(Settings::new())
        .write_to_out_dir(SPEC, "api.rs")
        .expect("build-script generation");
    let build = std::fs::read_to_string(written).expect("read the generated file");
    assert_eq!(
        cli, build,
        "`xpay spec rust` prints what a build script writes"
    );

    // The macro's expansion, without the items that only make cargo track the file.
    let input = format!("spec = {SPEC:?}, runtime = ::xpay_runtime")
        .parse::<proc_macro2::TokenStream>()
        .expect("tokens");
    let expanded = xpay_codegen::expand_macro(input);
    let file: syn::File = syn::parse2(expanded).expect("the expansion parses as Rust items");
    let tracking = file
        .items
        .iter()
        .filter(|i| matches!(i, syn::Item::Const(c) if c.ident == "_"))
        .count();
    assert_eq!(
        tracking, 2,
        "the spec file and the test override are tracked"
    );
    let items: Vec<syn::Item> = file
        .items
        .into_iter()
        .filter(|i| !matches!(i, syn::Item::Const(c) if c.ident == "_"))
        .collect();
    let from_macro = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    });
    assert_eq!(
        body(&build),
        from_macro,
        "the macro expands to the written items"
    );
}
