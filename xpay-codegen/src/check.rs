//! Stage 2: check. Turns the raw parse into a [`Spec`](crate::model::Spec), enforcing every
//! rule of the schema (`spec/README.md`) and collecting every violation, each located at the
//! line and column it concerns.

use crate::diag::{Diagnostics, Pos};
use crate::model::*;
use crate::names::{is_keyword, is_pascal_ident, is_snake_ident, pascal, snake};
use crate::parse::{Ordered, RawField, RawSpec, RawType, Scalar, pos};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Names the generator emits itself; a type from `types:` may not take them.
const RESERVED_TYPES: &[&str] = &[
    "Event",
    "Envelope",
    "Push",
    "Action",
    "Client",
    "Env",
    "JsonString",
    "SessionKey",
];

/// Where a list of fields sits, which decides what its fields may say.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Request,
    Response,
    Object,
    Payment,
    Event,
    OneOf,
}

struct Checker<'a> {
    diags: Diagnostics,
    type_names: BTreeMap<String, Pos>,
    raw_types: HashMap<String, &'a RawType>,
}

/// Checks a parsed spec, collecting every error.
pub fn check(file: &str, source: &str, raw: RawSpec) -> Result<Spec, Diagnostics> {
    let mut c = Checker {
        diags: Diagnostics::new(file, source),
        type_names: BTreeMap::new(),
        raw_types: HashMap::new(),
    };
    if raw.version.value != 1 {
        c.err(
            pos(&raw.version),
            format!(
                "unsupported spec version {} (only 1 exists)",
                raw.version.value
            ),
        );
    }
    for (name, t) in &raw.types.0 {
        if !is_pascal_ident(&name.value) {
            c.err(
                pos(name),
                format!("type name `{}` must be PascalCase", name.value),
            );
        }
        if RESERVED_TYPES.contains(&name.value.as_str()) {
            c.err(
                pos(name),
                format!("type name `{}` is reserved for generated code", name.value),
            );
        }
        if c.type_names.insert(name.value.clone(), pos(name)).is_some() {
            c.err(pos(name), format!("duplicate type `{}`", name.value));
        }
        c.raw_types.insert(name.value.clone(), t);
    }
    let types = raw
        .types
        .0
        .iter()
        .map(|(name, t)| c.type_def(name.value.clone(), pos(name), t))
        .collect::<Vec<_>>();
    let actions = c.actions(&raw);
    if let Some(old) = &raw.payment {
        c.err(
            pos(old),
            "`payment:` was replaced by `payments:`, a list of payment kinds each with a `name` (and `rust_name`, `uri`, `modes`, `fields`)",
        );
    }
    let payments = c.payments(&raw);
    let envelope = c.fields(&raw.envelope, Place::Event, &[]);
    let events = c.events(&raw);
    let errors = c.errors(&raw.errors);
    let client_errors = c.errors(&raw.client_errors);
    let spec = Spec {
        version: raw.version.value,
        base_url: raw
            .base_url
            .as_ref()
            .map(|u| u.value.trim_end_matches('/').to_string())
            .unwrap_or_else(|| "https://api.weixin.qq.com".into()),
        types,
        actions,
        payments,
        envelope,
        events,
        errors,
        client_errors,
    };
    c.generated_names(&spec);
    c.reachability(&raw, &spec);
    c.cycles(&spec);
    if c.diags.is_empty() {
        Ok(spec)
    } else {
        c.diags.items.sort_by_key(|d| d.pos);
        Err(c.diags)
    }
}

impl<'a> Checker<'a> {
    fn err(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.push(pos, message);
    }

    fn type_def(&mut self, name: String, at: Pos, t: &RawType) -> TypeDef {
        let doc = t.doc.clone().unwrap_or_default();
        let kind = match (&t.fields, &t.repr, &t.values, &t.one_of) {
            (None, None, None, Some(members)) => {
                let members = self.fields(&members.value, Place::OneOf, &[]);
                if members.len() < 2 {
                    self.err(
                        at,
                        format!("one_of type `{name}` needs at least two members"),
                    );
                }
                TypeKind::OneOf { members }
            }
            (Some(fields), None, None, None) => TypeKind::Object {
                fields: self.fields(&fields.value, Place::Object, &[]),
            },
            (None, Some(repr), Some(values), None) => {
                let repr_v = match repr.value.as_str() {
                    "int" => Repr::Int,
                    "string" => Repr::String,
                    other => {
                        self.err(
                            pos(repr),
                            format!("enum `{name}`: `enum: {other}` must be `int` or `string`"),
                        );
                        Repr::String
                    }
                };
                let mut seen_values = BTreeSet::new();
                let mut seen_names = BTreeSet::new();
                let mut out = Vec::new();
                if values.is_empty() {
                    self.err(at, format!("enum `{name}` has no values"));
                }
                for v in values {
                    let text = match (&v.value.value, repr_v) {
                        (Scalar::Int(i), Repr::Int) => i.to_string(),
                        (Scalar::Str(s), Repr::String) => s.clone(),
                        (Scalar::Str(s), Repr::Int) => {
                            self.err(
                                pos(&v.value),
                                format!("enum `{name}` is `int` but value {s:?} is a string"),
                            );
                            s.clone()
                        }
                        (Scalar::Int(i), Repr::String) => {
                            self.err(
                                pos(&v.value),
                                format!(
                                    "enum `{name}` is `string` but value {i} is a number; quote it: \"{i}\""
                                ),
                            );
                            i.to_string()
                        }
                    };
                    if !seen_values.insert(text.clone()) {
                        self.err(
                            pos(&v.value),
                            format!("enum `{name}`: duplicate value {text}"),
                        );
                    }
                    let vname = v.name.value.clone();
                    if !is_pascal_ident(&vname) {
                        self.err(
                            pos(&v.name),
                            format!("enum `{name}`: variant `{vname}` must be PascalCase"),
                        );
                    } else if vname == "Unknown" {
                        self.err(
                            pos(&v.name),
                            format!("enum `{name}`: `Unknown` is reserved for values the spec does not list"),
                        );
                    }
                    if !seen_names.insert(vname.clone()) {
                        self.err(
                            pos(&v.name),
                            format!("enum `{name}`: duplicate variant `{vname}`"),
                        );
                    }
                    out.push(EnumValue {
                        value: text,
                        name: vname,
                        doc: v.doc.clone().unwrap_or_default(),
                    });
                }
                TypeKind::Enum {
                    repr: repr_v,
                    values: out,
                }
            }
            _ => {
                self.err(
                    at,
                    format!(
                        "type `{name}` must have exactly one of `fields:` (an object), `enum:` and `values:` (an enum), or `one_of:` (exactly one of several request fields)"
                    ),
                );
                TypeKind::Object { fields: Vec::new() }
            }
        };
        TypeDef { name, doc, kind }
    }

    fn ty(&mut self, expr: &serde_saphyr::Spanned<String>) -> Ty {
        match self.parse_ty(expr.value.trim()) {
            Ok(t) => t,
            Err(msg) => {
                self.err(pos(expr), msg);
                Ty::String
            }
        }
    }

    fn parse_ty(&self, s: &str) -> Result<Ty, String> {
        if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            return Ok(Ty::List(Box::new(self.parse_ty(inner.trim())?)));
        }
        if let Some(inner) = s.strip_prefix("json<").and_then(|r| r.strip_suffix('>')) {
            return Ok(Ty::Json(Box::new(self.parse_ty(inner.trim())?)));
        }
        Ok(match s {
            "string" => Ty::String,
            "i32" => Ty::I32,
            "i64" => Ty::I64,
            "u32" => Ty::U32,
            "u64" => Ty::U64,
            "bool" => Ty::Bool,
            "env" => Ty::Env,
            name if self.type_names.contains_key(name) => Ty::Named(name.to_string()),
            other => {
                return Err(format!(
                    "unknown type `{other}` (expected string, i32, i64, u32, u64, bool, env, a type from `types:`, [T] or json<T>)"
                ));
            }
        })
    }

    /// An enum type's definition, as far as values go (from the raw types).
    fn enum_def(&self, name: &str) -> Option<TypeDef> {
        let raw = self.raw_types.get(name)?;
        let repr = raw.repr.as_ref()?;
        let values = raw
            .values
            .as_ref()?
            .iter()
            .map(|v| EnumValue {
                value: scalar_text(&v.value.value).trim_matches('"').to_string(),
                name: v.name.value.clone(),
                doc: String::new(),
            })
            .collect();
        Some(TypeDef {
            name: name.to_string(),
            doc: String::new(),
            kind: TypeKind::Enum {
                repr: if repr.value == "int" {
                    Repr::Int
                } else {
                    Repr::String
                },
                values,
            },
        })
    }

    /// The type at the end of a path of wire names through `fields` and nested objects.
    fn resolve_path(&self, fields: &[Field], steps: &[String]) -> Result<Ty, String> {
        let Some((first, rest)) = steps.split_first() else {
            return Err("is empty".into());
        };
        let f = fields
            .iter()
            .find(|f| &f.wire == first)
            .ok_or_else(|| format!("names `{first}`, which is not a field there"))?;
        if rest.is_empty() {
            return Ok(f.ty.clone());
        }
        let Ty::Named(n) = &f.ty else {
            return Err(format!("goes through `{first}`, which is not an object"));
        };
        let raw = self
            .raw_types
            .get(n)
            .and_then(|t| t.fields.as_ref())
            .ok_or_else(|| format!("goes through `{first}`, which is not an object"))?;
        let (next, rest) = rest.split_first().unwrap_or((first, &[]));
        let (_, field) = raw
            .value
            .0
            .iter()
            .find(|(k, _)| &k.value == next)
            .ok_or_else(|| format!("names `{next}`, which is not a field of `{n}`"))?;
        let ty = self
            .parse_ty(field.ty.value.trim())
            .map_err(|_| format!("names `{next}`, whose type is unknown"))?;
        if rest.is_empty() {
            return Ok(ty);
        }
        let nested = [Field {
            wire: next.clone(),
            rust: String::new(),
            ty,
            doc: String::new(),
            required: false,
            fill: None,
            default: None,
            rules: Rules::default(),
            modes: Vec::new(),
            required_unless: None,
            pinned: None,
        }];
        let mut steps = vec![next.clone()];
        steps.extend(rest.iter().cloned());
        self.resolve_path(&nested, &steps)
    }

    /// The member wire names of a one_of type.
    fn one_of_members(&self, ty: &Ty) -> Option<Vec<String>> {
        let Ty::Named(n) = ty else { return None };
        let members = self.raw_types.get(n)?.one_of.as_ref()?;
        Some(
            members
                .value
                .0
                .iter()
                .map(|(k, _)| k.value.clone())
                .collect(),
        )
    }

    fn is_string_like(&self, ty: &Ty) -> bool {
        match ty {
            Ty::String => true,
            Ty::Named(n) => self
                .raw_types
                .get(n)
                .is_some_and(|t| t.repr.as_ref().is_some_and(|r| r.value == "string")),
            _ => false,
        }
    }

    fn fields(&mut self, raw: &Ordered<RawField>, place: Place, modes: &[String]) -> Vec<Field> {
        let mut out: Vec<Field> = Vec::new();
        let mut rust_names: BTreeMap<String, ()> = BTreeMap::new();
        for (key, f) in &raw.0 {
            let wire = key.value.clone();
            let at = pos(key);
            if out.iter().any(|o| o.wire == wire) {
                self.err(at, format!("duplicate field `{wire}`"));
            }
            let ty = self.ty(&f.ty);
            let rust = match &f.rust_name {
                Some(r) => {
                    if !is_snake_ident(&r.value) {
                        self.err(
                            pos(r),
                            format!("rust_name `{}` must be a snake_case identifier", r.value),
                        );
                    }
                    r.value.clone()
                }
                None => {
                    let s = snake(&wire);
                    if !is_snake_ident(&s) {
                        self.err(
                            at,
                            format!("field `{wire}` has no valid Rust name; add `rust_name:`"),
                        );
                    }
                    s
                }
            };
            if rust_names.insert(rust.clone(), ()).is_some() {
                self.err(
                    at,
                    format!("field `{wire}`: Rust name `{rust}` is used twice; add `rust_name:`"),
                );
            }
            let required = f.required.as_ref().is_some_and(|r| r.value);
            let fill = f.fill.as_ref().and_then(|fl| match fl.value.as_str() {
                "env" => {
                    if ty != Ty::Env {
                        self.err(
                            pos(fl),
                            format!("field `{wire}`: `fill: env` needs `type: env`"),
                        );
                    }
                    Some(Fill::Env)
                }
                "offer_id" => {
                    if ty != Ty::String {
                        self.err(
                            pos(fl),
                            format!("field `{wire}`: `fill: offer_id` needs `type: string`"),
                        );
                    }
                    Some(Fill::OfferId)
                }
                other => {
                    self.err(
                        pos(fl),
                        format!(
                            "field `{wire}`: unknown fill `{other}` (expected env or offer_id)"
                        ),
                    );
                    None
                }
            });
            let default = f.default.as_ref().map(|d| match (&d.value, &ty) {
                (Scalar::Str(s), t) if self.is_string_like(t) => s.clone(),
                (Scalar::Int(i), t) if t.is_integer() => i.to_string(),
                (v, t) => {
                    self.err(
                        pos(d),
                        format!(
                            "field `{wire}`: default {} does not fit type `{}`",
                            scalar_text(v),
                            t.expr()
                        ),
                    );
                    String::new()
                }
            });
            if required && (fill.is_some() || default.is_some()) {
                let what = if fill.is_some() {
                    "filled (`fill:`)"
                } else {
                    "defaulted (`default:`)"
                };
                let p = f.required.as_ref().map(pos).unwrap_or(at);
                self.err(
                    p,
                    format!("field `{wire}` is both required and {what}; a filled field is optional for the caller, drop `required: true`"),
                );
            }
            if fill.is_some() && default.is_some() {
                self.err(
                    at,
                    format!("field `{wire}` has both `fill:` and `default:`"),
                );
            }
            let mut rules = Rules::default();
            for (v, name) in [(&f.min_len, "min_len"), (&f.max_len, "max_len")] {
                if let Some(v) = v
                    && !self.is_string_like(&ty)
                {
                    self.err(
                        pos(v),
                        format!("field `{wire}`: `{name}` applies to strings only"),
                    );
                }
            }
            rules.min_len = f.min_len.as_ref().map(|v| v.value);
            rules.max_len = f.max_len.as_ref().map(|v| v.value);
            if let (Some(a), Some(b)) = (rules.min_len, rules.max_len)
                && a > b
            {
                self.err(
                    at,
                    format!("field `{wire}`: min_len {a} is greater than max_len {b}"),
                );
            }
            for (v, name) in [(&f.charset, "charset"), (&f.no_leading, "no_leading")] {
                if let Some(v) = v {
                    if ty != Ty::String {
                        self.err(
                            pos(v),
                            format!("field `{wire}`: `{name}` applies to strings only"),
                        );
                    }
                    if v.value.is_empty() {
                        self.err(pos(v), format!("field `{wire}`: `{name}` is empty"));
                    }
                }
            }
            if let Some(cs) = &f.charset
                && let Err(e) = charset_ok(&cs.value)
            {
                self.err(
                    pos(cs),
                    format!("field `{wire}`: charset {:?}: {e}", cs.value),
                );
            }
            rules.charset = f.charset.as_ref().map(|v| v.value.clone());
            rules.no_leading = f.no_leading.as_ref().map(|v| v.value.clone());
            for (v, name) in [(&f.min, "min"), (&f.max, "max")] {
                if let Some(v) = v
                    && !ty.is_integer()
                {
                    self.err(
                        pos(v),
                        format!("field `{wire}`: `{name}` applies to integers only"),
                    );
                }
            }
            rules.min = f.min.as_ref().map(|v| v.value);
            rules.max = f.max.as_ref().map(|v| v.value);
            for (v, name) in [(&f.min_items, "min_items"), (&f.max_items, "max_items")] {
                if let Some(v) = v
                    && !matches!(ty, Ty::List(_))
                {
                    self.err(
                        pos(v),
                        format!("field `{wire}`: `{name}` applies to lists only"),
                    );
                }
            }
            rules.min_items = f.min_items.as_ref().map(|v| v.value);
            rules.max_items = f.max_items.as_ref().map(|v| v.value);
            if let (Some(a), Some(b)) = (rules.min_items, rules.max_items)
                && a > b
            {
                self.err(
                    at,
                    format!("field `{wire}`: min_items {a} is greater than max_items {b}"),
                );
            }
            if let (Some(a), Some(b)) = (rules.min, rules.max)
                && a > b
            {
                self.err(
                    at,
                    format!("field `{wire}`: min {a} is greater than max {b}"),
                );
            }
            let pinned = f.value.as_ref().map(|v| {
                if required || fill.is_some() || default.is_some() {
                    self.err(
                        pos(v),
                        format!("field `{wire}`: a pinned `value` is always sent; it cannot also be required, filled or defaulted"),
                    );
                }
                if !matches!(place, Place::Request | Place::Payment) {
                    self.err(
                        pos(v),
                        format!("field `{wire}`: `value` pins what the client sends; it applies to request and payment fields"),
                    );
                }
                match (&v.value, &ty) {
                    (Scalar::Int(i @ (0 | 1)), Ty::Env) => i.to_string(),
                    (Scalar::Int(i), t) if t.is_integer() => i.to_string(),
                    (Scalar::Str(s), t) if self.is_string_like(t) => s.clone(),
                    (other, t) => {
                        self.err(
                            pos(v),
                            format!(
                                "field `{wire}`: value {} does not fit type `{}`",
                                scalar_text(other),
                                t.expr()
                            ),
                        );
                        String::new()
                    }
                }
            });
            let required_unless = f.required_unless.as_ref().and_then(|ru| {
                if place != Place::Request {
                    self.err(
                        pos(ru),
                        format!("field `{wire}`: `required_unless` applies to action request fields"),
                    );
                }
                if required {
                    self.err(
                        pos(ru),
                        format!("field `{wire}` is both required and required_unless; keep one"),
                    );
                }
                match ru.value.0.as_slice() {
                    [(other, values)] if !values.is_empty() => Some((
                        other.value.clone(),
                        values
                            .iter()
                            .map(|v| scalar_text(&v.value).trim_matches('"').to_string())
                            .collect(),
                    )),
                    _ => {
                        self.err(
                            pos(ru),
                            format!(
                                "field `{wire}`: `required_unless` names one other field and its values, like `{{ mode: [apple] }}`"
                            ),
                        );
                        None
                    }
                }
            });
            if let Some(ri) = &f.required_in {
                self.err(
                    pos(ri),
                    format!(
                        "field `{wire}`: `required_in` was replaced by `modes`: write `required: true, modes: [{}]`",
                        ri.value.iter().map(|m| m.value.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
            let mut field_modes = Vec::new();
            if let Some(ms) = &f.modes {
                if place != Place::Payment {
                    self.err(
                        pos(ms),
                        format!("field `{wire}`: `modes` is for payment fields only"),
                    );
                }
                if ms.value.is_empty() {
                    self.err(pos(ms), format!("field `{wire}`: `modes` is empty"));
                }
                for m in &ms.value {
                    if place == Place::Payment && !modes.contains(&m.value) {
                        self.err(
                            pos(m),
                            format!(
                                "field `{wire}`: unknown payment mode `{}` (modes: {})",
                                m.value,
                                modes.join(", ")
                            ),
                        );
                    }
                    field_modes.push(m.value.clone());
                }
            }
            if let Ty::Named(n) = &ty
                && self.raw_types.get(n).is_some_and(|t| t.one_of.is_some())
            {
                if place != Place::Request {
                    self.err(
                        pos(&f.ty),
                        format!(
                            "field `{wire}`: one_of type `{n}` can only be a field of an action's request"
                        ),
                    );
                } else if !required {
                    self.err(
                        pos(&f.ty),
                        format!(
                            "field `{wire}`: a one_of field must be `required: true` (exactly one member is sent)"
                        ),
                    );
                }
            }
            match place {
                Place::Response | Place::Event => {
                    if let Some(r) = f.required.as_ref().filter(|r| r.value) {
                        let what = if place == Place::Event {
                            "event"
                        } else {
                            "response"
                        };
                        self.err(
                            pos(r),
                            format!("{what} field `{wire}` cannot be required: WeChat omits fields, so every {what} field is optional"),
                        );
                    }
                    if fill.is_some() || default.is_some() || !rules.is_empty() {
                        self.err(at, format!("field `{wire}`: fill, default and rules apply to fields the client sends"));
                    }
                }
                Place::Object => {
                    if fill.is_some() || default.is_some() {
                        self.err(at, format!("field `{wire}`: fill and default apply to request and payment fields only"));
                    }
                }
                Place::OneOf => {
                    if required || fill.is_some() || default.is_some() {
                        self.err(at, format!("one_of member `{wire}`: a member cannot be required, filled or defaulted (the one_of field decides which member is sent)"));
                    }
                }
                Place::Request | Place::Payment => {}
            }
            out.push(Field {
                wire,
                rust,
                ty,
                doc: f.doc.clone().unwrap_or_default(),
                required,
                fill,
                default,
                rules,
                modes: field_modes,
                required_unless,
                pinned,
            });
        }
        out
    }

    fn actions(&mut self, raw: &RawSpec) -> Vec<Action> {
        let mut out = Vec::new();
        let mut names: BTreeMap<String, Pos> = BTreeMap::new();
        // First every name, so that an alias can be checked against names declared later.
        for a in &raw.actions {
            if let Some(prev) = names.insert(a.name.value.clone(), pos(&a.name)) {
                self.err(
                    pos(&a.name),
                    format!(
                        "duplicate action `{}` (first declared at line {})",
                        a.name.value, prev.line
                    ),
                );
            }
        }
        let mut aliases: BTreeMap<String, Pos> = BTreeMap::new();
        for a in &raw.actions {
            let name = a.name.value.clone();
            let at = pos(&a.name);
            if !is_snake_ident(&name) || is_keyword(&name) {
                self.err(
                    at,
                    format!("action name `{name}` must be a snake_case identifier"),
                );
            }
            if let Some(alias) = &a.alias {
                if !is_snake_ident(&alias.value) || is_keyword(&alias.value) {
                    self.err(
                        pos(alias),
                        format!("alias `{}` must be a snake_case identifier", alias.value),
                    );
                }
                if alias.value != name && names.contains_key(&alias.value) {
                    self.err(
                        pos(alias),
                        format!(
                            "alias `{}` of action `{name}` clashes with the action of that name",
                            alias.value
                        ),
                    );
                }
                if let Some(prev) = aliases.insert(alias.value.clone(), pos(alias)) {
                    self.err(
                        pos(alias),
                        format!(
                            "alias `{}` is already used at line {}",
                            alias.value, prev.line
                        ),
                    );
                }
            }
            let path = match &a.path {
                None => {
                    self.err(at, format!("action `{name}` has no `path`"));
                    String::new()
                }
                Some(p) => {
                    if !p.value.starts_with('/') {
                        self.err(
                            pos(p),
                            format!(
                                "path `{}` must start with `/` (it is signed as written)",
                                p.value
                            ),
                        );
                    } else if p.value.rsplit('/').next() != Some(name.as_str()) {
                        self.err(
                            pos(p),
                            format!("path `{}` must end with the action name `{name}`", p.value),
                        );
                    }
                    p.value.clone()
                }
            };
            let signing = match a.signing.as_ref().map(|s| (s, s.value.as_str())) {
                Some((_, "pay")) => Signing::Pay,
                Some((_, "pay+user")) => Signing::PayUser,
                Some((s, other)) => {
                    self.err(
                        pos(s),
                        format!("action `{name}`: signing `{other}` must be `pay` or `pay+user`"),
                    );
                    Signing::Pay
                }
                None => {
                    self.err(
                        at,
                        format!("action `{name}` has no `signing` (pay or pay+user)"),
                    );
                    Signing::Pay
                }
            };
            let retry = match a.retry.as_ref().map(|s| (s, s.value.as_str())) {
                Some((_, "safe")) => Retry::Safe,
                Some((_, "same-id")) => Retry::SameId,
                Some((_, "never")) => Retry::Never,
                Some((s, other)) => {
                    self.err(
                        pos(s),
                        format!(
                            "action `{name}`: retry `{other}` must be `safe`, `same-id` or `never`"
                        ),
                    );
                    Retry::Never
                }
                None => {
                    self.err(
                        at,
                        format!("action `{name}` has no `retry` (safe, same-id or never)"),
                    );
                    Retry::Never
                }
            };
            let request = self.fields(&a.request, Place::Request, &[]);
            let response = self.fields(&a.response, Place::Response, &[]);
            for f in &request {
                if matches!(f.wire.as_str(), "access_token" | "pay_sig" | "signature") {
                    self.err(
                        at,
                        format!(
                            "action `{name}`: `{}` is added by the client; do not list it",
                            f.wire
                        ),
                    );
                }
            }
            if let Some(env) = request.iter().find(|f| f.wire == "env")
                && env.fill != Some(Fill::Env)
                && !(env.ty == Ty::Env && env.pinned.is_some())
            {
                self.err(
                    at,
                    format!(
                        "action `{name}`: the `env` field must be `{{ type: env, fill: env }}`, or pinned: `{{ type: env, value: 0 }}`"
                    ),
                );
            }
            let idempotency_key = a.idempotency_key.as_ref().map(|k| {
                if !request.iter().any(|f| f.wire == k.value) {
                    self.err(
                        pos(k),
                        format!(
                            "action `{name}`: idempotency_key `{}` is not a request field",
                            k.value
                        ),
                    );
                }
                if retry != Retry::SameId {
                    self.err(
                        pos(k),
                        format!(
                            "action `{name}`: idempotency_key only applies to `retry: same-id`"
                        ),
                    );
                }
                k.value.clone()
            });
            if retry == Retry::SameId && idempotency_key.is_none() {
                self.err(
                    at,
                    format!("action `{name}`: `retry: same-id` needs an `idempotency_key`"),
                );
            }
            if let Some(old) = &a.one_of {
                self.err(
                    pos(old),
                    format!(
                        "action `{name}`: `one_of:` lists are replaced by one_of types: declare `types: {{ OrderRef: {{ one_of: {{ order_id: {{…}}, wx_order_id: {{…}} }} }} }}` and use it as a required request field"
                    ),
                );
            }
            for f in &request {
                if let Some((other, values)) = &f.required_unless {
                    match request.iter().find(|o| &o.wire == other) {
                        None => self.err(
                            at,
                            format!(
                                "action `{name}`: field `{}` is required unless `{other}`, which is not a request field",
                                f.wire
                            ),
                        ),
                        Some(o) => {
                            if let Ty::Named(n) = &o.ty
                                && let Some(TypeDef {
                                    kind: TypeKind::Enum { values: known, .. },
                                    ..
                                }) = self.enum_def(n)
                            {
                                for v in values {
                                    if !known.iter().any(|k| &k.value == v) {
                                        self.err(
                                            at,
                                            format!(
                                                "action `{name}`: `{v}` is not a value of `{other}` ({n})"
                                            ),
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let mut one_of = Vec::new();
            for f in &request {
                let Some(members) = self.one_of_members(&f.ty) else {
                    continue;
                };
                for m in &members {
                    if request.iter().any(|o| o.wire == *m) {
                        self.err(
                            at,
                            format!(
                                "action `{name}`: one_of member `{m}` of field `{}` is also a request field",
                                f.wire
                            ),
                        );
                    }
                }
                one_of.push(members);
            }
            out.push(Action {
                name,
                alias: a.alias.as_ref().map(|s| s.value.clone()),
                path,
                signing,
                retry,
                idempotency_key,
                doc: a.doc.clone().unwrap_or_default(),
                request,
                one_of,
                response,
            });
        }
        out
    }

    fn payments(&mut self, raw: &RawSpec) -> Vec<Payment> {
        let mut out: Vec<Payment> = Vec::new();
        for p in &raw.payments {
            let name = p.name.value.clone();
            if !is_snake_ident(&name) {
                self.err(
                    pos(&p.name),
                    format!("payment kind `{name}` must be snake_case"),
                );
            }
            if out.iter().any(|o| o.name == name) {
                self.err(pos(&p.name), format!("duplicate payment kind `{name}`"));
            }
            let rust_name = match &p.rust_name {
                Some(r) => {
                    if !is_pascal_ident(&r.value) {
                        self.err(
                            pos(r),
                            format!("payment rust_name `{}` must be PascalCase", r.value),
                        );
                    }
                    r.value.clone()
                }
                None => format!("{}Order", pascal(&name)),
            };
            if out.iter().any(|o| o.rust_name == rust_name) {
                self.err(
                    pos(&p.name),
                    format!("payment rust_name `{rust_name}` is used twice"),
                );
            }
            let mut modes = Vec::new();
            for (k, v) in &p.modes.0 {
                if !is_snake_ident(&k.value) {
                    self.err(
                        pos(k),
                        format!("payment mode `{}` must be snake_case", k.value),
                    );
                }
                if v.value.is_empty() {
                    self.err(
                        pos(v),
                        format!("payment mode `{}` has an empty wire value", k.value),
                    );
                }
                modes.push((k.value.clone(), v.value.clone()));
            }
            if p.uri.value.is_empty() {
                self.err(
                    pos(&p.uri),
                    format!("payment kind `{name}`: `uri` is empty"),
                );
            }
            let names: Vec<String> = modes.iter().map(|(k, _)| k.clone()).collect();
            let fields = self.fields(&p.fields, Place::Payment, &names);
            let sign_env = p.sign_env.as_ref().map(|e| {
                if e.value > 1 {
                    self.err(
                        pos(e),
                        format!("payment kind `{name}`: sign_env must be 0 (production) or 1 (sandbox)"),
                    );
                }
                if fields.iter().any(|f| f.ty == Ty::Env) {
                    self.err(
                        pos(e),
                        format!("payment kind `{name}`: sign_env is for kinds whose signData has no env field"),
                    );
                }
                e.value
            });
            out.push(Payment {
                name,
                rust_name,
                doc: p.doc.clone().unwrap_or_default(),
                uri: p.uri.value.clone(),
                modes,
                sign_env,
                fields,
            });
        }
        out
    }

    fn events(&mut self, raw: &RawSpec) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for e in &raw.events {
            let name = e.name.value.clone();
            let at = pos(&e.name);
            if out.iter().any(|o| o.name == name) {
                self.err(at, format!("duplicate event `{name}`"));
            }
            let rust_name = match &e.rust_name {
                Some(r) => {
                    if !is_pascal_ident(&r.value) {
                        self.err(
                            pos(r),
                            format!("event rust_name `{}` must be PascalCase", r.value),
                        );
                    }
                    r.value.clone()
                }
                None => pascal(&name),
            };
            if rust_name == "Unknown" {
                self.err(
                    at,
                    "event rust_name `Unknown` is reserved for events the spec does not list",
                );
            }
            if out.iter().any(|o| o.rust_name == rust_name) {
                self.err(at, format!("event rust_name `{rust_name}` is used twice"));
            }
            let fields = self.fields(&e.fields, Place::Event, &[]);
            let mut dedup_key = Vec::new();
            if let Some(k) = &e.dedup_key {
                let paths: Vec<String> = match &k.value {
                    crate::parse::OneOrMany::One(p) => vec![p.clone()],
                    crate::parse::OneOrMany::Many(ps) => ps.clone(),
                };
                if paths.is_empty() {
                    self.err(pos(k), format!("event `{name}`: dedup_key is empty"));
                }
                for path in paths {
                    let steps: Vec<String> = path.split('.').map(str::to_string).collect();
                    match self.resolve_path(&fields, &steps) {
                        Err(problem) => self.err(
                            pos(k),
                            format!("event `{name}`: dedup_key `{path}` {problem}"),
                        ),
                        Ok(ty) if !self.is_string_like(&ty) && !ty.is_integer() => self.err(
                            pos(k),
                            format!(
                                "event `{name}`: dedup_key `{path}` must be a string or integer field"
                            ),
                        ),
                        Ok(_) => {}
                    }
                    dedup_key.push(steps);
                }
            }
            let custom_reply = match e.reply.as_ref().map(|r| (r, r.value.as_str())) {
                None | Some((_, "standard")) => false,
                Some((_, "custom")) => true,
                Some((r, other)) => {
                    self.err(
                        pos(r),
                        format!("event `{name}`: reply `{other}` must be `standard` or `custom`"),
                    );
                    false
                }
            };
            out.push(Event {
                name,
                rust_name,
                doc: e.doc.clone().unwrap_or_default(),
                dedup_key,
                custom_reply,
                fields,
            });
        }
        out
    }

    fn errors(&mut self, rows: &[crate::parse::RawError]) -> Vec<ErrorCode> {
        let mut out: Vec<ErrorCode> = Vec::new();
        for e in rows {
            if out.iter().any(|o| o.code == e.code.value) {
                self.err(pos(&e.code), format!("duplicate errcode {}", e.code.value));
            }
            if !is_snake_ident(&e.name.value) {
                self.err(
                    pos(&e.name),
                    format!("error name `{}` must be snake_case", e.name.value),
                );
            }
            if out.iter().any(|o| o.name == e.name.value) {
                self.err(
                    pos(&e.name),
                    format!("duplicate error name `{}`", e.name.value),
                );
            }
            out.push(ErrorCode {
                code: e.code.value,
                name: e.name.value.clone(),
                message: e.message.clone().unwrap_or_default(),
                fix: e.fix.clone(),
            });
        }
        out
    }

    /// Generated struct names must not collide with named types.
    fn generated_names(&mut self, spec: &Spec) {
        let mut generated: Vec<String> = Vec::new();
        for a in &spec.actions {
            let base = pascal(&a.name);
            generated.push(format!("{base}Request"));
            generated.push(format!("{base}Response"));
        }
        for e in &spec.events {
            generated.push(format!("{}Event", e.rust_name));
        }
        for p in &spec.payments {
            generated.push(p.rust_name.clone());
            if !p.modes.is_empty() {
                generated.push(p.mode_enum());
                for (m, _) in &p.modes {
                    generated.push(p.mode_type(m));
                }
            }
        }
        for g in generated {
            if let Some(p) = self.type_names.get(&g).copied() {
                self.err(
                    p,
                    format!("the name `{g}` is generated for an action or event; rename this type"),
                );
            }
        }
    }

    /// Objects reachable from a response or an event must have no required fields.
    fn reachability(&mut self, raw: &RawSpec, spec: &Spec) {
        let mut roots: Vec<(&Ty, String)> = Vec::new();
        for a in &spec.actions {
            for f in &a.response {
                roots.push((&f.ty, format!("the response of `{}`", a.name)));
            }
        }
        for e in &spec.events {
            for f in &e.fields {
                roots.push((&f.ty, format!("event `{}`", e.name)));
            }
        }
        for f in &spec.envelope {
            roots.push((&f.ty, "the push envelope".into()));
        }
        let mut reported = BTreeSet::new();
        for (ty, place) in roots {
            let mut stack = vec![ty];
            let mut seen = BTreeSet::new();
            while let Some(t) = stack.pop() {
                match t {
                    Ty::List(i) | Ty::Json(i) => stack.push(i),
                    Ty::Named(n) if seen.insert(n.clone()) => {
                        if let Some(TypeDef {
                            kind: TypeKind::Object { fields },
                            ..
                        }) = spec.type_def(n)
                        {
                            for f in fields {
                                if f.required && reported.insert((n.clone(), f.wire.clone())) {
                                    let p = raw_field_pos(raw, n, &f.wire).unwrap_or_default();
                                    self.err(
                                        p,
                                        format!("field `{}` of type `{n}` cannot be required: the type is used in {place}, where WeChat may omit fields", f.wire),
                                    );
                                }
                                stack.push(&f.ty);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Types may not contain themselves (the metadata tables are plain statics).
    fn cycles(&mut self, spec: &Spec) {
        fn refs(t: &Ty, out: &mut Vec<String>) {
            match t {
                Ty::Named(n) => out.push(n.clone()),
                Ty::List(i) | Ty::Json(i) => refs(i, out),
                _ => {}
            }
        }
        for start in &spec.types {
            let mut stack = vec![start.name.clone()];
            let mut seen = BTreeSet::new();
            while let Some(n) = stack.pop() {
                if !seen.insert(n.clone()) {
                    continue;
                }
                if let Some(TypeDef {
                    kind: TypeKind::Object { fields },
                    ..
                }) = spec.type_def(&n)
                {
                    let mut next = Vec::new();
                    for f in fields {
                        refs(&f.ty, &mut next);
                    }
                    if next.contains(&start.name) {
                        let p = self
                            .type_names
                            .get(&start.name)
                            .copied()
                            .unwrap_or_default();
                        self.err(p, format!("type `{}` contains itself", start.name));
                        break;
                    }
                    stack.extend(next);
                }
            }
        }
    }
}

fn raw_field_pos(raw: &RawSpec, type_name: &str, field: &str) -> Option<Pos> {
    let (_, t) = raw.types.0.iter().find(|(n, _)| n.value == type_name)?;
    let fields = t.fields.as_ref()?;
    fields
        .value
        .0
        .iter()
        .find(|(k, _)| k.value == field)
        .map(|(_, f)| f.required.as_ref().map(pos).unwrap_or_else(|| pos(&f.ty)))
}

fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Int(i) => i.to_string(),
        Scalar::Str(s) => format!("{s:?}"),
    }
}

/// A charset is a character-class body: single characters and `a-z` ranges; `\-` or a trailing
/// `-` is a literal dash.
pub fn charset_ok(cs: &str) -> Result<(), String> {
    let chars: Vec<char> = cs.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = if chars[i] == '\\' {
            i += 1;
            *chars.get(i).ok_or("ends with a lone backslash")?
        } else {
            chars[i]
        };
        if chars.get(i + 1) == Some(&'-') && i + 2 < chars.len() {
            let hi = chars[i + 2];
            if hi < c {
                return Err(format!("range {c}-{hi} is backwards"));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}
