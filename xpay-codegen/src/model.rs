//! The checked spec: what `check` produces and `emit` and the docs consume. Every name is
//! resolved, every rule validated; nothing here can be wrong in a way the emitter must handle.

use serde::Serialize;

/// A resolved type expression. It serializes as the expression written in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `string`
    String,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `bool`
    Bool,
    /// `env`
    Env,
    /// A type from `types:`.
    Named(String),
    /// `[T]`
    List(Box<Ty>),
    /// `json<T>`
    Json(Box<Ty>),
}

impl Serialize for Ty {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expr())
    }
}

impl Ty {
    /// The type expression as written in the spec.
    pub fn expr(&self) -> String {
        match self {
            Ty::String => "string".into(),
            Ty::I32 => "i32".into(),
            Ty::I64 => "i64".into(),
            Ty::U32 => "u32".into(),
            Ty::U64 => "u64".into(),
            Ty::Bool => "bool".into(),
            Ty::Env => "env".into(),
            Ty::Named(n) => n.clone(),
            Ty::List(t) => format!("[{}]", t.expr()),
            Ty::Json(t) => format!("json<{}>", t.expr()),
        }
    }

    /// Whether values are integers on the wire.
    pub fn is_integer(&self) -> bool {
        matches!(self, Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64)
    }
}

/// Where the client fills a field from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// The client's env.
    Env,
    /// The client's offer id.
    OfferId,
}

/// Checks on a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rules {
    /// Minimum length in characters.
    pub min_len: Option<u32>,
    /// Maximum length in characters.
    pub max_len: Option<u32>,
    /// Allowed characters.
    pub charset: Option<String>,
    /// Forbidden first characters.
    pub no_leading: Option<String>,
    /// Minimum value.
    pub min: Option<i64>,
    /// Maximum value.
    pub max: Option<i64>,
    /// Fewest items of a list.
    pub min_items: Option<u32>,
    /// Most items of a list.
    pub max_items: Option<u32>,
}

impl Rules {
    /// Whether no rule is set.
    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }

    /// The rules in words, for docs.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (self.min_len, self.max_len) {
            (Some(a), Some(b)) => parts.push(format!("{a}–{b} chars")),
            (Some(a), None) => parts.push(format!("≥ {a} chars")),
            (None, Some(b)) => parts.push(format!("≤ {b} chars")),
            (None, None) => {}
        }
        if let Some(c) = &self.charset {
            parts.push(format!("`[{c}]`"));
        }
        if let Some(c) = &self.no_leading {
            parts.push(format!("not starting with `{c}`"));
        }
        match (self.min, self.max) {
            (Some(a), Some(b)) if a == b => parts.push(format!("= {a}")),
            (Some(a), Some(b)) => parts.push(format!("{a}..={b}")),
            (Some(a), None) => parts.push(format!("≥ {a}")),
            (None, Some(b)) => parts.push(format!("≤ {b}")),
            (None, None) => {}
        }
        match (self.min_items, self.max_items) {
            (Some(a), Some(b)) if a == b => parts.push(format!("exactly {a} item{}", plural(a))),
            (Some(a), Some(b)) => parts.push(format!("{a}–{b} items")),
            (Some(a), None) => parts.push(format!("≥ {a} item{}", plural(a))),
            (None, Some(b)) => parts.push(format!("≤ {b} item{}", plural(b))),
            (None, None) => {}
        }
        parts.join(", ")
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn rules_text<S: serde::Serializer>(r: &Rules, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&r.describe())
}

/// A field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The wire name.
    pub wire: String,
    /// The Rust name (a valid identifier, `r#` not included).
    pub rust: String,
    /// The type.
    pub ty: Ty,
    /// The doc line.
    pub doc: String,
    /// Whether the caller must give it.
    pub required: bool,
    /// Where the client fills it from.
    pub fill: Option<Fill>,
    /// The literal sent when unset.
    pub default: Option<String>,
    /// Checks on its value (serialized as words, for docs).
    #[serde(serialize_with = "rules_text")]
    pub rules: Rules,
    /// Payment fields: the modes it belongs to (empty: every mode).
    pub modes: Vec<String>,
    /// Required unless this other field (by wire name) has one of these values.
    pub required_unless: Option<(String, Vec<String>)>,
    /// A value always sent, which the caller cannot change (`value:` in the spec).
    pub pinned: Option<String>,
}

/// An enum value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnumValue {
    /// The wire value, as text (`2`, `SIGNED`).
    pub value: String,
    /// The variant name.
    pub name: String,
    /// The doc line.
    pub doc: String,
}

/// An enum's wire representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repr {
    /// Integers.
    Int,
    /// Strings.
    String,
}

/// What a named type is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeKind {
    /// An object.
    Object {
        /// Its fields, in wire order.
        fields: Vec<Field>,
    },
    /// An enum.
    Enum {
        /// Its representation.
        repr: Repr,
        /// Its values.
        values: Vec<EnumValue>,
    },
    /// Exactly one of several request fields: flattened into the body that uses it.
    OneOf {
        /// The members, in wire order.
        members: Vec<Field>,
    },
}

/// A named type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeDef {
    /// The type name.
    pub name: String,
    /// The doc line.
    pub doc: String,
    /// Object or enum.
    #[serde(flatten)]
    pub kind: TypeKind,
}

/// How an action is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Signing {
    /// `pay`
    #[serde(rename = "pay")]
    Pay,
    /// `pay+user`
    #[serde(rename = "pay+user")]
    PayUser,
}

/// When an action may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Retry {
    /// `safe`
    Safe,
    /// `same-id`
    SameId,
    /// `never`
    Never,
}

/// An action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// The name (= path segment).
    pub name: String,
    /// The yansongda/pay name.
    pub alias: Option<String>,
    /// The path, with its leading slash.
    pub path: String,
    /// How it is signed.
    pub signing: Signing,
    /// When it may be retried.
    pub retry: Retry,
    /// The field WeChat deduplicates by.
    pub idempotency_key: Option<String>,
    /// The doc line.
    pub doc: String,
    /// Request fields.
    pub request: Vec<Field>,
    /// Exactly-one-of groups (wire names).
    pub one_of: Vec<Vec<String>>,
    /// Response fields.
    pub response: Vec<Field>,
}

/// A client-side payment kind: the signData of one client API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// The kind's name (`virtual_payment`).
    pub name: String,
    /// The Rust name of its order type (`PaymentOrder`).
    pub rust_name: String,
    /// The doc line.
    pub doc: String,
    /// The URI signed before signData (`requestVirtualPayment`).
    pub uri: String,
    /// Mode name → wire value (`coin` → `short_series_coin`); empty when the kind has none.
    pub modes: Vec<(String, String)>,
    /// The env whose AppKey always signs (Apple has no sandbox), whatever the client's env.
    pub sign_env: Option<u8>,
    /// signData fields, in order.
    pub fields: Vec<Field>,
}

impl Payment {
    /// The Rust name of one mode's order (`CoinPaymentOrder`).
    pub fn mode_type(&self, mode: &str) -> String {
        format!("{}{}", crate::names::pascal(mode), self.rust_name)
    }

    /// The Rust name of the kind's mode enum (`PaymentMode` for `PaymentOrder`).
    pub fn mode_enum(&self) -> String {
        match self.rust_name.strip_suffix("Order") {
            Some(stem) => format!("{stem}Mode"),
            None => format!("{}Mode", self.rust_name),
        }
    }
}

/// A push event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The `Event` value.
    pub name: String,
    /// The variant name.
    pub rust_name: String,
    /// The doc line.
    pub doc: String,
    /// The fields identifying the push across retries, each a path of wire names
    /// (`AppleSubscriptionInfo.OriginalTransactionId`); empty when the push has none.
    pub dedup_key: Vec<Vec<String>>,
    /// Whether the handler composes the reply.
    pub custom_reply: bool,
    /// Fields besides the envelope's.
    pub fields: Vec<Field>,
}

/// An errcode row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorCode {
    /// The errcode.
    pub code: i64,
    /// The snake_case name.
    pub name: String,
    /// Its meaning.
    pub message: String,
    /// What usually resolves it.
    pub fix: Option<String>,
}

/// A checked spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spec {
    /// The schema version.
    pub version: u32,
    /// The API's base URL.
    pub base_url: String,
    /// Named types.
    pub types: Vec<TypeDef>,
    /// Actions.
    pub actions: Vec<Action>,
    /// The client-side payment kinds.
    pub payments: Vec<Payment>,
    /// The push envelope.
    pub envelope: Vec<Field>,
    /// Events.
    pub events: Vec<Event>,
    /// Errcodes.
    pub errors: Vec<ErrorCode>,
    /// Codes the client-side payment APIs report to the mini program.
    pub client_errors: Vec<ErrorCode>,
}

impl Spec {
    /// A named type.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The members of a one_of type, when `ty` names one.
    pub fn one_of_members(&self, ty: &Ty) -> Option<&[Field]> {
        match ty {
            Ty::Named(n) => match self.type_def(n).map(|t| &t.kind) {
                Some(TypeKind::OneOf { members }) => Some(members),
                _ => None,
            },
            _ => None,
        }
    }
}
