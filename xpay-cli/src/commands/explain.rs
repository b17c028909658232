//! `xpay explain CODE`: what a code means and what usually fixes it, from the spec's tables:
//! the server errcodes and the codes the client-side payment APIs report to the mini program.
//! A code in both tables (-1) gets both rows; a code in neither is an error.

use crate::cli::ExplainArgs;
use crate::error::Failure;
use crate::output;
use serde::Serialize;
use xpay_codegen::Spec;

#[derive(Serialize)]
struct Row<'a> {
    code: i64,
    kind: &'static str,
    name: &'a str,
    meaning: &'a str,
    fix: Option<&'a str>,
}

/// Prints the rows for the code.
pub fn run(args: ExplainArgs) -> Result<(), Failure> {
    let json = match &args.spec {
        None => {
            let spec = &xpay::api::SPEC;
            let rows: Vec<Row<'_>> = [
                ("server", spec.error(args.code)),
                ("client", spec.client_error(args.code)),
            ]
            .into_iter()
            .filter_map(|(kind, e)| {
                e.map(|e| Row {
                    code: e.code,
                    kind,
                    name: e.name,
                    meaning: e.message,
                    fix: e.fix,
                })
            })
            .collect();
            render(args.code, &rows)?
        }
        Some(path) => {
            let file = path.display().to_string();
            let source = std::fs::read_to_string(path)
                .map_err(|e| Failure::msg(format_args!("cannot read {file}: {e}")))?;
            let spec = Spec::load(&file, &source).map_err(|_| {
                Failure::msg(format_args!(
                    "{file} is not a valid spec; run `xpay spec check {file}`"
                ))
            })?;
            let found = spec.explain(args.code);
            let rows: Vec<Row<'_>> = found
                .iter()
                .map(|e| Row {
                    code: e.code,
                    kind: if e.client { "client" } else { "server" },
                    name: e.name,
                    meaning: e.message,
                    fix: e.fix,
                })
                .collect();
            render(args.code, &rows)?
        }
    };
    output::json(&json)
}

fn render(code: i64, rows: &[Row<'_>]) -> Result<String, Failure> {
    if rows.is_empty() {
        return Err(Failure::msg(format_args!(
            "{code} is not in the spec's errcode table nor its table of client-side codes"
        )));
    }
    serde_json::to_string(rows)
        .map_err(|e| Failure::msg(format_args!("cannot serialize the explanation: {e}")))
}
