//! Lenient readers for WeChat's answers: WeChat documents some flags as booleans but sends
//! `0`/`1`, and some numbers arrive as digit strings. Response and event fields of these types
//! accept both, so a documented-but-wrong type never loses a payment notification.

use serde::de::{Deserializer, Error, Unexpected, Visitor};
use std::fmt;

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean, 0/1, or \"true\"/\"false\"")
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        match v {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(E::invalid_value(Unexpected::Str(v), &self)),
        }
    }
    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An optional boolean that may arrive as `true`, `1` or `"1"`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// An integer that may arrive as a number or a digit string.
pub trait LenientInt: Sized {
    /// From a signed value, if it fits.
    fn from_i128(v: i128) -> Option<Self>;
}

macro_rules! lenient_int {
    ($($t:ty),*) => {$(
        impl LenientInt for $t {
            fn from_i128(v: i128) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
        }
    )*};
}
lenient_int!(i32, i64, u32, u64);

struct IntVisitor<T>(std::marker::PhantomData<T>);

impl<T: LenientInt> Visitor<'_> for IntVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string of digits")
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        T::from_i128(i128::from(v))
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Signed(v), &self))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        T::from_i128(i128::from(v))
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &self))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<i128>()
            .ok()
            .and_then(T::from_i128)
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An optional integer that may arrive as a number or a digit string.
pub fn opt_int<'de, D: Deserializer<'de>, T: LenientInt>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(IntVisitor(std::marker::PhantomData))
}

/// An integer enum's wire value that may arrive as a number or a digit string.
pub fn enum_int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_int::<D, i64>(d)?
        .ok_or_else(|| D::Error::custom("an empty value where an integer enum was expected"))
}

/// An optional integer enum: a number or a digit string; empty is absent.
pub fn opt_int_enum<'de, D: Deserializer<'de>, T: From<i64>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(opt_int::<D, i64>(d)?.map(T::from))
}

/// An optional `Env`: `0` or `1`, as a number or a digit string; empty is absent.
pub fn opt_env<'de, D: Deserializer<'de>>(d: D) -> Result<Option<crate::Env>, D::Error> {
    match opt_int::<D, i64>(d)? {
        None => Ok(None),
        Some(v) => u8::try_from(v)
            .ok()
            .and_then(crate::Env::from_u8)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("env must be 0 or 1, got {v}"))),
    }
}

struct StrVisitor;

impl Visitor<'_> for StrVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (or a number)")
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A string enum's wire value: a string, or a number WeChat sent unquoted.
pub fn enum_str<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(StrVisitor)?
        .ok_or_else(|| D::Error::custom("an empty value where a string enum was expected"))
}

/// An optional string enum: a string or a number; empty is absent.
pub fn opt_str_enum<'de, D: Deserializer<'de>, T: for<'a> From<&'a str>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(d.deserialize_any(StrVisitor)?
        .filter(|s| !s.is_empty())
        .map(|s| T::from(&s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Flags {
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "opt_int")]
        n: Option<i64>,
    }

    fn read(s: &str) -> Result<(Option<bool>, Option<i64>), serde_json::Error> {
        serde_json::from_str::<Flags>(s).map(|f| (f.b, f.n))
    }

    #[test]
    fn booleans_from_numbers_and_strings() {
        assert_eq!(read(r#"{"b":true}"#).unwrap(), (Some(true), None));
        assert_eq!(read(r#"{"b":0}"#).unwrap(), (Some(false), None));
        assert_eq!(read(r#"{"b":"1"}"#).unwrap(), (Some(true), None));
        assert!(read(r#"{"b":2}"#).is_err());
    }

    #[test]
    fn integers_from_digit_strings() {
        assert_eq!(
            read(r#"{"n":"1732700001"}"#).unwrap(),
            (None, Some(1_732_700_001))
        );
        assert_eq!(read(r#"{"n":-1}"#).unwrap(), (None, Some(-1)));
        assert_eq!(read(r#"{}"#).unwrap(), (None, None));
        assert!(read(r#"{"n":"12a"}"#).is_err());
    }
}

/// Seeds of the lenient readers, for generated `Deserialize` impls that read a map entry by
/// entry (`map.next_value_seed(OptInt(PhantomData))`).
pub mod seed {
    use super::LenientInt;
    use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    /// An optional integer: a number or a digit string; empty is absent.
    pub struct OptInt<T>(pub PhantomData<T>);

    impl<'de, T: LenientInt> DeserializeSeed<'de> for OptInt<T> {
        type Value = Option<T>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::opt_int::<D, T>(d)
        }
    }

    /// An optional boolean: `true`, `1` or `"1"`; empty is absent.
    pub struct OptBool;

    impl<'de> DeserializeSeed<'de> for OptBool {
        type Value = Option<bool>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::opt_bool(d)
        }
    }

    /// An optional env: `0` or `1`, as a number or a digit string; empty is absent.
    pub struct OptEnv;

    impl<'de> DeserializeSeed<'de> for OptEnv {
        type Value = Option<crate::Env>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::opt_env(d)
        }
    }

    /// An optional integer enum; empty is absent.
    pub struct OptIntEnum<T>(pub PhantomData<T>);

    impl<'de, T: From<i64>> DeserializeSeed<'de> for OptIntEnum<T> {
        type Value = Option<T>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::opt_int_enum::<D, T>(d)
        }
    }

    /// An optional string enum; empty is absent.
    pub struct OptStrEnum<T>(pub PhantomData<T>);

    impl<'de, T: for<'a> From<&'a str>> DeserializeSeed<'de> for OptStrEnum<T> {
        type Value = Option<T>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::opt_str_enum::<D, T>(d)
        }
    }

    /// An optional list of strings, whatever shape it arrives in: a list of strings, one
    /// string (a list of one, or none when empty), or a list of other values (each written as
    /// its JSON text). WeChat's pages disagree on such fields; a shape they did not document
    /// must not lose the whole answer.
    pub struct OptStrings;

    struct StringsVisitor;

    impl<'de> Visitor<'de> for StringsVisitor {
        type Value = Option<Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of strings, or a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok((!v.is_empty()).then(|| vec![v.to_owned()]))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(vec![v.to_string()]))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(vec![v.to_string()]))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element::<serde_json::Value>()? {
                out.push(match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                });
            }
            Ok(Some(out))
        }
    }

    impl<'de> DeserializeSeed<'de> for OptStrings {
        type Value = Option<Vec<String>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(StringsVisitor)
        }
    }
}
