//! The named types of a spec as the rules and the model builder look them up: what a type
//! expression resolves to, and what a named type holds.

use crate::model::{Repr, Ty};
use crate::parse::{Ordered, RawField, RawSpec, RawType};
use std::collections::HashMap;

/// The type names every spec has.
pub(crate) const BUILTINS: &[&str] = &["string", "i32", "i64", "u32", "u64", "bool", "env"];

/// The named types of one spec, by name.
pub(crate) struct Table<'a> {
    types: HashMap<&'a str, &'a RawType>,
    order: Vec<&'a str>,
}

impl<'a> Table<'a> {
    pub(crate) fn new(raw: &'a RawSpec) -> Table<'a> {
        let mut types = HashMap::new();
        let mut order = Vec::new();
        for (name, t) in &raw.types.0 {
            if types.insert(name.value.as_str(), t).is_none() {
                order.push(name.value.as_str());
            }
        }
        Table { types, order }
    }

    /// Every type name a `type:` may use: the built-ins, then `types:` in spec order.
    pub(crate) fn known(&self) -> impl Iterator<Item = &'a str> + '_ {
        BUILTINS.iter().copied().chain(self.order.iter().copied())
    }

    /// A named type as written.
    pub(crate) fn get(&self, name: &str) -> Option<&'a RawType> {
        self.types.get(name).copied()
    }

    /// Resolves a type expression; the error is the name in it that is not a type.
    pub(crate) fn ty(&self, expr: &str) -> Result<Ty, String> {
        let s = expr.trim();
        if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            return Ok(Ty::List(Box::new(self.ty(inner)?)));
        }
        if let Some(inner) = s.strip_prefix("json<").and_then(|r| r.strip_suffix('>')) {
            return Ok(Ty::Json(Box::new(self.ty(inner)?)));
        }
        Ok(match s {
            "string" => Ty::String,
            "i32" => Ty::I32,
            "i64" => Ty::I64,
            "u32" => Ty::U32,
            "u64" => Ty::U64,
            "bool" => Ty::Bool,
            "env" => Ty::Env,
            name if self.types.contains_key(name) => Ty::Named(name.to_string()),
            other => return Err(other.to_string()),
        })
    }

    /// The representation of the enum `name`, when it is an enum with a known one.
    pub(crate) fn enum_repr(&self, name: &str) -> Option<Repr> {
        match self.get(name)?.repr.as_ref()?.value.as_str() {
            "int" => Some(Repr::Int),
            "string" => Some(Repr::String),
            _ => None,
        }
    }

    /// The wire values of the enum `name`, as text.
    pub(crate) fn enum_values(&self, name: &str) -> Option<Vec<String>> {
        let t = self.get(name)?;
        t.repr.as_ref()?;
        Some(
            t.values
                .as_ref()?
                .iter()
                .map(|v| v.value.value.text())
                .collect(),
        )
    }

    /// The fields of the object `name` (a type with `fields:` and nothing else).
    pub(crate) fn object_fields(&self, name: &str) -> Option<&'a Ordered<RawField>> {
        let t = self.get(name)?;
        if t.repr.is_some() || t.values.is_some() || t.one_of.is_some() {
            return None;
        }
        Some(&t.fields.as_ref()?.value)
    }

    /// The members of the one_of type `ty` names (a type with `one_of:` and nothing else), if
    /// it names one.
    pub(crate) fn one_of_members(&self, ty: &Ty) -> Option<&'a Ordered<RawField>> {
        let Ty::Named(n) = ty else { return None };
        let t = self.get(n)?;
        if t.fields.is_some() || t.repr.is_some() || t.values.is_some() {
            return None;
        }
        Some(&t.one_of.as_ref()?.value)
    }

    /// Whether values of `ty` are strings on the wire (`string`, or a string enum).
    pub(crate) fn is_string_like(&self, ty: &Ty) -> bool {
        match ty {
            Ty::String => true,
            Ty::Named(n) => self.enum_repr(n) == Some(Repr::String),
            _ => false,
        }
    }
}
