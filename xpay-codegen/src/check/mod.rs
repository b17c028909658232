//! Stage 2: check. Every rule of the schema (`spec/README.md`) is a small function over the
//! raw parse, grouped by topic in this folder; each reports what breaks it, located and under
//! the rule's id, and all of them run, so one pass shows every problem. Only a spec that
//! breaks no rule is turned into the model (`build.rs`), which the emitter trusts.
//!
//! A rule that needs what another rule checks (a field's type, a recognised `fill:`) skips
//! what that rule reports, so that one mistake is one error.

mod actions;
mod build;
mod events;
mod fields;
mod graph;
mod limits;
mod names;
mod payments;
mod sources;
mod spec;
mod table;
mod types;

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::model::Spec;
use crate::parse::RawSpec;
use crate::rule::Rule;
use serde_saphyr::Spanned;
use table::Table;

/// Checks a parsed spec, collecting every error, and builds the model when there is none.
pub(crate) fn check(file: &str, source: &str, raw: RawSpec) -> Result<Spec, Diagnostics> {
    let mut cx = Cx {
        diags: Diagnostics::new(file, source),
        table: Table::new(&raw),
    };
    spec::check(&mut cx, &raw);
    types::check(&mut cx, &raw);
    actions::check(&mut cx, &raw);
    payments::check(&mut cx, &raw);
    events::check(&mut cx, &raw);
    spec::check_errcodes(&mut cx, &raw);
    graph::check(&mut cx, &raw);
    if cx.diags.is_empty() {
        Ok(build::spec(&raw, &cx.table))
    } else {
        let mut diags = cx.diags;
        diags.sort();
        Err(diags)
    }
}

/// What the rules share: the diagnostics so far and the spec's named types.
struct Cx<'a> {
    diags: Diagnostics,
    table: Table<'a>,
}

impl Cx<'_> {
    /// Where a parsed value is.
    fn at<T>(&self, value: &Spanned<T>) -> Loc {
        Loc::of(value, self.diags.source())
    }

    /// The part of a plain scalar's text at `range` (bytes of `value`), or all of it.
    fn part(&self, value: &Spanned<String>, range: std::ops::Range<usize>) -> Loc {
        self.at(value)
            .part(self.diags.source(), &value.value, range)
    }

    /// Reports a problem; the returned diagnostic takes a suggestion.
    fn error(&mut self, rule: Rule, at: Loc, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(rule, at, message)
    }
}
