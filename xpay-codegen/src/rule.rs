//! The rules a spec can break, each with the kebab-case id its diagnostics carry
//! (`error[unknown-type]: …`). The parse stage owns the first four (YAML and the schema's
//! shape); the check stage (`check/`) owns the rest, one small function each.

macro_rules! rules {
    ($($(#[doc = $doc:literal])+ $variant:ident = $id:literal,)+) => {
        /// A rule of the spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Rule {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Rule {
            /// The id diagnostics of this rule carry.
            pub(crate) fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)+
                }
            }
        }

        /// The id of every rule, parse and check alike, in declaration order.
        pub(crate) const IDS: &[&str] = &[$($id,)+];
    };
}

rules! {
    // Parse: YAML and the schema's shape.
    /// The text is not YAML.
    YamlSyntax = "yaml-syntax",
    /// A mapping repeats a key.
    DuplicateKey = "duplicate-key",
    /// A mapping has a key the schema does not know.
    UnknownKey = "unknown-key",
    /// A value has the wrong shape (a list for a string, a required key missing, …).
    SpecShape = "spec-shape",

    // The whole spec.
    /// `version:` is one the generator knows.
    UnsupportedVersion = "unsupported-version",
    /// A key removed in xpay-rs 0.2, with its replacement.
    ReplacedKey = "replaced-key",

    // Names.
    /// A name has the case its Rust item needs.
    NameCase = "name-case",
    /// A wire name gives no Rust identifier and no `rust_name:` is given.
    NoRustName = "no-rust-name",
    /// A name the generator keeps for itself.
    ReservedName = "reserved-name",
    /// Two declarations of one name.
    DuplicateName = "duplicate-name",
    /// Two enum values or errcodes alike.
    DuplicateValue = "duplicate-value",
    /// Two items that would get one Rust name.
    RustNameClash = "rust-name-clash",
    /// An alias that is another action's name.
    AliasClash = "alias-clash",
    /// A key that takes one of a few words holds another.
    UnknownChoice = "unknown-choice",

    // Named types.
    /// A named type is exactly one of an object, an enum or a one_of type.
    TypeShape = "type-shape",
    /// An enum lists values.
    EmptyEnum = "empty-enum",
    /// An enum value has the enum's wire representation.
    EnumValueType = "enum-value-type",
    /// A one_of type has two members or more.
    OneOfTooFew = "one-of-too-few",
    /// A type does not contain itself.
    TypeCycle = "type-cycle",
    /// A type received from WeChat has no required field.
    ReceivedTypeRequired = "received-type-required",

    // Fields.
    /// `type:` names a type.
    UnknownType = "unknown-type",
    /// `fill:` fits the field's type.
    FillType = "fill-type",
    /// A `default:` or pinned `value:` fits the field's type.
    LiteralType = "literal-type",
    /// A required field is not also filled or defaulted.
    RequiredNotFilled = "required-not-filled",
    /// A field is not both filled and defaulted.
    FillAndDefault = "fill-and-default",
    /// A limit (`min_len`, `charset`, `min`, `max_items`, …) fits the field's type.
    LimitType = "limit-type",
    /// A lower limit is not above its upper limit.
    LimitRange = "limit-range",
    /// A `charset:` or `no_leading:` is a well-formed, non-empty character set.
    BadCharset = "bad-charset",
    /// A pinned `value:` is the field's only source.
    PinnedAlone = "pinned-alone",
    /// `fill:`, `default:`, `value:` and limits are on fields the client sends.
    ClientSentOnly = "client-sent-only",
    /// A field received from WeChat is not required.
    ReceivedFieldRequired = "received-field-required",
    /// `required_unless:` is on an action's request field.
    RequiredUnlessPlace = "required-unless-place",
    /// A field is not both `required` and `required_unless`.
    RequiredUnlessRequired = "required-unless-required",
    /// `required_unless:` names one field and its values.
    RequiredUnlessShape = "required-unless-shape",
    /// `required_unless:` names a request field.
    RequiredUnlessField = "required-unless-field",
    /// `required_unless:` lists values of that field's enum.
    RequiredUnlessValue = "required-unless-value",
    /// `modes:` is on a payment field and lists modes.
    ModesPlace = "modes-place",
    /// `modes:` names modes of the payment kind.
    UnknownMode = "unknown-mode",
    /// A one_of type is the type of an action's request field only.
    OneOfOnlyInRequests = "one-of-only-in-requests",
    /// A one_of field is required.
    OneOfRequired = "one-of-required",
    /// A one_of member is not required, filled or defaulted.
    OneOfMemberPlain = "one-of-member-plain",

    // Actions.
    /// An action has `path:`, `signing:` and `retry:`.
    MissingKey = "missing-key",
    /// A path starts with `/`.
    PathLeadingSlash = "path-leading-slash",
    /// An action's name is its path's last segment.
    NameMatchesPath = "name-matches-path",
    /// A request does not list what the client adds itself.
    ClientAddedField = "client-added-field",
    /// A request's `env` is filled from the client or pinned.
    EnvField = "env-field",
    /// `idempotency_key:` names a request field.
    IdempotencyKeyField = "idempotency-key-field",
    /// `idempotency_key:` goes with `retry: same-id`, and `retry: same-id` with it.
    IdempotencyKeyRetry = "idempotency-key-retry",
    /// A one_of member is not also a field of the request.
    OneOfMemberClash = "one-of-member-clash",

    // Payments.
    /// A payment kind's `uri` and its modes' wire values are not empty.
    EmptyWire = "empty-wire",
    /// `sign_env:` is 0 or 1, on a kind whose signData has no env field.
    SignEnv = "sign-env",

    // Events.
    /// A dedup_key names string or integer fields of the event.
    DedupKey = "dedup-key",
}
