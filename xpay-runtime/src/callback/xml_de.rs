//! A serde `Deserializer` over a parsed XML element, for the one-pass typed read of a push: an
//! element with children is a map of them, one without is its text (borrowed). Lists and
//! repeated names are left to the general path (see [`typed`](super::typed)), which types them
//! by the spec: this reader gives up on them.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::xml::Element;
use crate::de::GIVE_UP;

/// An element, read as a map of its children or as its text.
pub(crate) struct ElementDe<'a>(pub &'a Element);

impl<'de> Deserializer<'de> for ElementDe<'de> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.0.children.is_empty() {
            visitor.visit_borrowed_str(&self.0.text)
        } else {
            visitor.visit_map(Children::new(self.0)?)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom(GIVE_UP))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom(GIVE_UP))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct tuple_struct
        map struct enum identifier ignored_any
    }
}

/// The children of an element as map entries, in order; repeated names give up.
struct Children<'a> {
    children: std::slice::Iter<'a, Element>,
    value: Option<&'a Element>,
}

impl<'a> Children<'a> {
    fn new(element: &'a Element) -> Result<Self, de::value::Error> {
        let c = &element.children;
        for (i, child) in c.iter().enumerate() {
            if c[..i].iter().any(|earlier| earlier.name == child.name) {
                return Err(de::Error::custom(GIVE_UP));
            }
        }
        Ok(Self {
            children: c.iter(),
            value: None,
        })
    }
}

impl<'de> MapAccess<'de> for Children<'de> {
    type Error = de::value::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.children.next() {
            Some(child) => {
                self.value = Some(child);
                seed.deserialize(de::value::BorrowedStrDeserializer::new(&child.name))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(child) => seed.deserialize(ElementDe(child)),
            None => Err(de::Error::custom("a value without its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.children.len())
    }
}
