//! The checked spec: what `check` produces and `emit` and the docs consume. Every name is
//! resolved, every rule validated; nothing here can be wrong in a way the emitter must handle.

use serde::Serialize;

/// A resolved type expression. It serializes as the expression written in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
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
    pub(crate) fn expr(&self) -> String {
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
    pub(crate) fn is_integer(&self) -> bool {
        matches!(self, Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64)
    }
}

/// Where the client fills a field from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Fill {
    /// The client's env.
    Env,
    /// The client's offer id.
    OfferId,
}

/// Checks on a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Rules {
    /// Minimum length in characters.
    pub(crate) min_len: Option<u32>,
    /// Maximum length in characters.
    pub(crate) max_len: Option<u32>,
    /// Allowed characters.
    pub(crate) charset: Option<String>,
    /// Forbidden first characters.
    pub(crate) no_leading: Option<String>,
    /// Minimum value.
    pub(crate) min: Option<i64>,
    /// Maximum value.
    pub(crate) max: Option<i64>,
    /// Fewest items of a list.
    pub(crate) min_items: Option<u32>,
    /// Most items of a list.
    pub(crate) max_items: Option<u32>,
}

impl Rules {
    /// Whether no rule is set.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Rules::default()
    }

    /// The rules in words, for docs.
    pub(crate) fn describe(&self) -> String {
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
pub(crate) struct Field {
    /// The wire name.
    pub(crate) wire: String,
    /// The Rust name (a valid identifier, `r#` not included).
    pub(crate) rust: String,
    /// The type.
    pub(crate) ty: Ty,
    /// The doc line.
    pub(crate) doc: String,
    /// Whether the caller must give it.
    pub(crate) required: bool,
    /// Where the client fills it from.
    pub(crate) fill: Option<Fill>,
    /// The literal sent when unset.
    pub(crate) default: Option<String>,
    /// Checks on its value (serialized as words, for docs).
    #[serde(serialize_with = "rules_text")]
    pub(crate) rules: Rules,
    /// Payment fields: the modes it belongs to (empty: every mode).
    pub(crate) modes: Vec<String>,
    /// Required unless this other field (by wire name) has one of these values.
    pub(crate) required_unless: Option<(String, Vec<String>)>,
    /// A value always sent, which the caller cannot change (`value:` in the spec).
    pub(crate) pinned: Option<String>,
}

/// An enum value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EnumValue {
    /// The wire value, as text (`2`, `SIGNED`).
    pub(crate) value: String,
    /// The variant name.
    pub(crate) name: String,
    /// The doc line.
    pub(crate) doc: String,
}

/// An enum's wire representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Repr {
    /// Integers.
    Int,
    /// Strings.
    String,
}

/// What a named type is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum TypeKind {
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
pub(crate) struct TypeDef {
    /// The type name.
    pub(crate) name: String,
    /// The doc line.
    pub(crate) doc: String,
    /// Object or enum.
    #[serde(flatten)]
    pub(crate) kind: TypeKind,
}

/// How an action is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Signing {
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
pub(crate) enum Retry {
    /// `safe`
    Safe,
    /// `same-id`
    SameId,
    /// `never`
    Never,
}

/// An action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Action {
    /// The name (= path segment).
    pub(crate) name: String,
    /// The yansongda/pay name.
    pub(crate) alias: Option<String>,
    /// The path, with its leading slash.
    pub(crate) path: String,
    /// How it is signed.
    pub(crate) signing: Signing,
    /// When it may be retried.
    pub(crate) retry: Retry,
    /// The field WeChat deduplicates by.
    pub(crate) idempotency_key: Option<String>,
    /// The doc line.
    pub(crate) doc: String,
    /// Request fields.
    pub(crate) request: Vec<Field>,
    /// Exactly-one-of groups (wire names).
    pub(crate) one_of: Vec<Vec<String>>,
    /// Response fields.
    pub(crate) response: Vec<Field>,
}

/// A client-side payment kind: the signData of one client API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Payment {
    /// The kind's name (`virtual_payment`).
    pub(crate) name: String,
    /// The Rust name of its order type (`PaymentOrder`).
    pub(crate) rust_name: String,
    /// The doc line.
    pub(crate) doc: String,
    /// The URI signed before signData (`requestVirtualPayment`).
    pub(crate) uri: String,
    /// Mode name → wire value (`coin` → `short_series_coin`); empty when the kind has none.
    pub(crate) modes: Vec<(String, String)>,
    /// The env whose AppKey always signs (Apple has no sandbox), whatever the client's env.
    pub(crate) sign_env: Option<u8>,
    /// signData fields, in order.
    pub(crate) fields: Vec<Field>,
}

impl Payment {
    /// The Rust name of one mode's order (`CoinPaymentOrder`).
    pub(crate) fn mode_type(&self, mode: &str) -> String {
        crate::names::mode_order(mode, &self.rust_name)
    }

    /// The Rust name of the kind's mode enum (`PaymentMode` for `PaymentOrder`).
    pub(crate) fn mode_enum(&self) -> String {
        crate::names::mode_enum(&self.rust_name)
    }
}

/// A push event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Event {
    /// The `Event` value.
    pub(crate) name: String,
    /// The variant name.
    pub(crate) rust_name: String,
    /// The doc line.
    pub(crate) doc: String,
    /// The fields identifying the push across retries, each a path of wire names
    /// (`AppleSubscriptionInfo.OriginalTransactionId`); empty when the push has none.
    pub(crate) dedup_key: Vec<Vec<String>>,
    /// Whether the handler composes the reply.
    pub(crate) custom_reply: bool,
    /// Fields besides the envelope's.
    pub(crate) fields: Vec<Field>,
}

/// An errcode row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ErrorCode {
    /// The errcode.
    pub(crate) code: i64,
    /// The snake_case name.
    pub(crate) name: String,
    /// Its meaning.
    pub(crate) message: String,
    /// What usually resolves it.
    pub(crate) fix: Option<String>,
}

/// A checked spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Spec {
    /// The schema version.
    pub(crate) version: u32,
    /// The API's base URL.
    pub(crate) base_url: String,
    /// Named types.
    pub(crate) types: Vec<TypeDef>,
    /// Actions.
    pub(crate) actions: Vec<Action>,
    /// The client-side payment kinds.
    pub(crate) payments: Vec<Payment>,
    /// The push envelope.
    pub(crate) envelope: Vec<Field>,
    /// Events.
    pub(crate) events: Vec<Event>,
    /// Errcodes.
    pub(crate) errors: Vec<ErrorCode>,
    /// Codes the client-side payment APIs report to the mini program.
    pub(crate) client_errors: Vec<ErrorCode>,
}

impl Spec {
    /// A named type.
    pub(crate) fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The members of a one_of type, when `ty` names one.
    pub(crate) fn one_of_members(&self, ty: &Ty) -> Option<&[Field]> {
        match ty {
            Ty::Named(n) => match self.type_def(n).map(|t| &t.kind) {
                Some(TypeKind::OneOf { members }) => Some(members),
                _ => None,
            },
            _ => None,
        }
    }
}
