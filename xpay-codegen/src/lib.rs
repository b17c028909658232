//! # xpay-codegen
//!
//! The generator of xpay-rs as a plain library: it reads a WeChat virtual-payment spec
//! (`spec/xpay.yaml`), checks it, and emits Rust. It runs in three stages, each in its own
//! module: `parse` (serde-saphyr, keeping line and column), `check` (every rule, every
//! error collected, each located), and [`emit`] (a `proc_macro2::TokenStream` built with quote).
//! With the `docs` feature it also renders a Markdown reference of the spec (minijinja), and
//! with `pretty` it formats generated code (prettyplease) for snapshots and reading.
//!
//! The `xpay-macros` crate wraps [`generate`] in the `generate!` proc-macro.
#![warn(missing_docs)]

mod check;
mod diag;
#[cfg(feature = "docs")]
mod docs;
pub mod emit;
pub mod model;
mod names;
mod parse;

pub use diag::{Diagnostic, Diagnostics, Pos};
#[cfg(feature = "docs")]
pub use docs::render_markdown;
pub use emit::{ClientStyle, Options};
pub use model::Spec;

/// Parses and checks a spec. `file` is the name errors are reported under.
pub fn load(file: &str, source: &str) -> Result<Spec, Diagnostics> {
    let raw = parse::parse(file, source)?;
    check::check(file, source, raw)
}

/// Parses, checks and emits a spec in one call: what the `generate!` macro does.
pub fn generate(
    file: &str,
    source: &str,
    options: &Options,
) -> Result<proc_macro2::TokenStream, Diagnostics> {
    let spec = load(file, source)?;
    Ok(emit::emit(&spec, options))
}

/// Formats a token stream as Rust source (for snapshots and `xpay spec`).
#[cfg(feature = "pretty")]
pub fn pretty(tokens: proc_macro2::TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| e.to_string())?;
    Ok(prettyplease::unparse(&file))
}
