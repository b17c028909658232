//! [`Env`]: production (现网) or sandbox (沙箱).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Which WeChat environment a call or payment targets.
///
/// On the wire it is the number `0` (production, 现网) or `1` (sandbox, 沙箱). It also picks the
/// AppKey a request is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Env {
    /// 现网: real money (`0`).
    #[default]
    Production,
    /// 沙箱: the sandbox (`1`).
    Sandbox,
}

impl Env {
    /// The wire value: `0` or `1`.
    pub const fn as_u8(self) -> u8 {
        match self {
            Env::Production => 0,
            Env::Sandbox => 1,
        }
    }

    /// Parses the wire value.
    pub const fn from_u8(v: u8) -> Option<Env> {
        match v {
            0 => Some(Env::Production),
            1 => Some(Env::Sandbox),
            _ => None,
        }
    }
}

impl fmt::Display for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Env::Production => "production",
            Env::Sandbox => "sandbox",
        })
    }
}

impl std::str::FromStr for Env {
    type Err = String;

    /// Accepts `0` or `production` (also `prod`), `1` or `sandbox`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "0" || s.eq_ignore_ascii_case("production") || s.eq_ignore_ascii_case("prod") {
            Ok(Env::Production)
        } else if s == "1" || s.eq_ignore_ascii_case("sandbox") {
            Ok(Env::Sandbox)
        } else {
            Err(format!(
                "must be 0 or production, 1 or sandbox; got \"{}\"",
                crate::escape_controls(s)
            ))
        }
    }
}

impl Serialize for Env {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.as_u8())
    }
}

impl<'de> Deserialize<'de> for Env {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        u8::try_from(v)
            .ok()
            .and_then(Env::from_u8)
            .ok_or_else(|| serde::de::Error::custom(format!("env must be 0 or 1, got {v}")))
    }
}
