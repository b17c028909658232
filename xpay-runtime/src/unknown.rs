//! [`UnknownValue`]: what a generated enum holds for a value its spec does not list, and
//! [`ParseEnumError`].

use std::fmt;

/// A wire value that the spec a generated enum comes from does not list (WeChat adds values).
///
/// Opaque on purpose: code cannot match a particular unknown value, so when a later spec names
/// the value, matches on it do not silently stop matching. Read the value with the enum's
/// `wire()` or `as_str()`; make one with the enum's `from_wire`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue<T>(T);

impl<T> UnknownValue<T> {
    /// For generated code.
    #[doc(hidden)]
    pub const fn __new(value: T) -> Self {
        UnknownValue(value)
    }

    /// For generated code.
    #[doc(hidden)]
    pub const fn __get(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for UnknownValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for UnknownValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Text that is not a value of a generated enum (`"x"` for an integer enum).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a {type_name} value: {expected}")]
pub struct ParseEnumError {
    /// The enum's name.
    pub type_name: &'static str,
    /// The text given (control characters escaped).
    pub text: String,
    /// What is accepted.
    pub expected: &'static str,
}

impl ParseEnumError {
    /// For generated code.
    #[doc(hidden)]
    pub fn __new(type_name: &'static str, text: &str, expected: &'static str) -> Self {
        ParseEnumError {
            type_name,
            text: text.escape_debug().to_string(),
            expected,
        }
    }
}
