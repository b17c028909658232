//! The static metadata tables (`xpay_runtime::meta`): field lists, action and event metadata,
//! the errcode table and the `SPEC` table that ties them together.

use super::{rt, type_ident};
use crate::model::{Field, Fill, Repr, Rules, Spec, Ty, TypeKind};
use proc_macro2::TokenStream;
use quote::quote;

fn opt<T: quote::ToTokens>(v: Option<T>) -> TokenStream {
    match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}

/// A `TypeMeta` expression for a type.
pub(crate) fn type_meta(spec: &Spec, ty: &Ty) -> TokenStream {
    let rt = rt();
    match ty {
        Ty::String => quote!(#rt::meta::TypeMeta::String),
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 => quote!(#rt::meta::TypeMeta::Int),
        Ty::Bool => quote!(#rt::meta::TypeMeta::Bool),
        Ty::Env => quote!(#rt::meta::TypeMeta::Env),
        Ty::Named(n) => match spec.type_def(n).map(|t| &t.kind) {
            Some(TypeKind::Enum {
                repr: Repr::Int, ..
            }) => quote!(#rt::meta::TypeMeta::IntEnum(#n)),
            Some(TypeKind::Enum { .. }) => quote!(#rt::meta::TypeMeta::StrEnum(#n)),
            _ => {
                let i = type_ident(n);
                quote!(#rt::meta::TypeMeta::Object(#n, #i::__FIELDS))
            }
        },
        Ty::List(t) => {
            let inner = type_meta(spec, t);
            quote!(#rt::meta::TypeMeta::List(&#inner))
        }
        Ty::Json(t) => {
            let inner = type_meta(spec, t);
            quote!(#rt::meta::TypeMeta::Json(&#inner))
        }
    }
}

fn rules(r: &Rules) -> TokenStream {
    let rt = rt();
    if r.is_empty() {
        return quote!(#rt::meta::Rules::NONE);
    }
    let min_len = opt(r.min_len);
    let max_len = opt(r.max_len);
    let charset = opt(r.charset.as_deref());
    let no_leading = opt(r.no_leading.as_deref());
    let min = opt(r.min);
    let max = opt(r.max);
    quote! {
        #rt::meta::Rules {
            min_len: #min_len,
            max_len: #max_len,
            charset: #charset,
            no_leading: #no_leading,
            min: #min,
            max: #max,
        }
    }
}

/// A `&[FieldMeta]` expression.
pub(crate) fn fields_meta(spec: &Spec, fields: &[Field]) -> TokenStream {
    let rt = rt();
    let items = fields.iter().map(|f| {
        let name = &f.wire;
        let ty = type_meta(spec, &f.ty);
        let required = f.required;
        let fill = opt(f.fill.map(|fl| match fl {
            Fill::Env => quote!(#rt::meta::Fill::Env),
            Fill::OfferId => quote!(#rt::meta::Fill::OfferId),
        }));
        let default = opt(f.default.as_deref());
        let rules = rules(&f.rules);
        let doc = &f.doc;
        quote! {
            #rt::meta::FieldMeta {
                name: #name,
                ty: &#ty,
                required: #required,
                fill: #fill,
                default: #default,
                rules: #rules,
                doc: #doc,
            }
        }
    });
    quote!(&[#(#items),*])
}

/// `pub static SPEC`, the errcode table and its lookup.
pub(crate) fn emit_spec_table(spec: &Spec) -> TokenStream {
    let rt = rt();
    let actions = spec.actions.iter().map(|a| {
        let req = type_ident(&format!("{}Request", crate::names::pascal(&a.name)));
        quote!(<#req as #rt::Action>::META)
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
    let errors = spec.errors.iter().map(|e| {
        let code = e.code;
        let name = &e.name;
        let message = &e.message;
        quote!(#rt::meta::ErrorMeta { code: #code, name: #name, message: #message })
    });
    let json = quote!(::xpay_runtime::__private::serde_json);
    let roundtrips = spec.actions.iter().map(|a| {
        let name = &a.name;
        let req = type_ident(&format!("{}Request", crate::names::pascal(&a.name)));
        quote! {
            #name => ::core::option::Option::Some(
                #json::from_slice::<#req>(body).and_then(|r| #json::to_vec(&r)),
            ),
        }
    });
    quote! {
        /// Parses a JSON request body into the action's typed request and serializes it again
        /// (`None` for an action the spec does not have). For tests and tools that check that a
        /// body has the typed shape.
        #[doc(hidden)]
        pub fn __typed_roundtrip(
            action: &str,
            body: &[u8],
        ) -> ::core::option::Option<::core::result::Result<::std::vec::Vec<u8>, #json::Error>> {
            match action {
                #(#roundtrips)*
                _ => ::core::option::Option::None,
            }
        }

        /// Every action, event and errcode of the spec, for dynamic calls, the fake server and
        /// the callback decoder.
        pub static SPEC: #rt::meta::SpecMeta = #rt::meta::SpecMeta {
            actions: &[#(#actions),*],
            envelope: #envelope,
            events: &[#(#events),*],
            errors: &[#(#errors),*],
        };
    }
}
