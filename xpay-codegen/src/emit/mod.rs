//! Stage 3: emit. Turns a checked [`Spec`] into Rust tokens.
//!
//! Each file emits one part: `types` the named objects and enums, `actions` the
//! request/response structs, `Action` impls and client methods, `payment` the
//! `wx.requestVirtualPayment` order, `events` the typed push events, `meta` the static
//! tables every part shares. Generated code reaches its dependencies only through
//! `::xpay_runtime` (and its `__private` re-exports), so a crate that expands a spec depends on
//! `xpay-runtime` alone.

mod actions;
mod events;
mod meta;
mod payment;
mod types;

use crate::model::{Spec, Ty};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// How the generated client methods are attached to `xpay_runtime::Client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientStyle {
    /// Inherent methods: only possible inside `xpay-runtime` itself.
    Inherent,
    /// An extension trait of this name, implemented for `Client` (for specs expanded in a
    /// user's crate).
    Trait(String),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// How client methods are attached.
    pub client: ClientStyle,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            client: ClientStyle::Trait("XpayActions".into()),
        }
    }
}

/// Emits the whole API of a spec.
pub fn emit(spec: &Spec, options: &Options) -> TokenStream {
    let types = spec.types.iter().map(|t| types::emit_type(spec, t));
    let actions = actions::emit_actions(spec, options);
    let payment = spec
        .payment
        .as_ref()
        .map(|p| payment::emit_payment(spec, p))
        .unwrap_or_default();
    let events = events::emit_events(spec);
    let table = meta::emit_spec_table(spec);
    quote! {
        #(#types)*
        #actions
        #payment
        #events
        #table
    }
}

/// Every part of the output, separately, for snapshots: `(label, tokens)`.
pub fn emit_parts(spec: &Spec, options: &Options) -> Vec<(String, TokenStream)> {
    let mut parts = Vec::new();
    for t in &spec.types {
        parts.push((format!("type_{}", t.name), types::emit_type(spec, t)));
    }
    for a in &spec.actions {
        parts.push((format!("action_{}", a.name), actions::emit_action(spec, a)));
    }
    parts.push(("client".into(), actions::emit_client(spec, options)));
    if let Some(p) = &spec.payment {
        parts.push(("payment".into(), payment::emit_payment(spec, p)));
    }
    parts.push(("events".into(), events::emit_events(spec)));
    parts.push(("spec_table".into(), meta::emit_spec_table(spec)));
    parts
}

/// `::xpay_runtime`
pub(crate) fn rt() -> TokenStream {
    quote!(::xpay_runtime)
}

/// A field identifier, `r#`-escaped where it is a keyword.
pub(crate) fn field_ident(name: &str) -> Ident {
    if crate::names::is_keyword(name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
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
pub(crate) fn rust_type(ty: &Ty) -> TokenStream {
    let rt = rt();
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
            let inner = rust_type(t);
            quote!(::std::vec::Vec<#inner>)
        }
        Ty::Json(t) => {
            let inner = rust_type(t);
            quote!(#rt::JsonString<#inner>)
        }
    }
}

/// Whether a value of this type has a `Default` (so a struct holding it can derive one).
pub(crate) fn has_default(spec: &Spec, ty: &Ty) -> bool {
    match ty {
        Ty::Named(n) => match spec.type_def(n).map(|t| &t.kind) {
            Some(crate::model::TypeKind::Object { fields }) => fields
                .iter()
                .all(|f| !f.is_plain() || has_default(spec, &f.ty)),
            _ => false,
        },
        Ty::List(_) => true,
        Ty::Json(t) => has_default(spec, t),
        _ => true,
    }
}

/// The `#[derive]` and `#[serde]` attributes every generated struct carries.
pub(crate) fn struct_attrs(defaultable: bool) -> TokenStream {
    let default = if defaultable {
        quote!(::core::default::Default,)
    } else {
        quote!()
    };
    quote! {
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #default
            ::xpay_runtime::__private::serde::Serialize, ::xpay_runtime::__private::serde::Deserialize)]
        #[serde(crate = "::xpay_runtime::__private::serde")]
    }
}

/// A field of a response, object or event: `Option`, and read leniently where WeChat is known
/// to send another shape (booleans as `0`/`1`, integers as digit strings).
pub(crate) fn read_field(f: &crate::model::Field) -> TokenStream {
    let lenient = match f.ty {
        Ty::Bool => Some("::xpay_runtime::__private::lenient::opt_bool"),
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => {
            Some("::xpay_runtime::__private::lenient::opt_int")
        }
        _ => None,
    };
    let field = struct_field(f, true);
    match lenient {
        Some(path) if !f.required => quote!(#[serde(deserialize_with = #path)] #field),
        _ => field,
    }
}

/// A struct field: plain when required, else `Option` skipped when `None`.
pub(crate) fn struct_field(f: &crate::model::Field, optional: bool) -> TokenStream {
    let ident = field_ident(&f.rust);
    let wire = &f.wire;
    let ty = rust_type(&f.ty);
    // Every public field gets a doc line, so `missing_docs` holds for any spec.
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
        Some(crate::model::Fill::Env) => {
            notes.push("Filled from the client's env when `None`.".to_string())
        }
        Some(crate::model::Fill::OfferId) => {
            notes.push("Filled from the client's offer id when `None`.".to_string())
        }
        None => {}
    }
    if let Some(d) = &f.default {
        notes.push(format!("Sent as `{d}` when `None`."));
    }
    if !notes.is_empty() {
        // A blank doc line keeps the spec's line a summary of its own.
        doc = format!("{}\n\n{}", doc.trim(), notes.join(" "));
    }
    let doc = doc_attr(doc.trim());
    let rename = if f.wire == f.rust {
        quote!()
    } else {
        quote!(#[serde(rename = #wire)])
    };
    if optional {
        quote! {
            #doc
            #rename
            #[serde(default, skip_serializing_if = "::core::option::Option::is_none")]
            pub #ident: ::core::option::Option<#ty>,
        }
    } else {
        quote! {
            #doc
            #rename
            pub #ident: #ty,
        }
    }
}
