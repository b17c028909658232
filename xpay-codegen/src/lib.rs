//! # xpay-codegen
//!
//! The generator of xpay-rs as a plain library: it reads a WeChat virtual-payment spec
//! (`spec/xpay.yaml`, or one of your own), checks it, and emits Rust. It runs in three stages,
//! each in its own module: parse (serde-saphyr, keeping line and column), check (every rule,
//! every error collected, each located and named by its rule's id, `error[unknown-type]`, with
//! the nearest known name suggested for a misspelt one), and emit (a
//! `proc_macro2::TokenStream` built with quote). With the `docs` feature it also renders a
//! Markdown reference of the spec (minijinja), and with `pretty` it writes formatted Rust
//! (prettyplease).
//!
//! Three ways to generate give the same items:
//!
//! - the `generate!` macro (crate `xpay-macros`, re-exported by `xpay`), which calls
//!   [`expand_macro`];
//! - a build script, with [`Generator::write_to_out_dir`]:
//!
//!   ```no_run
//!   // build.rs
//!   let generator = xpay_codegen::Generator::new(xpay_codegen::Settings::new());
//!   if let Err(e) = generator.write_to_out_dir("spec/extra.yaml", "extra.rs") {
//!       eprintln!("{e}");
//!       std::process::exit(1);
//!   }
//!   ```
//!
//!   and in the crate: `mod extra { include!(concat!(env!("OUT_DIR"), "/extra.rs")); }`;
//! - committed bindings, written by `xpay spec rust SPEC` ([`Generator::rust`]).
//!
//! The generated code reaches the runtime through the path in [`Settings`] (by default
//! `::xpay_runtime`), and uses its non-public items: the generator and the runtime pin each
//! other's exact version.
#![warn(missing_docs)]

mod check;
mod diag;
#[cfg(feature = "docs")]
mod docs;
mod emit;
mod expand;
mod model;
mod names;
mod parse;
mod rule;
mod suggest;

use std::fmt;

pub use diag::{Diagnostic, Diagnostics, Pos};
pub use expand::expand_macro;

/// The id of every rule a spec can break (`unknown-type`, `name-matches-path`, …), as
/// [`Diagnostic::rule`] gives it: for tests that each rule has a case.
#[doc(hidden)]
pub const RULES: &[&str] = rule::IDS;

use proc_macro2::TokenStream;

/// Which serde traits generated types implement.
///
/// By direction, requests serialize and responses and events deserialize: what a client needs,
/// at half the compile time of both. A fake server or a test that also reads requests and
/// writes responses asks for both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Derives {
    /// Requests `Serialize`; responses, events and the envelope `Deserialize`; named objects
    /// whatever the places they are used in need.
    #[default]
    ByDirection,
    /// Every type both.
    Both,
    /// By direction, and the other direction under `#[cfg(feature = "…")]` of the crate the
    /// code is compiled in (for an API crate that offers a cargo feature; a crate without the
    /// feature would trip `unexpected_cfgs`).
    Feature(String),
}

/// How to generate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    runtime: TokenStream,
    derives: Derives,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

impl Settings {
    /// The defaults: the runtime at `::xpay_runtime`, serde derives by direction.
    pub fn new() -> Settings {
        Settings {
            runtime: quote::quote!(::xpay_runtime),
            derives: Derives::ByDirection,
        }
    }

    /// The path generated code reaches the runtime by (`::xpay`, `::xpay_runtime`, or
    /// `$crate` inside a macro). Fails when the text is not a path.
    pub fn runtime_path(mut self, path: &str) -> Result<Settings, String> {
        let parsed: syn::Path =
            syn::parse_str(path).map_err(|e| format!("`{path}` is not a path: {e}"))?;
        self.runtime = quote::ToTokens::to_token_stream(&parsed);
        Ok(self)
    }

    /// The runtime path as tokens (as a macro receives it).
    pub fn runtime_tokens(mut self, path: TokenStream) -> Settings {
        self.runtime = path;
        self
    }

    /// Which serde traits generated types implement.
    pub fn derives(mut self, derives: Derives) -> Settings {
        self.derives = derives;
        self
    }
}

/// A spec that parsed and passed every check.
#[derive(Debug, Clone)]
pub struct Spec {
    inner: model::Spec,
    file: String,
}

/// One action of a [`Spec`], as `xpay spec list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionInfo<'a> {
    /// The action's name (= the path's last segment).
    pub name: &'a str,
    /// The yansongda/pay name, if any.
    pub alias: Option<&'a str>,
    /// The URL path.
    pub path: &'a str,
    /// `pay` or `pay+user`.
    pub signing: &'static str,
}

impl Spec {
    /// Parses and checks a spec. `file` is the name errors are reported under.
    pub fn load(file: &str, source: &str) -> Result<Spec, Diagnostics> {
        let raw = parse::parse(file, source)?;
        let inner = check::check(file, source, raw)?;
        Ok(Spec {
            inner,
            file: file.to_string(),
        })
    }

    /// The file name the spec was loaded under.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The actions, in spec order.
    pub fn actions(&self) -> impl Iterator<Item = ActionInfo<'_>> {
        self.inner.actions.iter().map(|a| ActionInfo {
            name: &a.name,
            alias: a.alias.as_deref(),
            path: &a.path,
            signing: match a.signing {
                model::Signing::Pay => "pay",
                model::Signing::PayUser => "pay+user",
            },
        })
    }

    /// How many actions, named types, events and errcodes the spec declares.
    pub fn counts(&self) -> [usize; 4] {
        let s = &self.inner;
        [
            s.actions.len(),
            s.types.len(),
            s.events.len(),
            s.errors.len(),
        ]
    }

    /// The Markdown reference of the spec (`docs/ACTIONS.md`, `xpay spec docs`).
    #[cfg(feature = "docs")]
    pub fn markdown(&self) -> Result<String, String> {
        docs::render_markdown(&self.inner, &self.file)
    }
}

/// One row of a spec's errcode tables, as [`Spec::explain`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorInfo<'a> {
    /// The code.
    pub code: i64,
    /// Whether it is a code the client-side payment APIs report (else a server errcode).
    pub client: bool,
    /// Its snake_case name.
    pub name: &'a str,
    /// What it means.
    pub message: &'a str,
    /// What usually resolves it.
    pub fix: Option<&'a str>,
}

impl Spec {
    /// The rows of the spec's errcode tables (server, then client-side) for `code`.
    pub fn explain(&self, code: i64) -> Vec<ErrorInfo<'_>> {
        let server = self.inner.errors.iter().map(|e| (false, e));
        let client = self.inner.client_errors.iter().map(|e| (true, e));
        server
            .chain(client)
            .filter(|(_, e)| e.code == code)
            .map(|(client, e)| ErrorInfo {
                code: e.code,
                client,
                name: &e.name,
                message: &e.message,
                fix: e.fix.as_deref(),
            })
            .collect()
    }
}

/// Generates Rust from specs with given [`Settings`].
#[derive(Debug, Clone, Default)]
pub struct Generator {
    settings: Settings,
}

/// Why a build script could not generate.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The spec file could not be read.
    Read {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The spec has errors.
    Spec(Diagnostics),
    /// The generated code could not be formatted or written.
    Write(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Read { path, source } => write!(f, "cannot read spec `{path}`: {source}"),
            BuildError::Spec(d) => write!(f, "invalid xpay spec:\n{d}"),
            BuildError::Write(e) => write!(f, "cannot write the generated code: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

impl Generator {
    /// A generator with these settings.
    pub fn new(settings: Settings) -> Generator {
        Generator { settings }
    }

    /// The whole API of a spec as tokens.
    pub fn tokens(&self, spec: &Spec) -> TokenStream {
        emit::emit(&spec.inner, &self.settings)
    }

    /// Every part of the output separately, labelled (`action_query_order`, `events`, …):
    /// for snapshot tests.
    #[doc(hidden)]
    pub fn parts(&self, spec: &Spec) -> Vec<(String, TokenStream)> {
        emit::emit_parts(&spec.inner, &self.settings)
    }

    /// The whole API of a spec as formatted Rust source: what `xpay spec rust` prints for
    /// committed bindings.
    #[cfg(feature = "pretty")]
    pub fn rust(&self, spec: &Spec) -> Result<String, String> {
        let header = format!(
            "// Generated by xpay-codegen {} from {}. Do not edit: edit the spec and regenerate.\n\n",
            env!("CARGO_PKG_VERSION"),
            spec.file
        );
        pretty(self.tokens(spec)).map(|body| header + &body)
    }

    /// For a build script: reads `spec_path` (relative to the package root, as build scripts
    /// run there), writes the formatted API to `$OUT_DIR/<file_name>`, and tells cargo to rerun
    /// when the spec changes. Include it with
    /// `include!(concat!(env!("OUT_DIR"), "/<file_name>"))`.
    #[cfg(feature = "pretty")]
    pub fn write_to_out_dir(
        &self,
        spec_path: impl AsRef<std::path::Path>,
        file_name: &str,
    ) -> Result<std::path::PathBuf, BuildError> {
        let spec_path = spec_path.as_ref();
        println!("cargo:rerun-if-changed={}", spec_path.display());
        let shown = spec_path.display().to_string();
        let source = std::fs::read_to_string(spec_path).map_err(|source| BuildError::Read {
            path: shown.clone(),
            source,
        })?;
        let spec = Spec::load(&shown, &source).map_err(BuildError::Spec)?;
        let text = self.rust(&spec).map_err(BuildError::Write)?;
        let out_dir = std::env::var_os("OUT_DIR").ok_or_else(|| {
            BuildError::Write("OUT_DIR is not set (not in a build script?)".into())
        })?;
        let out = std::path::Path::new(&out_dir).join(file_name);
        std::fs::write(&out, text).map_err(|e| BuildError::Write(e.to_string()))?;
        Ok(out)
    }
}

/// Formats a token stream as Rust source.
#[cfg(feature = "pretty")]
pub fn pretty(tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| e.to_string())?;
    Ok(prettyplease::unparse(&file))
}
