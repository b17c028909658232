//! Named types from `types:`: objects become structs, enums become enums with an `Unknown` arm
//! that (de)serialize to their wire values.

use super::{doc_attr, has_default, rt, struct_attrs, struct_field, type_ident};
use crate::model::{EnumValue, Field, Repr, Spec, Ty, TypeDef, TypeKind};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn emit_type(spec: &Spec, t: &TypeDef) -> TokenStream {
    match &t.kind {
        TypeKind::Object { fields } => emit_object(spec, t, fields),
        TypeKind::Enum { repr, values } => emit_enum(t, *repr, values),
    }
}

fn emit_object(spec: &Spec, t: &TypeDef, fields: &[Field]) -> TokenStream {
    let name = type_ident(&t.name);
    let doc = doc_attr(if t.doc.is_empty() { &t.name } else { &t.doc });
    let attrs = struct_attrs(has_default(spec, &Ty::Named(t.name.clone())));
    let members = fields.iter().map(|f| {
        if f.is_plain() {
            struct_field(f, false)
        } else {
            super::read_field(f)
        }
    });
    let meta = super::meta::fields_meta(spec, fields);
    let rt = rt();
    let validate = super::actions::validate_body(spec, fields, quote!(Self::__FIELDS), None);
    let validate = validate.map(|body| {
        quote! {
            #[doc(hidden)]
            pub fn __validate(&self, ctx: &str, path: &str) -> ::core::result::Result<(), #rt::Error> {
                #body
                ::core::result::Result::Ok(())
            }
        }
    });
    quote! {
        #doc
        #attrs
        pub struct #name {
            #(#members)*
        }

        impl #name {
            #[doc(hidden)]
            pub const __FIELDS: &'static [#rt::meta::FieldMeta] = #meta;
            #validate
        }
    }
}

fn emit_enum(t: &TypeDef, repr: Repr, values: &[EnumValue]) -> TokenStream {
    let name = type_ident(&t.name);
    let doc = doc_attr(if t.doc.is_empty() { &t.name } else { &t.doc });
    let variants = values.iter().map(|v| {
        let vi = format_ident!("{}", v.name);
        let d = doc_attr(&format!("`{}`: {}", v.value, v.doc));
        quote!(#d #vi,)
    });
    let idents: Vec<_> = values.iter().map(|v| format_ident!("{}", v.name)).collect();
    let serde = quote!(::xpay_runtime::__private::serde);
    match repr {
        Repr::Int => {
            let lits: Vec<i64> = values
                .iter()
                .map(|v| v.value.parse::<i64>().unwrap_or_default())
                .collect();
            quote! {
                #doc
                #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash)]
                pub enum #name {
                    #(#variants)*
                    /// A value this version of the spec does not know; WeChat adds values.
                    Unknown(i64),
                }

                impl #name {
                    /// The wire value.
                    pub const fn wire(&self) -> i64 {
                        match self {
                            #(Self::#idents => #lits,)*
                            Self::Unknown(v) => *v,
                        }
                    }

                    /// The variant for a wire value.
                    pub const fn from_wire(v: i64) -> Self {
                        match v {
                            #(#lits => Self::#idents,)*
                            other => Self::Unknown(other),
                        }
                    }
                }

                impl #serde::Serialize for #name {
                    fn serialize<S: #serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                        s.serialize_i64(self.wire())
                    }
                }

                impl<'de> #serde::Deserialize<'de> for #name {
                    fn deserialize<D: #serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                        ::xpay_runtime::__private::lenient::enum_int(d).map(Self::from_wire)
                    }
                }
            }
        }
        Repr::String => {
            let lits: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
            quote! {
                #doc
                #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash)]
                pub enum #name {
                    #(#variants)*
                    /// A value this version of the spec does not know; WeChat adds values.
                    Unknown(::std::string::String),
                }

                impl #name {
                    /// The wire value.
                    pub fn as_str(&self) -> &str {
                        match self {
                            #(Self::#idents => #lits,)*
                            Self::Unknown(v) => v.as_str(),
                        }
                    }

                    /// The variant for a wire value.
                    pub fn from_wire(v: &str) -> Self {
                        match v {
                            #(#lits => Self::#idents,)*
                            other => Self::Unknown(::std::string::String::from(other)),
                        }
                    }
                }

                impl #serde::Serialize for #name {
                    fn serialize<S: #serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                        s.serialize_str(self.as_str())
                    }
                }

                impl<'de> #serde::Deserialize<'de> for #name {
                    fn deserialize<D: #serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                        let s = <::std::string::String as #serde::Deserialize>::deserialize(d)?;
                        ::core::result::Result::Ok(Self::from_wire(&s))
                    }
                }
            }
        }
    }
}
