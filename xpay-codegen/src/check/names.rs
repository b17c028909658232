//! Rules about names and words, shared by every part of the spec: the case a name needs, a
//! name declared twice, and a key that takes one of a few words.

use super::Cx;
use crate::diag::Loc;
use crate::diag::Pos;
use crate::names::{is_keyword, is_pascal_ident, is_path_keyword, is_snake_ident};
use crate::rule::Rule;
use crate::suggest::did_you_mean;
use serde_saphyr::Spanned;
use std::collections::HashMap;

/// The case a spec name must have to become the Rust item it names.
#[derive(Clone, Copy)]
pub(super) enum Case {
    /// A type or variant: `PascalCase`.
    Pascal,
    /// A snake_case word (an errcode's name, a payment kind or mode).
    Snake,
    /// A snake_case identifier that may be a keyword (a field, written `r#type` in Rust).
    SnakeIdent,
    /// A snake_case identifier that is not a keyword (a method or function name).
    SnakeNoKeyword,
}

impl Case {
    fn fits(self, name: &str) -> bool {
        match self {
            Case::Pascal => is_pascal_ident(name),
            Case::Snake | Case::SnakeIdent => is_snake_ident(name),
            Case::SnakeNoKeyword => is_snake_ident(name) && !is_keyword(name),
        }
    }

    fn words(self) -> &'static str {
        match self {
            Case::Pascal => "PascalCase",
            Case::Snake => "snake_case",
            Case::SnakeIdent | Case::SnakeNoKeyword => "a snake_case identifier",
        }
    }
}

/// `name-case`: every name in the spec becomes a Rust item (a type, variant, function or
/// field), so it must already be an identifier in the case Rust gives that item; the generator
/// does not rename behind the author's back. `what` says whose name it is (`type name`).
/// Returns whether the name fits.
pub(super) fn name_case(cx: &mut Cx<'_>, name: &Spanned<String>, what: &str, case: Case) -> bool {
    if case.fits(&name.value) {
        let at = cx.at(name);
        return path_keyword(cx, at, &name.value, what);
    }
    let at = cx.at(name);
    cx.error(
        Rule::NameCase,
        at,
        format!("{what} `{}` must be {}", name.value, case.words()),
    );
    false
}

/// `reserved-name`: `self`, `Self`, `super` and `crate` are keywords that not even `r#` turns
/// into a name, so no field, type, variant or event may be called that, whether the name is
/// written or derived from a wire name. `what` says whose name it is. Returns whether the name
/// is usable.
pub(super) fn path_keyword(cx: &mut Cx<'_>, at: Loc, name: &str, what: &str) -> bool {
    if !is_path_keyword(name) {
        return true;
    }
    cx.error(
        Rule::ReservedName,
        at,
        format!("{what} `{name}` is a Rust keyword that cannot be a name, not even as `r#{name}`; add or change `rust_name:`"),
    );
    false
}

/// The names (or values) seen so far in one namespace, with where each was first declared.
#[derive(Default)]
pub(super) struct Seen(HashMap<String, Pos>);

impl Seen {
    /// Records `name` at `at`; the first declaration's position when it was seen before.
    pub(super) fn first(&mut self, name: &str, at: Pos) -> Option<Pos> {
        match self.0.get(name) {
            Some(first) => Some(*first),
            None => {
                self.0.insert(name.to_string(), at);
                None
            }
        }
    }

    /// Whether `name` was seen.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// `duplicate-name`: one name, one thing. Two actions, aliases, payment kinds, events,
/// errcodes or variants of one name would make two Rust items of one name, or a lookup by name
/// (`xpay call NAME`, `xpay explain`) that finds the wrong one. `message` is given the line of
/// the first declaration.
pub(super) fn duplicate_name(
    cx: &mut Cx<'_>,
    seen: &mut Seen,
    name: &Spanned<String>,
    message: impl FnOnce(u32) -> String,
) {
    let at = cx.at(name);
    if let Some(first) = seen.first(&name.value, at.pos) {
        cx.error(Rule::DuplicateName, at, message(first.line));
    }
}

/// `unknown-choice`: keys such as `signing:`, `retry:`, `fill:`, `reply:` and `enum:` take
/// one of a few words; any other word would have to be guessed at, so it is refused, with the
/// nearest word suggested. Returns the index of the word given, when it is one of `words`.
pub(super) fn unknown_choice(
    cx: &mut Cx<'_>,
    value: &Spanned<String>,
    words: &[&str],
    message: impl FnOnce(&str) -> String,
) -> Option<usize> {
    if let Some(i) = words.iter().position(|w| *w == value.value) {
        return Some(i);
    }
    let at = cx.at(value);
    let help = did_you_mean(&value.value, words.iter().copied());
    cx.error(Rule::UnknownChoice, at, message(&value.value))
        .suggest(help);
    None
}
