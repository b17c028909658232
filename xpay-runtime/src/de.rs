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

/// The typed event a push is being read into, once its `Event` is known: generated per spec
/// (one variant per listed event, holding that event's struct), so a push is read straight
/// from its text in one pass.
pub trait EventReader<E>: Sized {
    /// Reads entry `key` into the event's field; `false` when it is not one.
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;

    /// The event read.
    fn finish(self) -> E;
}

/// One `str` value offered as a map entry's value, so a value already read (the `Event`
/// name) can be given to a [`Fields`] reader too.
struct OneValue<'a>(&'a str);

impl<'de> MapAccess<'de> for OneValue<'_> {
    type Error = serde::de::value::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        _: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        seed.deserialize(StrValue(self.0))
    }
}

/// A `str` as a present value: an `Option` reads it as `Some`, as a JSON string would.
struct StrValue<'a>(&'a str);

impl<'de> Deserializer<'de> for StrValue<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct
        map struct enum identifier ignored_any
    }
}

/// Why the one-pass reader gave up; the caller then takes the general path, which decides.
pub(crate) const GIVE_UP: &str = "xpay: read this push the general way";

/// Reads a whole push (envelope and event) from a map in one pass: envelope entries go to the
/// envelope; the `Event` entry picks the event's reader, and the entries after it go there.
/// Gives up (an error, so the caller falls back) when an event entry comes before `Event`, when
/// `Event` repeats or names an event the spec does not list, or when any value does not fit.
/// The types a [`PushVisitor`] reads, as a marker.
pub(crate) type Types<Env, E, R> = PhantomData<fn() -> (Env, E, R)>;

pub(crate) struct PushVisitor<Env, E, R, F> {
    /// Finds the reader of a named event.
    pub reader: F,
    pub _types: Types<Env, E, R>,
}

impl<'de, Env, E, R, F> Visitor<'de> for PushVisitor<Env, E, R, F>
where
    Env: Fields,
    R: EventReader<E>,
    F: Fn(&str) -> Option<R>,
{
    type Value = (Env, R, String);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a push message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let mut envelope = Env::default();
        let mut event: Option<(R, String)> = None;
        while let Some(key) = map.next_key_seed(Key)? {
            if key == "Event" {
                if event.is_some() {
                    return Err(A::Error::custom(GIVE_UP));
                }
                let name: Cow<'de, str> = map.next_value_seed(Key)?;
                let reader = (self.reader)(&name).ok_or_else(|| A::Error::custom(GIVE_UP))?;
                envelope
                    .field("Event", &mut OneValue(&name))
                    .map_err(|_| A::Error::custom(GIVE_UP))?;
                event = Some((reader, name.into_owned()));
                continue;
            }
            if envelope.field(&key, &mut map)? {
                continue;
            }
            match event.as_mut() {
                Some((reader, _)) => {
                    if !reader.field(&key, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                None => return Err(A::Error::custom(GIVE_UP)),
            }
        }
        let (reader, name) = event.ok_or_else(|| A::Error::custom(GIVE_UP))?;
        Ok((envelope, reader, name))
    }
}
