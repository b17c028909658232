//! Property tests of the whole generator: whatever spec or macro arguments it is given, it
//! answers with Rust that parses (generated items, or a located `compile_error!`), never a
//! panic.

use proptest::prelude::*;
use xpay_codegen::{Generator, Settings, Spec, expand_macro};

const SPEC: &str = include_str!("../../spec/xpay.yaml");

/// The output parses as a file of Rust items.
fn parses(tokens: proc_macro2::TokenStream) -> Result<(), String> {
    syn::parse2::<syn::File>(tokens)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A spec path the macro can read: the text written to a temp file.
fn spec_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join("xpay-codegen-fuzz");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write spec");
    path.to_string_lossy().into_owned()
}

#[test]
fn the_built_in_spec_generates_rust_that_parses() {
    let spec = Spec::load("spec/xpay.yaml", SPEC).expect("valid");
    for settings in [
        Settings::new(),
        Settings::new().runtime_path("::xpay").expect("path"),
        Settings::new().derives(xpay_codegen::Derives::Both),
        Settings::new().derives(xpay_codegen::Derives::Feature("serde-roundtrip".into())),
    ] {
        parses(Generator::new(settings).tokens(&spec)).expect("parses");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// A line of the real spec removed, duplicated or cut short: either generated items that
    /// parse, or a compile error that parses; never a panic.
    #[test]
    fn mangled_specs_expand_to_rust_that_parses(line in 0usize..1400, cut in 0usize..60, mode in 0u8..3) {
        let mut lines: Vec<String> = SPEC.lines().map(str::to_string).collect();
        let i = line % lines.len();
        match mode {
            0 => { lines.remove(i); }
            1 => { let l = lines[i].clone(); lines.insert(i, l); }
            _ => { let l: String = lines[i].chars().take(cut).collect(); lines[i] = l; }
        }
        let text = lines.join("\n");
        if let Ok(spec) = Spec::load("m.yaml", &text) {
            prop_assert!(parses(Generator::new(Settings::new()).tokens(&spec)).is_ok());
        }
        let path = spec_file(&format!("mangled-{line}-{cut}-{mode}.yaml"), &text);
        let input = format!("spec = {path:?}").parse::<proc_macro2::TokenStream>().expect("tokens");
        let out = expand_macro(input);
        prop_assert!(parses(out).is_ok());
    }

    /// A name of the real spec (a field, type, variant, event or action) replaced by a keyword
    /// or a word generated code already uses: a located error, or Rust that parses and
    /// formats; never a panic. (A field called `self` once made the macro panic.)
    #[test]
    fn keyword_and_reserved_names_never_panic(
        line in 0usize..1400,
        word in prop::sample::select(vec![
            "self", "Self", "super", "crate", "type", "fn", "async", "dyn", "union", "_",
            "Unknown", "Fields", "Option", "Result", "String", "Some", "None", "Ok", "Err",
        ]),
    ) {
        let mut lines: Vec<String> = SPEC.lines().map(str::to_string).collect();
        let i = line % lines.len();
        let l = lines[i].clone();
        let indent = l.len() - l.trim_start().len();
        let renamed = if let Some(at) = l.find("name: ") {
            let start = at + "name: ".len();
            let end = l[start..].find([',', '}', ' ']).map_or(l.len(), |e| start + e);
            format!("{}{word}{}", &l[..start], &l[end..])
        } else if let Some(colon) = l.find(':').filter(|&c| c > indent && !l[indent..c].contains(' ')) {
            format!("{}{word}{}", &l[..indent], &l[colon..])
        } else {
            return Ok(());
        };
        lines[i] = renamed;
        let text = lines.join("\n");
        if let Ok(spec) = Spec::load("k.yaml", &text) {
            prop_assert!(parses(Generator::new(Settings::new()).tokens(&spec)).is_ok(), "line {i}: {word}");
            prop_assert!(Generator::new(Settings::new()).rust(&spec).is_ok(), "line {i}: {word}");
        }
        let path = spec_file(&format!("keyword-{line}-{word}.yaml"), &text);
        let input = format!("spec = {path:?}").parse::<proc_macro2::TokenStream>().expect("tokens");
        prop_assert!(parses(expand_macro(input)).is_ok(), "line {i}: {word}");
    }

    /// Arbitrary argument text (with arbitrary names, literals and punctuation): a compile error
    /// or an expansion, always Rust that parses.
    #[test]
    fn arbitrary_arguments_never_panic(
        key in "[a-z_]{1,12}",
        value in "\\PC{0,30}",
        extra in prop::sample::select(vec!["", ",", ", runtime = ::xpay", ", roundtrip = true", ", trait_name = \"X\"", " = =", ", spec = \"a\""]),
    ) {
        for text in [
            format!("{key} = {value:?}{extra}"),
            format!("spec = {value:?}{extra}"),
            format!("{key}{extra}"),
            value.clone(),
        ] {
            if let Ok(input) = text.parse::<proc_macro2::TokenStream>() {
                let out = expand_macro(input);
                prop_assert!(parses(out).is_ok(), "{text}");
            }
        }
    }

    /// Arbitrary YAML-ish text as a spec: a compile error that parses.
    #[test]
    fn arbitrary_spec_text_never_panics(text in "\\PC{0,200}") {
        let path = spec_file("arbitrary.yaml", &text);
        let input = format!("spec = {path:?}").parse::<proc_macro2::TokenStream>().expect("tokens");
        prop_assert!(parses(expand_macro(input)).is_ok());
    }
}
