//! A small XML element tree for pushes: parsing (quick-xml) and writing.
//!
//! Pushes are flat-ish documents of elements with text; attributes, comments, processing
//! instructions and the declaration carry nothing and are skipped. Text, CDATA (kept literal)
//! and entity or character references are concatenated into an element's text.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, Event};
use std::borrow::Cow;

use super::Format;
use super::error::CallbackError;

/// How deep elements may nest; deeper documents are rejected (no push comes close).
pub(crate) const MAX_DEPTH: usize = 32;

/// One XML element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Element {
    /// The tag name as written (prefix included).
    pub name: String,
    /// The concatenated text, CDATA and references directly inside it.
    pub text: String,
    /// Its child elements, in order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Parses a document into its root element. `what` names the document in errors.
pub(crate) fn parse(text: &str, what: &'static str) -> Result<Element, CallbackError> {
    let err = |message: String| CallbackError::malformed(Format::Xml, what, message);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| err(format!("{e} (at byte {})", reader.error_position())))?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                if root.is_some() {
                    return Err(err("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(format!(
                        "elements nested deeper than {MAX_DEPTH} levels"
                    )));
                }
                let name = std::str::from_utf8(start.name().as_ref())
                    .map_err(|_| err("tag name is not UTF-8".into()))?
                    .to_string();
                let element = Element {
                    name,
                    ..Element::default()
                };
                if is_empty {
                    close(element, &mut stack, &mut root);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => match stack.pop() {
                Some(element) => close(element, &mut stack, &mut root),
                None => return Err(err("closing tag without an opening tag".into())),
            },
            Event::Text(t) => {
                let content = t.xml10_content().map_err(|e| err(e.to_string()))?;
                append_text(&mut stack, &content, &err)?;
            }
            Event::CData(c) => {
                let content = c.xml10_content().map_err(|e| err(e.to_string()))?;
                append_text(&mut stack, &content, &err)?;
            }
            Event::GeneralRef(r) => {
                let resolved = resolve_reference(&r).map_err(err)?;
                append_text(&mut stack, &resolved, &err)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(err(format!(
            "unexpected end of document: `<{}>` is not closed",
            open.name
        )));
    }
    root.ok_or_else(|| err("no root element".into()))
}

/// The text of a character or entity reference (`&#60;`, `&amp;`): only the predefined
/// entities exist in a push. Shared by the tree parser and the streaming reader
/// ([`xml_de`](super::xml_de)), so both read references alike.
pub(crate) fn resolve_reference(r: &BytesRef<'_>) -> Result<Cow<'static, str>, String> {
    if r.is_char_ref() {
        match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(Cow::Owned(c.to_string())),
            Ok(None) | Err(_) => Err(format!(
                "invalid character reference `&{};`",
                String::from_utf8_lossy(r)
            )),
        }
    } else {
        let name = r.decode().map_err(|e| e.to_string())?;
        resolve_predefined_entity(&name)
            .map(Cow::Borrowed)
            .ok_or_else(|| format!("unknown entity `&{name};`"))
    }
}

fn close(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn append_text(
    stack: &mut [Element],
    text: &str,
    err: &impl Fn(String) -> CallbackError,
) -> Result<(), CallbackError> {
    match stack.last_mut() {
        Some(top) => {
            top.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(err("text outside the root element".into())),
    }
}

/// Whether `name` can be written as an XML tag name.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
}

/// Appends `text` as one or more CDATA sections (`]]>` is split across two).
pub(crate) fn write_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    out.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(name: &str, text: &str) -> Element {
        Element {
            name: name.into(),
            text: text.into(),
            children: vec![],
        }
    }

    #[test]
    fn cdata_entities_and_empty_elements() {
        let doc = "<?xml version=\"1.0\"?>\n<xml>\n  <A><![CDATA[a&b<c>]]></A>\n  <B>x&amp;y&#60;&#x3E;</B><C/><D></D>\n  <!-- c --><E a=\"1\"> sp </E></xml>\n";
        let root = parse(doc, "message");
        assert_eq!(
            root,
            Ok(Element {
                name: "xml".into(),
                text: "\n  \n  \n  ".into(),
                children: vec![
                    leaf("A", "a&b<c>"),
                    leaf("B", "x&y<>"),
                    leaf("C", ""),
                    leaf("D", ""),
                    leaf("E", " sp "),
                ],
            })
        );
    }

    #[test]
    fn nested_and_split_cdata() {
        let root = parse(
            "<xml><O><P>1</P><Q><![CDATA[a]]]]><![CDATA[>b]]></Q></O></xml>",
            "message",
        );
        let q = root
            .as_ref()
            .ok()
            .and_then(|r| r.child("O"))
            .and_then(|o| o.child("Q"));
        assert_eq!(q.map(|q| q.text.as_str()), Some("a]]>b"));
    }

    #[test]
    fn malformed_documents() {
        for (doc, needle) in [
            ("", "no root"),
            ("<xml><A>1</A>", "not closed"),
            ("<xml><A>1</B></xml>", ""),
            ("<xml></xml><xml></xml>", "after the root"),
            ("junk<xml/>", "outside the root"),
            ("<xml>&foo;</xml>", "unknown entity"),
            ("<xml>&#0;</xml>", "character reference"),
            ("</xml>", ""),
        ] {
            match parse(doc, "message") {
                Err(CallbackError::Malformed {
                    format: Format::Xml,
                    what: "message",
                    message,
                }) => assert!(message.contains(needle), "{doc}: {message}"),
                other => panic!("{doc}: expected malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn depth_is_limited() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(matches!(
            parse(&deep, "message"),
            Err(CallbackError::Malformed { message, .. }) if message.contains("deeper")
        ));
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(&ok, "message").is_ok());
    }

    #[test]
    fn names_and_cdata_writing() {
        assert!(is_valid_name("ErrCode"));
        assert!(is_valid_name("result_code"));
        assert!(is_valid_name("xml"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("1a"));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name("a<"));
        let mut out = String::new();
        write_cdata(&mut out, "x]]>y");
        assert_eq!(out, "<![CDATA[x]]]]><![CDATA[>y]]>");
        let root = parse(&format!("<xml>{out}</xml>"), "message");
        assert_eq!(root.map(|r| r.text), Ok("x]]>y".to_string()));
    }
}
