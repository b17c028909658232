//! Static metadata the generator emits for every action, type and event of a spec.
//!
//! The tables let code that is the same for every action (dynamic calls, the fake server, the
//! callback decoder) work from the spec alone: which fields a body has, their types, which are
//! required, which the client fills, and which rules they must satisfy.

/// How an action is signed (WeChat: each action's page under
/// <https://developers.weixin.qq.com/miniprogram/dev/server/API/VirtualPayment/>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signing {
    /// `pay_sig` only: HMAC-SHA256 of `path & body` with the AppKey.
    Pay,
    /// `pay_sig` plus the user `signature`: HMAC-SHA256 of the body with the session key.
    PayUser,
}

impl Signing {
    /// The spelling used in the spec and by `xpay spec list`: `pay` or `pay+user`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Signing::Pay => "pay",
            Signing::PayUser => "pay+user",
        }
    }
}

/// When a failed call may be sent again: queries freely, money-moving calls only with the same
/// id (WeChat deduplicates by it and answers a repeat with 268490004), the rest never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retry {
    /// Idempotent: retried on transport errors and errcode -1.
    Safe,
    /// Moves money; WeChat deduplicates by an id, so it is retried only with the very same body.
    SameId,
    /// Never retried (batch task starts).
    Never,
}

impl Retry {
    /// The spelling used in the spec: `safe`, `same-id` or `never`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Retry::Safe => "safe",
            Retry::SameId => "same-id",
            Retry::Never => "never",
        }
    }
}

/// Where the client takes a value from when the caller leaves a field unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fill {
    /// The client's [`Env`](crate::Env).
    Env,
    /// The client's offer id.
    OfferId,
}

/// The shape of a value, as far as the wire and the checks need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeMeta {
    /// A JSON string.
    String,
    /// A JSON integer.
    Int,
    /// A JSON boolean.
    Bool,
    /// `0` or `1`: production or sandbox.
    Env,
    /// An enum carried as an integer: its name and the values the spec lists.
    IntEnum(&'static str, &'static [i64]),
    /// An enum carried as a string: its name and the values the spec lists.
    StrEnum(&'static str, &'static [&'static str]),
    /// A JSON object with these fields, named by its type name.
    Object(&'static str, &'static [FieldMeta]),
    /// A JSON array of this type.
    List(&'static TypeMeta),
    /// A JSON string holding this type serialized as JSON.
    Json(&'static TypeMeta),
}

impl TypeMeta {
    /// Whether the wire value is a JSON number (integers, env and integer enums).
    pub const fn is_number(&self) -> bool {
        matches!(self, TypeMeta::Int | TypeMeta::Env | TypeMeta::IntEnum(..))
    }
}

/// Checks on a field's value, applied before a request leaves the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    /// Minimum length in characters.
    pub min_len: Option<u32>,
    /// Maximum length in characters.
    pub max_len: Option<u32>,
    /// Allowed characters, as a character-class body (`A-Za-z0-9_-`).
    pub charset: Option<&'static str>,
    /// Characters the value must not start with.
    pub no_leading: Option<&'static str>,
    /// Minimum numeric value.
    pub min: Option<i64>,
    /// Maximum numeric value.
    pub max: Option<i64>,
    /// Fewest items of a list.
    pub min_items: Option<u32>,
    /// Most items of a list (`1`: one item per call).
    pub max_items: Option<u32>,
}

impl Rules {
    /// No rules at all.
    pub const NONE: Rules = Rules {
        min_len: None,
        max_len: None,
        charset: None,
        no_leading: None,
        min: None,
        max: None,
        min_items: None,
        max_items: None,
    };

    /// Whether any rule is set.
    pub const fn is_empty(&self) -> bool {
        self.min_len.is_none()
            && self.max_len.is_none()
            && self.charset.is_none()
            && self.no_leading.is_none()
            && self.min.is_none()
            && self.max.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
    }
}

/// One field of a request, response, object or event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMeta {
    /// The wire name, exactly as WeChat spells it.
    pub name: &'static str,
    /// Its type.
    pub ty: &'static TypeMeta,
    /// Whether the caller must give it.
    pub required: bool,
    /// Where the client fills it from when unset.
    pub fill: Option<Fill>,
    /// A literal sent when the caller leaves it unset.
    pub default: Option<&'static str>,
    /// Checks on its value.
    pub rules: Rules,
    /// For payment fields: the modes the field belongs to (empty: every mode).
    pub modes: &'static [&'static str],
    /// Required unless this other field of the body has one of these values (as text).
    pub required_unless: Option<(&'static str, &'static [&'static str])>,
    /// A value always sent, which the caller cannot change (as text; `0` for a pinned env).
    pub pinned: Option<&'static str>,
}

impl FieldMeta {
    /// A field with no flags, no rules and no modes: the base of generated tables.
    pub const fn new(name: &'static str, ty: &'static TypeMeta) -> FieldMeta {
        FieldMeta {
            name,
            ty,
            required: false,
            fill: None,
            default: None,
            rules: Rules::NONE,
            modes: &[],
            required_unless: None,
            pinned: None,
        }
    }

    /// Whether the field is always present on the wire once the client has filled it.
    pub const fn always_sent(&self) -> bool {
        self.required || self.fill.is_some() || self.default.is_some() || self.pinned.is_some()
    }

    /// Whether a payment field belongs to `mode` (every field belongs to every mode unless
    /// it lists its modes).
    pub fn in_mode(&self, mode: &str) -> bool {
        self.modes.is_empty() || self.modes.contains(&mode)
    }

    /// Checks one value of this field against its type and rules; `context` names what is
    /// checked in the error ([`Error::Invalid`](crate::Error::Invalid)).
    pub fn check(&self, context: &str, value: &serde_json::Value) -> Result<(), crate::Error> {
        crate::check::typed(
            context,
            &crate::check::At::Root.field(self.name),
            self.ty,
            &self.rules,
            value,
            crate::check::Side::Server,
        )
    }
}

/// Everything the spec says about one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionMeta {
    /// The action name, equal to the path's last segment (`bind_transfer_accout` included).
    pub name: &'static str,
    /// The yansongda/pay name, if any.
    pub alias: Option<&'static str>,
    /// The URL path with its leading slash, as signed.
    pub path: &'static str,
    /// How it is signed.
    pub signing: Signing,
    /// When it may be retried.
    pub retry: Retry,
    /// With [`Retry::SameId`], the field WeChat deduplicates by.
    pub idempotency_key: Option<&'static str>,
    /// The spec's doc line.
    pub doc: &'static str,
    /// The request body's fields, in wire order.
    pub request: &'static [FieldMeta],
    /// Groups of request fields of which exactly one must be set.
    pub one_of: &'static [&'static [&'static str]],
    /// The response's fields besides errcode/errmsg.
    pub response: &'static [FieldMeta],
}

impl ActionMeta {
    /// The request's `env` field, when it is filled from the client's env.
    pub fn env_field(&self) -> Option<&'static FieldMeta> {
        self.request
            .iter()
            .find(|f| f.name == "env" && f.fill == Some(Fill::Env))
    }

    /// Whether the action needs the user's session key.
    pub const fn needs_session_key(&self) -> bool {
        matches!(self.signing, Signing::PayUser)
    }

    /// Checks a JSON request body against the action's table, as WeChat would: no unknown
    /// fields, every field the client always sends present, pinned values, types and rules,
    /// `json<T>` fields as text, no enum value the spec does not list, and exactly one member
    /// of each one_of group. The error is [`Error::Invalid`](crate::Error::Invalid), naming the
    /// field.
    pub fn check_request(&self, body: &serde_json::Value) -> Result<(), crate::Error> {
        self.check_body(body, crate::check::Side::Server)
    }

    pub(crate) fn check_body(
        &self,
        body: &serde_json::Value,
        side: crate::check::Side,
    ) -> Result<(), crate::Error> {
        crate::check::value(self.name, &crate::check::At::Root, self.request, body, side)?;
        for group in self.one_of {
            let members: Vec<(&str, bool)> = group
                .iter()
                .map(|n| (*n, body.get(*n).is_some_and(|v| !v.is_null())))
                .collect();
            crate::check::one_of(self.name, &members)?;
        }
        Ok(())
    }
}

/// Everything the spec says about one push event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventMeta {
    /// The `Event` value WeChat sends.
    pub name: &'static str,
    /// The spec's doc line.
    pub doc: &'static str,
    /// The fields that together identify the push across retries, as paths of wire names
    /// (`OutTradeNo`, `AppleSubscriptionInfo.OriginalTransactionId`); empty when it has none.
    pub dedup_key: &'static [&'static str],
    /// Whether the handler must compose the reply itself.
    pub custom_reply: bool,
    /// The event's own fields (the envelope's are in the envelope table).
    pub fields: &'static [FieldMeta],
}

impl EventMeta {
    /// The push's dedup key, read from its message (WeChat's field names) along the spec's
    /// paths: the parts joined with `:`, each as the push carried it (a string as it is, a
    /// number or an enum as its wire value). `None` when the event has no key, or a part is
    /// absent or empty, so that no two pushes can meet under a partial key. Equal to the typed
    /// event's `dedup_key()`.
    pub fn dedup_key_of(&self, message: &serde_json::Value) -> Option<String> {
        if self.dedup_key.is_empty() {
            return None;
        }
        let mut key = String::new();
        for (n, path) in self.dedup_key.iter().enumerate() {
            let mut value = Some(message);
            for step in path.split('.') {
                value = value.and_then(|v| v.get(step));
            }
            let part = match value? {
                serde_json::Value::String(s) if !s.is_empty() => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            if n > 0 {
                key.push(':');
            }
            key.push_str(&part);
        }
        Some(key)
    }
}

/// One mode of a client-side payment kind (`coin` → `short_series_coin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeMeta {
    /// The spec's short name (`coin`).
    pub name: &'static str,
    /// The `mode` value passed to the client API (`short_series_coin`).
    pub wire: &'static str,
}

/// Everything the spec says about one client-side payment kind (the signData of
/// `wx.requestVirtualPayment`, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentMeta {
    /// The kind's name in the spec (`virtual_payment`).
    pub name: &'static str,
    /// The URI `paySig` is computed over, before `&` and signData (`requestVirtualPayment`).
    pub uri: &'static str,
    /// The modes (empty when the kind has none).
    pub modes: &'static [ModeMeta],
    /// The env whose AppKey always signs, whatever the client's (Apple has no sandbox).
    pub sign_env: Option<crate::Env>,
    /// The signData fields, in signData order.
    pub fields: &'static [FieldMeta],
}

impl PaymentMeta {
    /// Finds a signData field by its wire name.
    pub fn field(&self, name: &str) -> Option<&'static FieldMeta> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Finds a mode by its short name or its wire value.
    pub fn mode(&self, name_or_wire: &str) -> Option<&'static ModeMeta> {
        self.modes
            .iter()
            .find(|m| m.name == name_or_wire || m.wire == name_or_wire)
    }
}

/// One row of the errcode table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorMeta {
    /// WeChat's errcode.
    pub code: i64,
    /// A snake_case name.
    pub name: &'static str,
    /// What it means, `中文 — English`.
    pub message: &'static str,
    /// What usually resolves it.
    pub fix: Option<&'static str>,
}

/// A whole spec's tables.
#[derive(Debug, Clone, Copy)]
pub struct SpecMeta {
    /// Every action.
    pub actions: &'static [&'static ActionMeta],
    /// The fields every push carries.
    pub envelope: &'static [FieldMeta],
    /// Every event.
    pub events: &'static [&'static EventMeta],
    /// The errcode table.
    pub errors: &'static [ErrorMeta],
    /// The client-side payment kinds.
    pub payments: &'static [&'static PaymentMeta],
    /// The codes the client-side payment APIs report to the mini program (`errCode`).
    pub client_errors: &'static [ErrorMeta],
}

impl SpecMeta {
    /// A spec with nothing in it.
    pub const EMPTY: SpecMeta = SpecMeta {
        actions: &[],
        envelope: &[],
        events: &[],
        errors: &[],
        payments: &[],
        client_errors: &[],
    };

    /// Finds an action by name or alias.
    pub fn action(&self, name_or_alias: &str) -> Option<&'static ActionMeta> {
        self.actions
            .iter()
            .copied()
            .find(|a| a.name == name_or_alias || a.alias == Some(name_or_alias))
    }

    /// Finds an event by its `Event` value.
    pub fn event(&self, name: &str) -> Option<&'static EventMeta> {
        self.events.iter().copied().find(|e| e.name == name)
    }

    /// Finds an errcode's row.
    pub fn error(&self, code: i64) -> Option<&'static ErrorMeta> {
        self.errors.iter().find(|e| e.code == code)
    }

    /// What an errcode means, from this spec's table.
    pub fn meaning(&self, code: i64) -> Option<&'static str> {
        self.error(code).map(|e| e.message)
    }

    /// Finds a code the client-side payment APIs report.
    pub fn client_error(&self, code: i64) -> Option<&'static ErrorMeta> {
        self.client_errors.iter().find(|e| e.code == code)
    }

    /// Finds a payment kind by name.
    pub fn payment(&self, name: &str) -> Option<&'static PaymentMeta> {
        self.payments.iter().copied().find(|p| p.name == name)
    }
}
