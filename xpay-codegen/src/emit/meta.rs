//! The static metadata tables (`xpay_runtime::meta`): field lists, action, payment and event
//! metadata, the errcode table and the `SPEC` table that ties them together. Docs are not
//! copied into field tables: they live in the rustdoc of the generated types.

use super::{Cx, type_ident};
use crate::model::{Field, Fill, Repr, Rules, Ty, TypeKind};
use proc_macro2::TokenStream;
use quote::quote;

fn opt<T: quote::ToTokens>(v: Option<T>) -> TokenStream {
    match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// A `TypeMeta` expression for a type.
pub(crate) fn type_meta(cx: &Cx<'_>, ty: &Ty) -> TokenStream {
    let rt = cx.rt();
    match ty {
        Ty::String => quote!(#rt::meta::TypeMeta::String),
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => quote!(#rt::meta::TypeMeta::Int),
        Ty::Bool => quote!(#rt::meta::TypeMeta::Bool),
        Ty::Env => quote!(#rt::meta::TypeMeta::Env),
        Ty::Named(n) => match cx.spec.type_def(n).map(|t| &t.kind) {
            Some(TypeKind::Enum {
                repr: Repr::Int,
                values,
            }) => {
                let v = values
                    .iter()
                    .map(|v| v.value.parse::<i64>().unwrap_or_default());
                quote!(#rt::meta::TypeMeta::IntEnum(#n, &[#(#v),*]))
            }
            Some(TypeKind::Enum { values, .. }) => {
                let v = values.iter().map(|v| v.value.as_str());
                quote!(#rt::meta::TypeMeta::StrEnum(#n, &[#(#v),*]))
            }
            _ => {
                let i = type_ident(n);
                quote!(#rt::meta::TypeMeta::Object(#n, #i::__FIELDS))
            }
        },
        Ty::List(t) => {
            let inner = type_meta(cx, t);
            quote!(#rt::meta::TypeMeta::List(&#inner))
        }
        Ty::Json(t) => {
            let inner = type_meta(cx, t);
            quote!(#rt::meta::TypeMeta::Json(&#inner))
        }
    }
}

/// A `Rules` expression.
pub(crate) fn rules(cx: &Cx<'_>, r: &Rules) -> TokenStream {
    let rt = cx.rt();
    if r.is_empty() {
        return quote!(#rt::meta::Rules::NONE);
    }
    let min_len = opt(r.min_len);
    let max_len = opt(r.max_len);
    let charset = opt(r.charset.as_deref());
    let no_leading = opt(r.no_leading.as_deref());
    let min = opt(r.min);
    let max = opt(r.max);
    let min_items = opt(r.min_items);
    let max_items = opt(r.max_items);
    quote! {
        #rt::meta::Rules {
            min_len: #min_len,
            max_len: #max_len,
            charset: #charset,
            no_leading: #no_leading,
            min: #min,
            max: #max,
            min_items: #min_items,
            max_items: #max_items,
        }
    }
}

/// A `&[FieldMeta]` expression.
pub(crate) fn fields_meta(cx: &Cx<'_>, fields: &[Field]) -> TokenStream {
    let rt = cx.rt();
    let items = fields.iter().map(|f| {
        let name = &f.wire;
        let ty = type_meta(cx, &f.ty);
        let plain = !f.required
            && f.fill.is_none()
            && f.default.is_none()
            && f.rules.is_empty()
            && f.modes.is_empty()
            && f.required_unless.is_none()
            && f.pinned.is_none();
        if plain {
            return quote!(#rt::meta::FieldMeta::new(#name, &#ty));
        }
        let required = f.required;
        let fill = opt(f.fill.map(|fl| match fl {
            Fill::Env => quote!(#rt::meta::Fill::Env),
            Fill::OfferId => quote!(#rt::meta::Fill::OfferId),
        }));
        let default = opt(f.default.as_deref());
        let rules = rules(cx, &f.rules);
        let modes = &f.modes;
        let unless = opt(f
            .required_unless
            .as_ref()
            .map(|(other, values)| quote!((#other, &[#(#values),*]))));
        let pinned = opt(f.pinned.as_deref());
        quote! {
            #rt::meta::FieldMeta {
                name: #name,
                ty: &#ty,
                required: #required,
                fill: #fill,
                default: #default,
                rules: #rules,
                modes: &[#(#modes),*],
                required_unless: #unless,
                pinned: #pinned,
            }
        }
    });
    quote!(&[#(#items),*])
}

/// `pub static SPEC`: every action, payment kind, event and errcode of the spec.
pub(crate) fn emit_spec_table(cx: &Cx<'_>) -> TokenStream {
    let rt = cx.rt();
    let spec = cx.spec;
    let actions = spec.actions.iter().map(|a| {
        let req = super::actions::request_ident(a);
        quote!(<#req as #rt::Action>::META)
    });
    let payments = spec.payments.iter().map(|p| {
        let i = type_ident(&p.rust_name);
        quote!(<#i as #rt::PaymentSpec>::META)
    });
    let envelope = if spec.envelope.is_empty() {
        quote!(&[])
    } else {
        quote!(Envelope::__FIELDS)
    };
    let events = spec.events.iter().map(|e| {
        let s = type_ident(&format!("{}Event", e.rust_name));
        quote!(&#s::__META)
    });
    let row = |e: &crate::model::ErrorCode| {
        let code = e.code;
        let name = &e.name;
        let message = &e.message;
        let fix = opt(e.fix.as_deref());
        quote!(#rt::meta::ErrorMeta { code: #code, name: #name, message: #message, fix: #fix })
    };
    let errors = spec.errors.iter().map(row);
    let client_errors = spec.client_errors.iter().map(row);
    quote! {
        /// Every action, payment kind, event and errcode of the spec: for dynamic calls by name
        /// (`Client::call`), the callback decoder, and errcode meanings.
        pub static SPEC: #rt::meta::SpecMeta = #rt::meta::SpecMeta {
            actions: &[#(#actions),*],
            envelope: #envelope,
            events: &[#(#events),*],
            errors: &[#(#errors),*],
            payments: &[#(#payments),*],
            client_errors: &[#(#client_errors),*],
        };
    }
}
