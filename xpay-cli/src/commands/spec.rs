//! `xpay spec list|check|docs|rust`: the built-in spec (`xpay::api::SPEC`, `xpay::SPEC_YAML`)
//! or a spec file, parsed and checked by `xpay_codegen::Spec::load`.
//!
//! `check` prints the generator's full located report (file:line:column, the line with the
//! offending text underlined, the rule, a suggestion) because that report is what the command
//! is for; `list`, `docs` and `rust` on a broken file fail with a one-line summary pointing
//! at `xpay spec check`.

use crate::cli::{SpecCheckArgs, SpecCommand, SpecDocsArgs, SpecListArgs, SpecRustArgs};
use crate::error::Failure;
use crate::output;
use serde::Serialize;
use std::path::Path;
use xpay_codegen::{Derives, Diagnostics, Generator, Settings, Spec};

/// The file name the built-in spec is reported under.
pub const BUILTIN_FILE: &str = "spec/xpay.yaml";

/// Runs a `spec` subcommand.
pub fn run(cmd: SpecCommand) -> Result<(), Failure> {
    match cmd {
        SpecCommand::List(args) => list(args),
        SpecCommand::Check(args) => check(args),
        SpecCommand::Docs(args) => docs(args),
        SpecCommand::Rust(args) => rust(args),
    }
}

/// One row of `xpay spec list`.
#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    alias: Option<&'a str>,
    path: &'a str,
    signing: &'a str,
}

fn list(args: SpecListArgs) -> Result<(), Failure> {
    let json = match args.spec {
        None => {
            let rows: Vec<Row<'_>> = xpay::api::SPEC
                .actions
                .iter()
                .map(|a| Row {
                    name: a.name,
                    alias: a.alias,
                    path: a.path,
                    signing: a.signing.as_str(),
                })
                .collect();
            serde_json::to_string(&rows)
        }
        Some(path) => {
            let spec = load_file(&path)?;
            let rows: Vec<Row<'_>> = spec
                .actions()
                .map(|a| Row {
                    name: a.name,
                    alias: a.alias,
                    path: a.path,
                    signing: a.signing,
                })
                .collect();
            serde_json::to_string(&rows)
        }
    }
    .map_err(|e| Failure::msg(format_args!("cannot serialize the action list: {e}")))?;
    output::line(json.as_bytes())
}

fn check(args: SpecCheckArgs) -> Result<(), Failure> {
    let (file, source) = read(&args.path)?;
    match Spec::load(&file, &source) {
        Ok(spec) => {
            let [actions, types, events, errors] = spec.counts();
            let line = format!(
                "ok: {}, {}, {}, {} in {file}",
                count(actions, "action"),
                count(types, "type"),
                count(events, "event"),
                count(errors, "errcode"),
            );
            output::line(line.as_bytes())
        }
        Err(diagnostics) => Err(Failure::Report(diagnostics.to_string())),
    }
}

fn docs(args: SpecDocsArgs) -> Result<(), Failure> {
    let spec = load_or_builtin(args.path.as_deref())?;
    let markdown = spec.markdown().map_err(|e| {
        Failure::msg(format_args!(
            "cannot render the docs of {}: {e}",
            spec.file()
        ))
    })?;
    output::text(&markdown)
}

fn rust(args: SpecRustArgs) -> Result<(), Failure> {
    let spec = load_or_builtin(args.path.as_deref())?;
    let settings = Settings::new()
        .runtime_path(&args.runtime)
        .map_err(|e| Failure::msg(format_args!("--runtime: {e}")))?
        .derives(if args.roundtrip {
            Derives::Both
        } else {
            Derives::ByDirection
        });
    let code = Generator::new(settings).rust(&spec).map_err(|e| {
        Failure::msg(format_args!(
            "cannot format the code of {}: {e}",
            spec.file()
        ))
    })?;
    output::text(&code)
}

/// The spec at `path`, or the built-in one.
fn load_or_builtin(path: Option<&Path>) -> Result<Spec, Failure> {
    match path {
        Some(path) => load_file(path),
        None => Spec::load(BUILTIN_FILE, xpay::SPEC_YAML)
            .map_err(|d| Failure::msg(format_args!("the built-in spec: {}", summary(&d)))),
    }
}

/// Reads a spec file: its name as given on the command line, and its text.
fn read(path: &Path) -> Result<(String, String), Failure> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path)
        .map_err(|e| Failure::msg(format_args!("cannot read {file}: {e}")))?;
    Ok((file, source))
}

/// Reads, parses and checks a spec file; a broken one fails with a one-line summary.
fn load_file(path: &Path) -> Result<Spec, Failure> {
    let (file, source) = read(path)?;
    Spec::load(&file, &source).map_err(|d| Failure::msg(summary(&d)))
}

/// `file:line:col: message`, and how many more problems `xpay spec check` would show.
fn summary(d: &Diagnostics) -> String {
    // A located problem says more than one the generator could not place.
    let located = d.items.iter().find(|i| i.pos.line > 0);
    let Some(first) = located.or(d.first()) else {
        return format!("{}: invalid spec", d.file);
    };
    let more = match d.items.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more; run `xpay spec check {}`)", n - 1, d.file),
    };
    format!(
        "{}:{}:{}: {}{more}",
        d.file, first.pos.line, first.pos.column, first.message
    )
}

/// `1 action`, `37 actions`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
