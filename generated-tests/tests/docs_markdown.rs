//! `docs/ACTIONS.md` parsed as Markdown (as GitHub renders it), not compared as text: every
//! action section holds exactly the tables it should, with one row per field, and its
//! "Request:"/"Response" labels are paragraphs of their own. A snapshot froze output where the
//! response heading had become a row of the request table; this test would have failed on it.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;

/// What one `###` section holds once rendered.
#[derive(Debug, Default, PartialEq)]
struct Section {
    /// Body rows of each table, in order.
    tables: Vec<usize>,
    /// The text of each paragraph.
    paragraphs: Vec<String>,
}

fn sections(markdown: &str) -> BTreeMap<String, Section> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut heading: Option<String> = None;
    let mut paragraph: Option<String> = None;
    let mut in_head = false;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = (level == HeadingLevel::H3).then(String::new);
                if level <= HeadingLevel::H2 {
                    current = None;
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(name) = heading.take() {
                    out.insert(name.clone(), Section::default());
                    current = Some(name);
                }
            }
            Event::Start(Tag::Paragraph) => paragraph = Some(String::new()),
            Event::End(TagEnd::Paragraph) => {
                if let (Some(text), Some(name)) = (paragraph.take(), &current) {
                    out.get_mut(name).unwrap().paragraphs.push(text);
                }
            }
            Event::Start(Tag::Table(_)) => {
                if let Some(name) = &current {
                    out.get_mut(name).unwrap().tables.push(0);
                }
            }
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => in_head = false,
            Event::Start(Tag::TableRow) if !in_head => {
                if let Some(name) = &current {
                    *out.get_mut(name).unwrap().tables.last_mut().unwrap() += 1;
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                } else if let Some(p) = paragraph.as_mut() {
                    p.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = paragraph.as_mut() {
                    p.push('\n');
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_action_section_renders_its_own_tables() {
    let markdown =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ACTIONS.md"))
            .expect("docs/ACTIONS.md");
    let sections = sections(&markdown);
    for meta in xpay::api::SPEC.actions {
        let section = sections
            .get(meta.name)
            .unwrap_or_else(|| panic!("no section for {}", meta.name));
        // One row per field of the spec (a one_of type is one row, as in the spec).
        let mut expected = Vec::new();
        if !meta.request.is_empty() {
            expected.push(meta.request.len());
        }
        if !meta.response.is_empty() {
            expected.push(meta.response.len());
        }
        assert_eq!(section.tables, expected, "{}: rows per table", meta.name);

        let labels: Vec<&str> = section
            .paragraphs
            .iter()
            .filter(|p| p.starts_with("Request") || p.starts_with("Response"))
            .map(String::as_str)
            .collect();
        let request = if meta.request.is_empty() {
            "Request: empty object."
        } else {
            "Request:"
        };
        let response = if meta.response.is_empty() {
            "Response: only errcode / errmsg."
        } else {
            "Response (every field optional):"
        };
        assert_eq!(labels, [request, response], "{}: labels", meta.name);
        let line = format!("POST {}", meta.path);
        assert!(
            section.paragraphs.iter().any(|p| p.starts_with(&line)),
            "{}: the POST line is a paragraph of its own: {:?}",
            meta.name,
            section.paragraphs
        );
    }
}

/// The parser itself catches the fault the issue describes: a heading right after a table row
/// becomes a row of that table.
#[test]
fn the_check_would_catch_a_label_glued_to_a_table() {
    let broken = "### a\n\nRequest:\n\n| f | t |\n|---|---|\n| `x` | `int` |\nResponse (every field optional):\n\n| f | t |\n|---|---|\n| `y` | `int` |\n";
    let fixed = broken.replace("|\nResponse", "|\n\nResponse");
    assert_eq!(sections(broken)["a"].tables, [2, 1]);
    assert_eq!(sections(&fixed)["a"].tables, [1, 1]);
}
