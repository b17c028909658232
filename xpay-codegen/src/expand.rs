//! What the `generate!` macro does, as a plain function over tokens (so that it can be tested
//! and fuzzed without a compiler): parse the arguments with syn, read the spec file relative to
//! the crate's manifest directory, generate, and track the file. Every failure becomes a
//! `compile_error!` at the argument it concerns; a broken spec also gets a skeleton of the items
//! it would have generated, so the build shows the located spec error and not a cascade of
//! "cannot find type".

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitStr, Token};

use crate::names::{is_pascal_ident, is_path_keyword, is_snake_ident, pascal};
use crate::{Derives, Generator, Settings, Spec};

/// The test-only variable that replaces `CARGO_MANIFEST_DIR` as the base of relative spec
/// paths. trybuild compiles ui tests in a project of its own, whose manifest directory is not
/// the test crate's; the ui test sets this to its crate's directory. The expansion reads it with
/// `option_env!` too, so cargo rebuilds when it changes.
pub const MANIFEST_DIR_OVERRIDE: &str = "XPAY_CODEGEN_TEST_MANIFEST_DIR";

const USAGE: &str = "expected `spec = \"path/to/spec.yaml\"`, and optionally `runtime = path` and `roundtrip = true`";

/// The macro's arguments.
struct Args {
    spec: LitStr,
    runtime: Option<syn::Path>,
    roundtrip: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut spec = None;
        let mut runtime = None;
        let mut roundtrip = false;
        while !input.is_empty() {
            let key: Ident = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), USAGE))?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "spec" => {
                    if spec.is_some() {
                        return Err(syn::Error::new(key.span(), "`spec` is given twice"));
                    }
                    spec = Some(input.parse::<LitStr>().map_err(|e| {
                        syn::Error::new(
                            e.span(),
                            "`spec` takes a string literal: the spec file's path",
                        )
                    })?);
                }
                "runtime" => {
                    runtime = Some(input.parse::<syn::Path>().map_err(|e| {
                        syn::Error::new(e.span(), "`runtime` takes a path, like `::xpay`")
                    })?);
                }
                "roundtrip" => roundtrip = input.parse::<LitBool>()?.value,
                "trait_name" => {
                    return Err(syn::Error::new(
                        key.span(),
                        "`trait_name` is gone: actions are sent with `client.send(request)` (or `client.send_user(request, &session_key)`), so no trait is generated",
                    ));
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}`; {USAGE}"),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let spec = spec.ok_or_else(|| syn::Error::new(Span::call_site(), USAGE))?;
        Ok(Args {
            spec,
            runtime,
            roundtrip,
        })
    }
}

/// Expands `generate!(spec = "…", runtime = path, roundtrip = true)`.
///
/// Relative spec paths resolve from the invoking crate's `CARGO_MANIFEST_DIR` (the base rustc
/// and rust-analyzer share, as in progenitor and askama). Never panics: every problem is a
/// `compile_error!`.
pub fn expand_macro(input: TokenStream) -> TokenStream {
    let args = match syn::parse2::<Args>(input) {
        Ok(a) => a,
        Err(e) => return e.to_compile_error(),
    };
    let span = args.spec.span();
    let runtime = match &args.runtime {
        Some(p) => quote!(#p),
        None => quote!(::xpay_runtime),
    };
    let settings = Settings::new()
        .runtime_tokens(runtime.clone())
        .derives(if args.roundtrip {
            Derives::Both
        } else {
            Derives::ByDirection
        });
    let written = args.spec.value();
    let path = match resolve(&written) {
        Ok(p) => p,
        Err(message) => return error(span, &message, TokenStream::new()),
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            return error(
                span,
                &format!("cannot read spec `{}`: {e}", path.display()),
                TokenStream::new(),
            );
        }
    };
    let track = track(&path);
    match Spec::load(&written, &source) {
        Ok(spec) => {
            let generated = Generator::new(settings).tokens(&spec);
            quote!(#track #generated)
        }
        Err(diagnostics) => {
            let skeleton = skeleton(&written, &source, &runtime);
            let message = format!("invalid xpay spec:\n{diagnostics}");
            error(span, &message, quote!(#track #skeleton))
        }
    }
}

/// The spec's absolute path: `written` as is when absolute, else below the manifest directory.
fn resolve(written: &str) -> Result<PathBuf, String> {
    let p = Path::new(written);
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    let base = std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .ok_or_else(|| {
            "CARGO_MANIFEST_DIR is not set, so a relative spec path has no base; give an absolute path".to_string()
        })?;
    Ok(Path::new(&base).join(p))
}

/// Items that make cargo rebuild the crate when the spec or the test override changes.
fn track(path: &Path) -> TokenStream {
    let text = path.to_string_lossy().to_string();
    let var = MANIFEST_DIR_OVERRIDE;
    quote! {
        const _: &[u8] = ::core::include_bytes!(#text);
        const _: ::core::option::Option<&str> = ::core::option_env!(#var);
    }
}

fn error(span: Span, message: &str, rest: TokenStream) -> TokenStream {
    let e = quote_spanned!(span=> ::core::compile_error!(#message););
    quote!(#e #rest)
}

/// Stand-ins for the items a broken spec would have generated, as far as its YAML can be read:
/// each type, request, response and event struct as an empty struct, the `Event` enum and the
/// `SPEC` table, so that code using them does not add "cannot find" errors to the spec's own.
fn skeleton(file: &str, source: &str, runtime: &TokenStream) -> TokenStream {
    let Ok(raw) = crate::parse::parse(file, source) else {
        return TokenStream::new();
    };
    // `Self` is PascalCase but no type's name.
    let usable = |name: &str| is_pascal_ident(name) && !is_path_keyword(name);
    let mut names = std::collections::BTreeSet::new();
    for (name, _) in &raw.types.0 {
        if usable(&name.value) {
            names.insert(name.value.clone());
        }
    }
    for a in &raw.actions {
        if is_snake_ident(&a.name.value) {
            let base = pascal(&a.name.value);
            names.insert(format!("{base}Request"));
            names.insert(format!("{base}Response"));
        }
    }
    for e in &raw.events {
        let rust = e
            .rust_name
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_else(|| pascal(&e.name.value));
        if usable(&rust) {
            names.insert(format!("{rust}Event"));
        }
    }
    for reserved in ["Event", "Envelope", "SPEC"] {
        names.remove(reserved);
    }
    let structs = names.iter().map(|n| {
        let i = format_ident!("{}", n);
        quote!(#[doc(hidden)] pub struct #i;)
    });
    quote! {
        #(#structs)*
        #[doc(hidden)]
        pub enum Event {}
        #[doc(hidden)]
        pub struct Envelope;
        #[doc(hidden)]
        pub static SPEC: #runtime::meta::SpecMeta = #runtime::meta::SpecMeta::EMPTY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_are_compile_errors_not_panics() {
        for input in [
            quote!(),
            quote!(spec),
            quote!(spec =),
            quote!(spec = 1),
            quote!(spec = "a", spec = "b"),
            quote!(spec = "a" runtime = ::x),
            quote!(unknown = "x"),
            quote!(trait_name = "X", spec = "a"),
            quote!(spec = "a", roundtrip = "yes"),
            quote!(spec = "a", runtime = 7),
            quote!("just a string"),
        ] {
            let out = expand_macro(input).to_string();
            assert!(out.contains("compile_error"), "{out}");
        }
    }

    #[test]
    fn raw_strings_and_escapes_are_read() {
        let args: Args =
            syn::parse2(quote!(spec = r"dir\spec.yaml", runtime = ::xpay,)).expect("args");
        assert_eq!(args.spec.value(), "dir\\spec.yaml");
        let args: Args = syn::parse2(quote!(spec = "a\tb")).expect("args");
        assert_eq!(args.spec.value(), "a\tb");
    }

    #[test]
    fn a_missing_file_is_a_located_error() {
        let out = expand_macro(quote!(spec = "/definitely/not/here.yaml")).to_string();
        assert!(out.contains("cannot read spec"), "{out}");
    }
}
