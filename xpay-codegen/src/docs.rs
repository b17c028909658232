//! The Markdown reference of a spec (`docs/ACTIONS.md`, `xpay spec docs`), rendered with
//! minijinja from `templates/actions.md.j2`.

use crate::model::Spec;
use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, Value, context};

const TEMPLATE: &str = include_str!("../templates/actions.md.j2");

/// Renders the Markdown reference of a checked spec. `file` names the spec in the header.
pub fn render_markdown(spec: &Spec, file: &str) -> Result<String, String> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .build()
        .map_err(|e| e.to_string())?;
    env.set_syntax(syntax);
    env.add_template("actions.md", TEMPLATE)
        .map_err(|e| e.to_string())?;
    let tmpl = env.get_template("actions.md").map_err(|e| e.to_string())?;
    let out = tmpl
        .render(context! { spec => Value::from(minijinja::value::Serde(spec)), file => file })
        .map_err(|e| format!("{e:#}"))?;
    // Collapse runs of blank lines the template's conditionals leave.
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    Ok(text)
}
