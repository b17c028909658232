//! Reading generated types entry by entry (not a public API). Every type read from WeChat
//! (responses, events, the envelope and the objects in them) has every field optional, so it
//! starts as `Default` and each map entry fills its field: the generated code is one `match` on
//! the wire name per type, and unknown entries are skipped. The same code reads JSON, XML and
//! `serde_json::Value`, in one pass.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// A type read entry by entry: generated for every type read from WeChat.
pub trait Fields: Default {
    /// The type's name, for errors.
    const NAME: &'static str;

    /// Reads the value of entry `key` into its field; `false` when `key` is not a field (the
    /// caller skips the value).
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// Reads a [`Fields`] type from a map (an object, an XML element). An empty value (`null`, an
/// empty string or element) reads as every field absent.
pub fn object<'de, D: Deserializer<'de>, T: Fields>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Fields> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object", T::NAME)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut value = T::default();
        fill(&mut value, &mut map)?;
        Ok(value)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        if v.trim().is_empty() {
            Ok(T::default())
        } else {
            Err(E::invalid_type(serde::de::Unexpected::Str(v), &self))
        }
    }
}

/// Reads every remaining entry of `map` into `value`, skipping the unknown ones.
pub fn fill<'de, A: MapAccess<'de>, T: Fields>(value: &mut T, map: &mut A) -> Result<(), A::Error> {
    while let Some(key) = map.next_key_seed(Key)? {
        if !value.field(&key, map)? {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// A map key, borrowed when the input allows.
pub struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}
