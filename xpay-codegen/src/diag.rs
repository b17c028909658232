//! Located errors about a spec file, rendered like rustc's: message, `--> file:line:col`,
//! and the offending line with a caret.

use std::fmt;

/// A position in the spec file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Pos {
    /// Line, from 1 (0 when unknown).
    pub line: u32,
    /// Column, from 1 (0 when unknown).
    pub column: u32,
}

impl Pos {
    pub(crate) fn from_location(loc: &serde_saphyr::Location) -> Pos {
        Pos {
            line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
            column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
        }
    }
}

/// One problem in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where it is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
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

    pub(crate) fn push(&mut self, pos: Pos, message: impl Into<String>) {
        self.items.push(Diagnostic {
            pos,
            message: message.into(),
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The first problem's position (for a one-line summary).
    pub fn first(&self) -> Option<&Diagnostic> {
        self.items.first()
    }

    fn snippet(&self, f: &mut fmt::Formatter<'_>, pos: Pos) -> fmt::Result {
        if pos.line == 0 {
            return Ok(());
        }
        let Some(text) = self.source.lines().nth(pos.line as usize - 1) else {
            return Ok(());
        };
        let number = pos.line.to_string();
        let gutter = " ".repeat(number.len());
        // The caret goes under the column, counted in characters.
        let lead: String = text
            .chars()
            .take(pos.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {text}")?;
        writeln!(f, "{gutter} | {lead}^")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "error: {}", d.message)?;
            writeln!(f, "  --> {}:{}:{}", self.file, d.pos.line, d.pos.column)?;
            self.snippet(f, d.pos)?;
        }
        if self.items.len() > 1 {
            write!(f, "\n{} errors in {}", self.items.len(), self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
