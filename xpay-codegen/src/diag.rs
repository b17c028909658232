//! Located errors about a spec file, rendered like rustc's with annotate-snippets: the rule's
//! id and the message, `--> file:line:col`, the offending text underlined whole, and a
//! suggestion when there is one.

use crate::rule::Rule;
use annotate_snippets::{AnnotationKind, Level, Origin, Renderer, Snippet};
use serde_saphyr::{Location, Spanned};
use std::fmt;
use std::ops::Range;

/// A position in the spec file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1 (0 when unknown).
    pub line: u32,
    /// Column, from 1, in characters (0 when unknown).
    pub column: u32,
}

impl Pos {
    pub(crate) fn from_location(loc: &Location) -> Pos {
        Pos {
            line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
            column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
        }
    }
}

/// Where a diagnostic points: where the offending text starts, and its bytes in the source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Loc {
    pub(crate) pos: Pos,
    pub(crate) bytes: Range<usize>,
}

impl Loc {
    /// The text a parsed value came from. A value that is a whole block mapping or sequence
    /// (which the parser locates at its first entry, without a length) points at that first
    /// line; a flow `[…]` or `{…}` at all of it.
    pub(crate) fn of<T>(value: &Spanned<T>, source: &str) -> Loc {
        Loc::at(&value.referenced, source)
    }

    /// The text at a parser location.
    pub(crate) fn at(location: &Location, source: &str) -> Loc {
        let pos = Pos::from_location(location);
        let span = location.span();
        let bytes = match (span.byte_offset(), span.byte_len()) {
            (Some(start), Some(len)) => {
                let start = usize::try_from(start).unwrap_or(usize::MAX);
                start..start.saturating_add(usize::try_from(len).unwrap_or(0))
            }
            _ => offset_of(source, pos).map_or(0..0, |o| o..o),
        };
        if !valid(source, &bytes) {
            let start = offset_of(source, pos).unwrap_or(0);
            return Loc {
                pos,
                bytes: start..start,
            };
        }
        Loc {
            pos,
            bytes: widen(source, bytes),
        }
    }

    /// The part `range` (bytes of `written`) of this location, when this location's text is
    /// `written`, plain or quoted without escapes; else this location whole.
    pub(crate) fn part(&self, source: &str, written: &str, range: Range<usize>) -> Loc {
        let text = source.get(self.bytes.clone()).unwrap_or("");
        let quoted = |q: char| {
            text.len() == written.len() + 2
                && text.starts_with(q)
                && text.ends_with(q)
                && &text[1..text.len() - 1] == written
        };
        let lead = if text == written {
            0
        } else if quoted('"') || quoted('\'') {
            1
        } else {
            return self.clone();
        };
        if range.end > written.len() || !valid(written, &range) {
            return self.clone();
        }
        let skipped = text[..lead + range.start].chars().count();
        Loc {
            pos: Pos {
                line: self.pos.line,
                column: self
                    .pos
                    .column
                    .saturating_add(u32::try_from(skipped).unwrap_or(0)),
            },
            bytes: self.bytes.start + lead + range.start..self.bytes.start + lead + range.end,
        }
    }
}

/// Whether `range` is a slice of `source` on character boundaries.
fn valid(source: &str, range: &Range<usize>) -> bool {
    range.start <= range.end && source.get(range.clone()).is_some()
}

/// The byte offset of a 1-based line and character column.
fn offset_of(source: &str, pos: Pos) -> Option<usize> {
    let line = usize::try_from(pos.line).ok()?.checked_sub(1)?;
    let column = usize::try_from(pos.column).ok()?.saturating_sub(1);
    let start: usize = source.split_inclusive('\n').take(line).map(str::len).sum();
    let text = source.get(start..)?.lines().next().unwrap_or("");
    let within = text
        .char_indices()
        .nth(column)
        .map_or(text.len(), |(i, _)| i);
    Some(start + within)
}

/// A container's whole text: the parser gives a flow collection its opening bracket only, and
/// a block collection no length at all.
fn widen(source: &str, bytes: Range<usize>) -> Range<usize> {
    let rest = &source[bytes.start..];
    match (bytes.len(), rest.chars().next()) {
        (0, _) => {
            let line = rest.lines().next().unwrap_or("").trim_end();
            bytes.start..bytes.start + line.len()
        }
        (1, Some('[' | '{')) => match closing(rest) {
            Some(len) => bytes.start..bytes.start + len,
            None => bytes,
        },
        _ => bytes,
    }
}

/// The length of the flow collection `text` starts with, up to its closing bracket.
fn closing(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// One problem in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Where it is.
    pub pos: Pos,
    /// The id of the rule it breaks (`unknown-type`); see [`RULES`](crate::RULES).
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
    /// The offending text, as a byte range of the source (empty when it has no length).
    pub span: Range<usize>,
    /// A suggestion (`` did you mean `string`? ``).
    pub help: Option<String>,
}

impl Diagnostic {
    /// Adds a suggestion, if there is one.
    pub(crate) fn suggest(&mut self, help: Option<String>) {
        self.help = help;
    }
}

/// Every problem found in one spec file, with what is needed to render them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The file name as the user knows it.
    pub file: String,
    /// The problems, in file order.
    pub items: Vec<Diagnostic>,
    source: String,
}

impl Diagnostics {
    pub(crate) fn new(file: &str, source: &str) -> Diagnostics {
        Diagnostics {
            file: file.to_string(),
            items: Vec::new(),
            source: source.to_string(),
        }
    }

    /// The source text the diagnostics point into.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// Records a problem; the returned diagnostic takes a suggestion.
    pub(crate) fn push(
        &mut self,
        rule: Rule,
        at: Loc,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.items.push(Diagnostic {
            pos: at.pos,
            rule: rule.id(),
            message: message.into(),
            span: at.bytes,
            help: None,
        });
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Puts the problems in file order (those without a position first).
    pub(crate) fn sort(&mut self) {
        self.items.sort_by_key(|d| d.pos);
    }

    /// The first problem's position (for a one-line summary).
    pub fn first(&self) -> Option<&Diagnostic> {
        self.items.first()
    }

    fn render(&self, d: &Diagnostic) -> String {
        let title = Level::ERROR.primary_title(&d.message).id(d.rule);
        let located = d.pos.line > 0 && valid(&self.source, &d.span);
        let mut group = if located {
            title.element(
                Snippet::source(&self.source)
                    .path(&self.file)
                    .annotation(AnnotationKind::Primary.span(d.span.clone())),
            )
        } else {
            title.element(Origin::path(&self.file))
        };
        if let Some(help) = &d.help {
            group = group.element(Level::HELP.message(help));
        }
        Renderer::plain().render(&[group])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{}", self.render(d))?;
        }
        if self.items.len() > 1 {
            write!(f, "\n{} errors in {}", self.items.len(), self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
