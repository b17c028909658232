//! Stage 3: emit. Turns a checked [`Spec`] into Rust tokens.
//!
//! Each file emits one part: `types` the named objects, enums and one_of types, `actions` the
//! request and response structs and their `Action` impls, `payment` the client-side payment
//! orders, `events` the typed push events, `meta` the static tables every part shares.
//!
//! Every generated struct and enum is `#[non_exhaustive]` and built through a constructor
//! (`new` with the required fields) or `Default`, plus `with_` setters, so that a spec that
//! gains a field, a value, an event or an action never breaks a user's build. Generated code
//! reaches the runtime through the settings' runtime path, and serde through the runtime's
//! private re-export (aliased once per expansion as `__xpay_private`, since serde's `crate`
//! attribute takes a path as text).

mod actions;
mod events;
mod meta;
mod payment;
mod types;

use std::collections::BTreeMap;

use crate::Settings;
use crate::model::{Field, Fill, Spec, Ty, TypeKind};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// Which directions of serde a type needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dirs {
    /// Written: part of a request or payment.
    pub ser: bool,
    /// Read: part of a response, an event or the envelope.
    pub de: bool,
}

/// What every emitter needs: the spec, the settings, and which serde directions each named
/// type is used in.
pub(crate) struct Cx<'a> {
    pub spec: &'a Spec,
    pub settings: &'a Settings,
    dirs: BTreeMap<String, Dirs>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(spec: &'a Spec, settings: &'a Settings) -> Cx<'a> {
        let mut cx = Cx {
            spec,
            settings,
            dirs: BTreeMap::new(),
        };
        let mut roots: Vec<(&Ty, Dirs)> = Vec::new();
        let ser = Dirs {
            ser: true,
            de: false,
        };
        let de = Dirs {
            ser: false,
            de: true,
        };
        for a in &spec.actions {
            roots.extend(a.request.iter().map(|f| (&f.ty, ser)));
            roots.extend(a.response.iter().map(|f| (&f.ty, de)));
        }
        for p in &spec.payments {
            roots.extend(p.fields.iter().map(|f| (&f.ty, ser)));
        }
        for e in &spec.events {
            roots.extend(e.fields.iter().map(|f| (&f.ty, de)));
        }
        roots.extend(spec.envelope.iter().map(|f| (&f.ty, de)));
        for (ty, d) in roots {
            cx.mark(ty, d);
        }
        cx
    }

    fn mark(&mut self, ty: &Ty, d: Dirs) {
        match ty {
            Ty::List(t) | Ty::Json(t) => self.mark(t, d),
            Ty::Named(n) => {
                let entry = self.dirs.entry(n.clone()).or_default();
                let before = *entry;
                entry.ser |= d.ser;
                entry.de |= d.de;
                if *entry == before {
                    return;
                }
                let spec = self.spec;
                if let Some(t) = spec.type_def(n) {
                    let fields: &[Field] = match &t.kind {
                        TypeKind::Object { fields } => fields,
                        TypeKind::OneOf { members } => members,
                        TypeKind::Enum { .. } => &[],
                    };
                    for f in fields {
                        self.mark(&f.ty, d);
                    }
                }
            }
            _ => {}
        }
    }

    /// The serde directions a named type is used in (both for a type nothing uses, which a
    /// user's code may still read or write).
    pub(crate) fn dirs_of(&self, name: &str) -> Dirs {
        self.dirs.get(name).copied().unwrap_or(Dirs {
            ser: true,
            de: true,
        })
    }

    /// The runtime path.
    pub(crate) fn rt(&self) -> &TokenStream {
        &self.settings.runtime
    }

    /// How serde is wired for a type used in `dirs`: derives by direction (the other direction
    /// for every type with [`Derives::Both`](crate::Derives::Both), or under a cargo feature with
    /// [`Derives::Feature`](crate::Derives::Feature)). A type whose fields are all optional is
    /// read entry by entry (`custom_de`) instead of with serde's derive: one `match` per type,
    /// lenient where WeChat is, and much less code to compile.
    pub(crate) fn serde_plan(&self, dirs: Dirs, custom_de: bool) -> SerdePlan {
        let both = matches!(self.settings.derives, crate::Derives::Both);
        let feature = match &self.settings.derives {
            crate::Derives::Feature(f) => Some(f.clone()),
            _ => None,
        };
        let want = |on: bool| {
            if on || both {
                Some(Gate::Always)
            } else {
                feature.clone().map(Gate::Feature)
            }
        };
        SerdePlan {
            ser: want(dirs.ser),
            de: want(dirs.de),
            custom_de,
        }
    }
}

/// Whether a serde direction is implemented always or under a cargo feature.
#[derive(Clone)]
pub(crate) enum Gate {
    Always,
    Feature(String),
}

impl Gate {
    /// `#[cfg(feature = "…")]`, or nothing.
    pub(crate) fn cfg(&self) -> TokenStream {
        match self {
            Gate::Always => quote!(),
            Gate::Feature(f) => quote!(#[cfg(feature = #f)]),
        }
    }
}

/// How serde is wired for one type (see [`Cx::serde_plan`]).
pub(crate) struct SerdePlan {
    pub ser: Option<Gate>,
    pub de: Option<Gate>,
    /// Reads with a generated `Fields` impl instead of serde's derive.
    pub custom_de: bool,
}

impl SerdePlan {
    /// The derive attributes: `Debug, Clone, PartialEq`, `extra`, and the serde derives.
    pub(crate) fn derives(&self, extra: TokenStream) -> TokenStream {
        let ser = quote!(__xpay_private::serde::Serialize);
        let de = quote!(__xpay_private::serde::Deserialize);
        let mut always = Vec::new();
        let mut gated = Vec::new();
        let derived_de = if self.custom_de {
            None
        } else {
            self.de.as_ref()
        };
        for (gate, tokens) in [(self.ser.as_ref(), ser), (derived_de, de)] {
            match gate {
                Some(Gate::Always) => always.push(tokens),
                Some(Gate::Feature(f)) => {
                    gated.push(quote!(#[cfg_attr(feature = #f, derive(#tokens))]))
                }
                None => {}
            }
        }
        let serde_crate = self.attr(quote!(crate = "__xpay_private::serde"));
        quote! {
            #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #extra #(#always),*)]
            #(#gated)*
            #serde_crate
        }
    }

    /// `#[serde(…)]` when a serde derive is always on, `#[cfg_attr(feature, serde(…))]` when only
    /// under a feature, nothing when the type derives no serde trait.
    pub(crate) fn attr(&self, inner: TokenStream) -> TokenStream {
        let derived_de = if self.custom_de {
            None
        } else {
            self.de.as_ref()
        };
        let gates = [self.ser.as_ref(), derived_de];
        if gates.iter().any(|g| matches!(g, Some(Gate::Always))) {
            return quote!(#[serde(#inner)]);
        }
        match gates.into_iter().flatten().next() {
            Some(Gate::Feature(f)) => quote!(#[cfg_attr(feature = #f, serde(#inner))]),
            _ => quote!(),
        }
    }
}

/// Emits the whole API of a spec.
pub(crate) fn emit(spec: &Spec, settings: &Settings) -> TokenStream {
    let cx = Cx::new(spec, settings);
    let parts = emit_parts_with(&cx).into_iter().map(|(_, t)| t);
    let rt = cx.rt();
    quote! {
        #[allow(unused_imports)]
        use #rt::__private as __xpay_private;
        #(#parts)*
    }
}

/// Every part of the output, separately, for snapshots: `(label, tokens)`.
pub(crate) fn emit_parts(spec: &Spec, settings: &Settings) -> Vec<(String, TokenStream)> {
    emit_parts_with(&Cx::new(spec, settings))
}

fn emit_parts_with(cx: &Cx<'_>) -> Vec<(String, TokenStream)> {
    let spec = cx.spec;
    let mut parts = Vec::new();
    for t in &spec.types {
        parts.push((format!("type_{}", t.name), types::emit_type(cx, t)));
    }
    for a in &spec.actions {
        parts.push((format!("action_{}", a.name), actions::emit_action(cx, a)));
    }
    for p in &spec.payments {
        parts.push((format!("payment_{}", p.name), payment::emit_payment(cx, p)));
    }
    parts.push(("events".into(), events::emit_events(cx)));
    parts.push(("spec_table".into(), meta::emit_spec_table(cx)));
    parts
}

/// A field identifier, `r#`-escaped where it is a keyword. The checker refuses the keywords
/// `r#` cannot escape (`self`, `super`, …); should one reach here anyway (a skeleton emitted
/// beside a spec error), it gets a trailing `_` rather than a panic.
pub(crate) fn field_ident(name: &str) -> Ident {
    if crate::names::is_path_keyword(name) {
        format_ident!("{}_", name)
    } else if crate::names::is_keyword(name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// A method identifier `prefix_name` (never a keyword).
pub(crate) fn method_ident(prefix: &str, name: &str) -> Ident {
    format_ident!("{}_{}", prefix, name)
}

pub(crate) fn type_ident(name: &str) -> Ident {
    format_ident!("{}", name)
}

/// `#[doc = "..."]` lines for a doc string (nothing for an empty one).
pub(crate) fn doc_attr(doc: &str) -> TokenStream {
    let lines = doc
        .lines()
        .map(|l| format!(" {}", l.trim_end()))
        .collect::<Vec<_>>();
    quote!(#(#[doc = #lines])*)
}

/// The Rust type of a spec type.
pub(crate) fn rust_type(cx: &Cx<'_>, ty: &Ty) -> TokenStream {
    let rt = cx.rt();
    match ty {
        Ty::String => quote!(::std::string::String),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::U32 => quote!(u32),
        Ty::U64 => quote!(u64),
        Ty::Bool => quote!(bool),
        Ty::Env => quote!(#rt::Env),
        Ty::Named(n) => {
            let i = type_ident(n);
            quote!(#i)
        }
        Ty::List(t) => {
            let inner = rust_type(cx, t);
            quote!(::std::vec::Vec<#inner>)
        }
        Ty::Json(t) => {
            let inner = rust_type(cx, t);
            quote!(#rt::JsonString<#inner>)
        }
    }
}

/// How a setter or constructor takes a value of this type: strings as `impl Into<String>`,
/// everything else as itself. Returns the parameter type and the expression that converts the
/// parameter `v`.
pub(crate) fn param(cx: &Cx<'_>, ty: &Ty, v: &Ident) -> (TokenStream, TokenStream) {
    match ty {
        Ty::String => (
            quote!(impl ::core::convert::Into<::std::string::String>),
            quote!(::core::convert::Into::into(#v)),
        ),
        other => (rust_type(cx, other), quote!(#v)),
    }
}

/// The doc line of a struct field: the spec's doc, its rules and what fills it.
pub(crate) fn field_doc(f: &Field) -> String {
    let mut doc = if f.doc.is_empty() {
        format!("`{}`", f.wire)
    } else {
        f.doc.clone()
    };
    let rules = f.rules.describe();
    if !rules.is_empty() {
        doc.push_str(&format!(" ({rules})"));
    }
    let mut notes = Vec::new();
    match f.fill {
        Some(Fill::Env) => notes.push("Filled from the client's env when `None`.".to_string()),
        Some(Fill::OfferId) => {
            notes.push("Filled from the client's offer id when `None`.".to_string())
        }
        None => {}
    }
    match f.default.as_deref() {
        Some("") => notes.push("Sent as an empty string when `None`.".to_string()),
        Some(d) => notes.push(format!("Sent as `{d}` when `None`.")),
        None => {}
    }
    if f.wire != f.rust {
        notes.push(format!("On the wire: `{}`.", f.wire));
    }
    if !notes.is_empty() {
        // A blank doc line keeps the spec's line a summary of its own.
        doc = format!("{}\n\n{}", doc.trim(), notes.join(" "));
    }
    doc
}

/// A struct field. Required fields are plain; optional ones are `Option`, skipped when `None`.
/// A one_of field is flattened into the body.
pub(crate) fn struct_field(cx: &Cx<'_>, f: &Field, plan: &SerdePlan) -> TokenStream {
    let ident = field_ident(&f.rust);
    let wire = &f.wire;
    let ty = rust_type(cx, &f.ty);
    let doc = doc_attr(&field_doc(f));
    if cx.spec.one_of_members(&f.ty).is_some() {
        let flatten = plan.attr(quote!(flatten));
        return quote! {
            #doc
            #flatten
            pub #ident: #ty,
        };
    }
    let rename = if f.wire == f.rust {
        quote!()
    } else {
        plan.attr(quote!(rename = #wire))
    };
    if f.pinned.is_some() {
        // Always sent with the spec's value: set by `new`, not by the caller.
        return quote! {
            #rename
            #ident: #ty,
        };
    }
    if f.required {
        return quote! {
            #doc
            #rename
            pub #ident: #ty,
        };
    }
    let skip = plan.attr(quote!(
        default,
        skip_serializing_if = "::core::option::Option::is_none"
    ));
    quote! {
        #doc
        #rename
        #skip
        pub #ident: ::core::option::Option<#ty>,
    }
}

/// The seed that reads a field's value from a map entry, leniently where WeChat is known to send
/// another shape (numbers and booleans as text, lists of strings as one string, an empty value as
/// absent); `None` for types read as they are.
fn read_seed(cx: &Cx<'_>, ty: &Ty) -> Option<TokenStream> {
    let l = quote!(__xpay_private::lenient::seed);
    let phantom = quote!(::core::marker::PhantomData);
    Some(match ty {
        Ty::Bool => quote!(#l::OptBool),
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => quote!(#l::OptInt(#phantom)),
        Ty::Env => quote!(#l::OptEnv),
        Ty::List(inner) if **inner == Ty::String => quote!(#l::OptStrings),
        Ty::Named(n) => match cx.spec.type_def(n).map(|t| &t.kind) {
            Some(TypeKind::Enum {
                repr: crate::model::Repr::Int,
                ..
            }) => quote!(#l::OptIntEnum(#phantom)),
            Some(TypeKind::Enum { .. }) => quote!(#l::OptStrEnum(#phantom)),
            _ => return None,
        },
        _ => return None,
    })
}

/// The `Deserialize` and `Fields` impls of a type read entry by entry (every field optional).
pub(crate) fn reader(cx: &Cx<'_>, name: &Ident, fields: &[Field], gate: &Gate) -> TokenStream {
    let serde = quote!(__xpay_private::serde);
    let type_name = name.to_string();
    let arms: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let i = field_ident(&f.rust);
            let wire = &f.wire;
            match read_seed(cx, &f.ty) {
                Some(seed) => quote!(#wire => self.#i = map.next_value_seed(#seed)?,),
                None => quote!(#wire => self.#i = map.next_value()?,),
            }
        })
        .collect();
    let body = if arms.is_empty() {
        quote! {
            let _ = (key, map);
            ::core::result::Result::Ok(false)
        }
    } else {
        quote! {
            match key {
                #(#arms)*
                _ => return ::core::result::Result::Ok(false),
            }
            ::core::result::Result::Ok(true)
        }
    };
    let cfg = gate.cfg();
    quote! {
        #cfg
        impl<'de> #serde::Deserialize<'de> for #name {
            fn deserialize<D: #serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                __xpay_private::de::object(d)
            }
        }

        #cfg
        impl __xpay_private::de::Fields for #name {
            const NAME: &'static str = #type_name;

            fn field<'de, A: #serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> ::core::result::Result<bool, A::Error> {
                #body
            }
        }
    }
}

/// A struct with its derives, constructors and, when it is read from WeChat, its reader: the
/// one shape of every generated object, request, response, event and the envelope.
pub(crate) fn emit_struct(
    cx: &Cx<'_>,
    name: &Ident,
    doc: TokenStream,
    fields: &[Field],
    dirs: Dirs,
    what: &str,
) -> TokenStream {
    let optional_only = fields.iter().all(|f| !f.required && f.pinned.is_none());
    let plan = cx.serde_plan(dirs, optional_only);
    let default = if optional_only {
        quote!(::core::default::Default,)
    } else {
        quote!()
    };
    let derives = plan.derives(default);
    let members = fields.iter().map(|f| struct_field(cx, f, &plan));
    let ctors = constructors(cx, name, fields, what);
    let reader = match (&plan.de, optional_only) {
        (Some(gate), true) => reader(cx, name, fields, gate),
        _ => quote!(),
    };
    quote! {
        #doc
        #derives
        #[non_exhaustive]
        pub struct #name {
            #(#members)*
        }

        #ctors
        #reader
    }
}

/// The expression of a pinned value.
fn pinned_value(cx: &Cx<'_>, ty: &Ty, value: &str) -> TokenStream {
    let rt = cx.rt();
    match ty {
        Ty::Env if value == "1" => quote!(#rt::Env::Sandbox),
        Ty::Env => quote!(#rt::Env::Production),
        other => actions::default_value(cx, other, value),
    }
}

/// `new(required…)` (documented) and a `with_` setter for every optional field.
pub(crate) fn constructors(cx: &Cx<'_>, name: &Ident, fields: &[Field], what: &str) -> TokenStream {
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let params = required.iter().map(|f| {
        let i = field_ident(&f.rust);
        let (ty, _) = param(cx, &f.ty, &i);
        quote!(#i: #ty)
    });
    let inits = fields.iter().map(|f| {
        let i = field_ident(&f.rust);
        if let Some(v) = &f.pinned {
            let value = pinned_value(cx, &f.ty, v);
            quote!(#i: #value)
        } else if !f.required {
            quote!(#i: ::core::option::Option::None)
        } else if f.ty == Ty::String {
            let (_, conv) = param(cx, &f.ty, &i);
            quote!(#i: #conv)
        } else {
            quote!(#i)
        }
    });
    let new_doc = if required.is_empty() {
        format!("{what} with every field unset; set them with the `with_` methods.")
    } else {
        let names = required
            .iter()
            .map(|f| format!("`{}`", f.wire))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "{what} from its required fields ({names}); set optional fields with the `with_` methods."
        )
    };
    let setters = fields
        .iter()
        .filter(|f| !f.required && f.pinned.is_none())
        .map(|f| {
            let i = field_ident(&f.rust);
            let m = method_ident("with", f.rust.trim_start_matches("r#"));
            let v = format_ident!("value");
            let (ty, conv) = param(cx, &f.ty, &v);
            let doc = doc_attr(&format!("Sets `{}`: {}", f.wire, f.doc));
            quote! {
                #doc
                #[must_use]
                pub fn #m(mut self, value: #ty) -> Self {
                    self.#i = ::core::option::Option::Some(#conv);
                    self
                }
            }
        });
    let new_doc = doc_attr(&new_doc);
    quote! {
        impl #name {
            #new_doc
            #[allow(clippy::new_without_default, clippy::too_many_arguments)]
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
            #(#setters)*
        }
    }
}
