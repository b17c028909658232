//! The `generate!` proc-macro of xpay-rs.
//!
//! ```text
//! xpay_runtime::generate!(spec = "../spec/extra.yaml", trait_name = "ExtraActions");
//! ```
//!
//! The spec path resolves like `include_str!`: relative to the file that invokes the macro. The
//! file is tracked, so editing it rebuilds the crate. A spec with errors becomes a
//! `compile_error!` on the path literal, listing every problem with its file, line and column.
//! All the work is done by `xpay-codegen`; this crate only reads the file and reports.

use proc_macro::{Delimiter, Literal, Span, TokenStream, TokenTree};
use std::path::{Path, PathBuf};
use xpay_codegen::{ClientStyle, Options};

/// Expands a WeChat virtual-payment spec into typed request/response structs, `Action` impls,
/// client methods, the action table, typed events and the errcode table.
///
/// Arguments: `spec = "path.yaml"` (required), `trait_name = "Name"` (the extension trait the
/// client methods are put in; default `XpayActions`).
#[proc_macro]
pub fn generate(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(ts) => ts,
        Err((span, message)) => compile_error(span, &message),
    }
}

struct Args {
    spec: (String, Span),
    client: ClientStyle,
}

fn parse_args(input: TokenStream) -> Result<Args, (Span, String)> {
    let usage = "expected `spec = \"path/to/spec.yaml\"` and optionally `trait_name = \"Name\"`";
    let mut spec = None;
    let mut client = ClientStyle::Trait("XpayActions".into());
    let mut tokens = input.into_iter().peekable();
    while let Some(tt) = tokens.next() {
        let key = match tt {
            TokenTree::Ident(i) => i,
            TokenTree::Punct(p) if p.as_char() == ',' => continue,
            TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
                return Err((g.span(), usage.into()));
            }
            other => return Err((other.span(), usage.into())),
        };
        let name = key.to_string();
        // `inherent` is for xpay-runtime's own spec: inherent methods on its `Client`.
        if name == "inherent" {
            client = ClientStyle::Inherent;
            continue;
        }
        match tokens.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {}
            _ => return Err((key.span(), format!("expected `=` after `{name}`"))),
        }
        let value = match tokens.next() {
            Some(TokenTree::Literal(l)) => l,
            Some(other) => return Err((other.span(), format!("`{name}` takes a string literal"))),
            None => return Err((key.span(), format!("`{name}` takes a string literal"))),
        };
        let text = string_literal(&value)
            .ok_or_else(|| (value.span(), format!("`{name}` takes a string literal")))?;
        match name.as_str() {
            "spec" => spec = Some((text, value.span())),
            "trait_name" => client = ClientStyle::Trait(text),
            _ => return Err((key.span(), format!("unknown argument `{name}`; {usage}"))),
        }
    }
    let spec = spec.ok_or_else(|| (Span::call_site(), usage.to_string()))?;
    Ok(Args { spec, client })
}

/// The value of a plain `"..."` literal (escapes other than `\\` and `\"` are not expected in
/// paths and are rejected).
fn string_literal(lit: &Literal) -> Option<String> {
    let s = lit.to_string();
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        return None;
    }
    Some(inner.to_string())
}

/// The spec's absolute path (absolute so that the generated `include_str!` that tracks it
/// does not resolve it a second time relative to the invoking file).
fn resolve(path: &str, span: Span) -> PathBuf {
    let joined = resolve_relative(path, span);
    let absolute = if joined.is_absolute() {
        joined
    } else {
        // `local_file()` is relative to rustc's working directory.
        std::env::current_dir()
            .map(|d| d.join(&joined))
            .unwrap_or(joined)
    };
    std::fs::canonicalize(&absolute).unwrap_or(absolute)
}

fn resolve_relative(path: &str, span: Span) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    // Like include_str!: relative to the invoking file.
    if let Some(file) = span.local_file()
        && let Some(dir) = file.parent()
    {
        return dir.join(p);
    }
    // Fallback (no local file, e.g. inside another macro): the crate root.
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    Path::new(&root).join(p)
}

fn expand(input: TokenStream) -> Result<TokenStream, (Span, String)> {
    let args = parse_args(input)?;
    let (path, span) = args.spec;
    let full = resolve(&path, span);
    let source = std::fs::read_to_string(&full)
        .map_err(|e| (span, format!("cannot read spec `{}`: {e}", full.display())))?;
    let options = Options {
        client: args.client,
    };
    let generated = xpay_codegen::generate(&path, &source, &options)
        .map_err(|diags| (span, format!("invalid xpay spec:\n{diags}")))?;
    // Track the file so that editing it rebuilds the invoking crate.
    let track = full.to_string_lossy().to_string();
    let tracked: proc_macro2::TokenStream = quote_track(&track);
    let mut out = proc_macro2::TokenStream::new();
    out.extend(tracked);
    out.extend(generated);
    Ok(out.into())
}

fn quote_track(path: &str) -> proc_macro2::TokenStream {
    let lit = proc_macro2::Literal::string(path);
    let mut ts = proc_macro2::TokenStream::new();
    // const _: &str = include_str!("<absolute path>");
    let text = format!("const _: &str = ::core::include_str!({lit});");
    if let Ok(parsed) = text.parse::<proc_macro2::TokenStream>() {
        ts.extend(parsed);
    }
    ts
}

fn compile_error(span: Span, message: &str) -> TokenStream {
    let lit = proc_macro2::Literal::string(message);
    let text = format!("::core::compile_error!({lit});");
    let ts: TokenStream = text.parse().unwrap_or_default();
    ts.into_iter()
        .map(|mut tt| {
            set_span(&mut tt, span);
            tt
        })
        .collect()
}

fn set_span(tt: &mut TokenTree, span: Span) {
    match tt {
        TokenTree::Group(g) => {
            let inner: TokenStream = g
                .stream()
                .into_iter()
                .map(|mut t| {
                    set_span(&mut t, span);
                    t
                })
                .collect();
            let mut ng = proc_macro::Group::new(g.delimiter(), inner);
            ng.set_span(span);
            *g = ng;
        }
        other => other.set_span(span),
    }
}
