//! [`JsonString`]: a value WeChat carries as JSON text inside a string field (like `payitem`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value sent as a JSON **string** holding its JSON form, e.g. currency_pay's
/// `payitem: "[{\"productid\":\"sword\",\"unit_price\":30,\"quantity\":1}]"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonString<T>(pub T);

impl<T> JsonString<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        JsonString(value)
    }

    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for JsonString<T> {
    fn from(value: T) -> Self {
        JsonString(value)
    }
}

impl<T: Serialize> Serialize for JsonString<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for JsonString<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_str(&text)
            .map(JsonString)
            .map_err(|e| serde::de::Error::custom(format!("invalid JSON inside a string: {e}")))
    }
}
