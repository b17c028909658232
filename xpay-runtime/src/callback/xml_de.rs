//! A serde `Deserializer` straight over XML text, for the one-pass typed read of a push: the
//! quick-xml events are read as they come, with no element tree in between. An element with
//! children is a map of them; one without is its text, borrowed from the document when no
//! reference or line ending had to be rewritten.
//!
//! It reads exactly what the general path's tree ([`xml::parse`](super::xml::parse)) reads, and
//! gives up ([`GIVE_UP`]) wherever that path must decide: a list or a repeated name, a
//! document the tree parser would refuse (bad nesting, an unknown entity, text or a second
//! element outside the root, nesting deeper than [`MAX_DEPTH`]). The differential test in
//! `xpay/tests/push_paths.rs` holds the two paths to the same answers.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::xml::{MAX_DEPTH, resolve_reference};
use crate::de::GIVE_UP;

type Error = de::value::Error;

fn give_up() -> Error {
    de::Error::custom(GIVE_UP)
}

/// Reads the root element of `text` as a map with `visitor`, then checks that nothing but
/// whitespace, comments and processing instructions follow it.
pub(crate) fn read_root<'de, V: Visitor<'de>>(
    text: &'de str,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut de = XmlReader {
        text,
        reader: Reader::from_str(text),
        peeked: None,
        depth: 0,
    };
    loop {
        match de.next()? {
            Event::Start(_) => break,
            Event::Text(t) if is_blank(&t) => {}
            // An empty root (`<xml/>`) has no entries: a push without `Event`, for the general
            // path, as is anything else before the root.
            _ => return Err(give_up()),
        }
    }
    de.depth = 1;
    let value = visitor.visit_map(Entries::new(&mut de))?;
    loop {
        match de.next()? {
            Event::Eof => return Ok(value),
            Event::Text(t) if is_blank(&t) => {}
            _ => return Err(give_up()),
        }
    }
}

/// The document being read: the reader, one event of lookahead, and the current depth.
struct XmlReader<'de> {
    text: &'de str,
    reader: Reader<&'de [u8]>,
    peeked: Option<Event<'de>>,
    depth: usize,
}

impl<'de> XmlReader<'de> {
    /// The next event that carries anything (comments, the declaration, processing
    /// instructions and doctypes are skipped, as the tree parser skips them).
    fn next(&mut self) -> Result<Event<'de>, Error> {
        if let Some(event) = self.peeked.take() {
            return Ok(event);
        }
        loop {
            match self.reader.read_event() {
                Ok(Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_)) => {}
                Ok(event) => return Ok(event),
                Err(_) => return Err(give_up()),
            }
        }
    }

    /// An element's name, borrowed from the document (the reader's events point into it).
    fn name(&self, start: &BytesStart<'_>) -> Result<&'de str, Error> {
        let raw = start.name();
        let raw = raw.as_ref();
        let at = (raw.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        self.text
            .get(at..at.wrapping_add(raw.len()))
            .filter(|name| name.as_bytes() == raw)
            .ok_or_else(give_up)
    }

    /// One level deeper, within the limit.
    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(give_up());
        }
        Ok(())
    }
}

fn is_blank(text: &quick_xml::events::BytesText<'_>) -> bool {
    text.iter().all(u8::is_ascii_whitespace)
}

/// A reference's text, resolved as the tree parser resolves it.
fn resolve(r: &BytesRef<'_>) -> Result<Cow<'static, str>, Error> {
    resolve_reference(r).map_err(|_| give_up())
}

/// Text read piece by piece: borrowed while it is one piece, owned once joined.
fn append<'de>(text: &mut Cow<'de, str>, piece: Cow<'de, str>) {
    if text.is_empty() {
        *text = piece;
    } else {
        text.to_mut().push_str(&piece);
    }
}

/// The value of an element whose start tag was just read: its text, or a map of its children.
struct ElementValue<'a, 'de> {
    de: &'a mut XmlReader<'de>,
    /// `<Name/>`: no content, no end tag.
    empty: bool,
}

impl<'de> Deserializer<'de> for ElementValue<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.empty {
            return visitor.visit_borrowed_str("");
        }
        let mut text: Cow<'de, str> = Cow::Borrowed("");
        loop {
            match self.de.next()? {
                Event::Text(t) => append(&mut text, t.xml10_content().map_err(|_| give_up())?),
                Event::CData(c) => append(&mut text, c.xml10_content().map_err(|_| give_up())?),
                Event::GeneralRef(r) => append(&mut text, resolve(&r)?),
                Event::End(_) => {
                    self.de.depth -= 1;
                    return match text {
                        Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                        Cow::Owned(s) => visitor.visit_string(s),
                    };
                }
                // A child: the element is a map of its children, and its own text (the
                // whitespace between them) is dropped, as the tree does.
                child @ (Event::Start(_) | Event::Empty(_)) => {
                    self.de.peeked = Some(child);
                    return visitor.visit_map(Entries::new(self.de));
                }
                _ => return Err(give_up()),
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(give_up())
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Error> {
        Err(give_up())
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct tuple_struct
        map struct enum identifier ignored_any
    }
}

/// The children of the element being read, as map entries in order, up to its end tag; a
/// repeated name gives up.
struct Entries<'a, 'de> {
    de: &'a mut XmlReader<'de>,
    seen: Vec<&'de str>,
    /// Whether the child whose name was just read is `<Name/>`.
    empty: bool,
}

impl<'a, 'de> Entries<'a, 'de> {
    fn new(de: &'a mut XmlReader<'de>) -> Self {
        Self {
            de,
            seen: Vec::new(),
            empty: false,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        loop {
            let (start, empty) = match self.de.next()? {
                Event::Start(start) => (start, false),
                Event::Empty(start) => (start, true),
                Event::End(_) => {
                    self.de.depth -= 1;
                    return Ok(None);
                }
                // Text between children is dropped, but must be well-formed, as for the tree.
                Event::Text(t) => {
                    t.xml10_content().map_err(|_| give_up())?;
                    continue;
                }
                Event::CData(c) => {
                    c.xml10_content().map_err(|_| give_up())?;
                    continue;
                }
                Event::GeneralRef(r) => {
                    resolve(&r)?;
                    continue;
                }
                _ => return Err(give_up()),
            };
            let name = self.de.name(&start)?;
            if self.seen.contains(&name) {
                return Err(give_up());
            }
            self.seen.push(name);
            // `<Name/>` counts towards the depth too, as in the tree; it has no end tag to
            // leave by.
            self.de.enter()?;
            if empty {
                self.de.depth -= 1;
            }
            self.empty = empty;
            return seed
                .deserialize(de::value::BorrowedStrDeserializer::new(name))
                .map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(ElementValue {
            de: self.de,
            empty: self.empty,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// What the streaming reader makes of a document, as JSON (text as strings, children as
    /// objects); `None` where it gives up.
    fn read(doc: &str) -> Option<Value> {
        struct AsJson;
        impl<'de> Visitor<'de> for AsJson {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a document")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v: Value = map.next_value_seed(Json)?;
                    out.insert(k, v);
                }
                Ok(Value::Object(out))
            }
        }
        struct Json;
        impl<'de> DeserializeSeed<'de> for Json {
            type Value = Value;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Value;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("text or children")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                        Ok(Value::String(v.into()))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
                        AsJson.visit_map(map)
                    }
                }
                d.deserialize_any(V)
            }
        }
        read_root(doc, AsJson).ok()
    }

    #[test]
    fn reads_what_the_tree_reads() {
        let doc = "<?xml version=\"1.0\"?>\n<xml>\n  <A><![CDATA[a&b<c>]]></A>\n  <B>x&amp;y&#60;&#x3E;</B><C/><D></D>\n  <!-- c --><E a=\"1\"> sp </E><O> t <P>1</P> u <Q><![CDATA[a]]]]><![CDATA[>b]]></Q></O></xml>\n";
        assert_eq!(
            read(doc),
            Some(serde_json::json!({
                "A": "a&b<c>", "B": "x&y<>", "C": "", "D": "", "E": " sp ",
                "O": {"P": "1", "Q": "a]]>b"},
            }))
        );
    }

    #[test]
    fn gives_up_where_the_general_path_decides() {
        let deep = format!(
            "<xml>{}{}</xml>",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        let deep_empty = format!(
            "<xml>{}<b/>{}</xml>",
            "<a>".repeat(MAX_DEPTH - 1),
            "</a>".repeat(MAX_DEPTH - 1)
        );
        for doc in [
            deep_empty.as_str(),
            "<xml><A>1</A><A>2</A></xml>",
            "<xml><O><P>1</P><P>2</P></O></xml>",
            "<xml><A>1</A>",
            "<xml><A>1</B></xml>",
            "<xml></xml><xml></xml>",
            "junk<xml/>",
            "<xml/>",
            "<xml>&foo;</xml>",
            "<xml><A>&#0;</A></xml>",
            "</xml>",
            "",
            deep.as_str(),
        ] {
            assert_eq!(read(doc), None, "{doc}");
        }
        let ok = format!(
            "<xml>{}{}</xml>",
            "<a>".repeat(MAX_DEPTH - 1),
            "</a>".repeat(MAX_DEPTH - 1)
        );
        assert!(read(&ok).is_some());
    }
}
