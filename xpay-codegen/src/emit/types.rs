//! Named types from `types:`: objects become structs, enums become enums with an opaque
//! `Unknown` arm that (de)serialize to their wire values, one_of types become enums with one
//! variant per member, flattened into the body that uses them.

use super::{Cx, doc_attr, field_ident, type_ident};
use crate::model::{EnumValue, Field, Repr, TypeDef, TypeKind};
use crate::names::pascal;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn emit_type(cx: &Cx<'_>, t: &TypeDef) -> TokenStream {
    match &t.kind {
        TypeKind::Object { fields } => emit_object(cx, t, fields),
        TypeKind::Enum { repr, values } => emit_enum(cx, t, *repr, values),
        TypeKind::OneOf { members } => emit_one_of(cx, t, members),
    }
}

fn type_doc(t: &TypeDef) -> TokenStream {
    doc_attr(if t.doc.is_empty() { &t.name } else { &t.doc })
}

fn emit_object(cx: &Cx<'_>, t: &TypeDef, fields: &[Field]) -> TokenStream {
    let rt = cx.rt();
    let name = type_ident(&t.name);
    let doc = type_doc(t);
    let dirs = cx.dirs_of(&t.name);
    let body = super::emit_struct(cx, &name, doc, fields, dirs, "An object");
    let meta = super::meta::fields_meta(cx, fields);
    let validate = super::actions::validate_fields(cx, fields).map(|body| {
        quote! {
            #[doc(hidden)]
            pub fn __validate(
                &self,
                ctx: &str,
                at: &__xpay_private::check::At<'_>,
            ) -> ::core::result::Result<(), #rt::Error> {
                #body
                ::core::result::Result::Ok(())
            }
        }
    });
    quote! {
        #body

        impl #name {
            #[doc(hidden)]
            pub const __FIELDS: &'static [#rt::meta::FieldMeta] = #meta;
            #validate
        }
    }
}

/// The English half of a `中文 — English` doc line (the whole line when there is no dash).
fn english(doc: &str) -> &str {
    doc.rsplit_once(" — ").map_or(doc, |(_, en)| en).trim()
}

/// What differs between an integer and a string enum: its wire type, how that is read and
/// written, and how text parses into it. The rest of an enum's items are the same.
struct Wire {
    ty: TokenStream,
    copy: TokenStream,
    lits: Vec<TokenStream>,
    getter: TokenStream,
    get_unknown: TokenStream,
    from_wire: TokenStream,
    from_ty: TokenStream,
    new_unknown: TokenStream,
    from_str: TokenStream,
    serialize: TokenStream,
    deserialize: TokenStream,
}

fn emit_enum(cx: &Cx<'_>, t: &TypeDef, repr: Repr, values: &[EnumValue]) -> TokenStream {
    let rt = cx.rt();
    let name = type_ident(&t.name);
    let type_name = &t.name;
    let doc = type_doc(t);
    let variants = values.iter().map(|v| {
        let vi = format_ident!("{}", v.name);
        let d = doc_attr(&format!("`{}`: {}", v.value, v.doc));
        quote!(#d #vi,)
    });
    let idents: Vec<_> = values.iter().map(|v| format_ident!("{}", v.name)).collect();
    let docs: Vec<&str> = values.iter().map(|v| v.doc.as_str()).collect();
    let words: Vec<String> = values
        .iter()
        .map(|v| match english(&v.doc) {
            "" => v.value.clone(),
            w => w.to_string(),
        })
        .collect();
    let serde = quote!(__xpay_private::serde);
    let unknown_doc = format!(
        "A value this spec does not list: WeChat adds values. Read it with [`{type_name}::{}`]; make one with [`{type_name}::from_wire`].",
        if repr == Repr::Int { "wire" } else { "as_str" }
    );
    let common = quote! {
        /// Whether the spec lists the value (`false` for [`Self::Unknown`]).
        pub const fn is_known(&self) -> bool {
            !::core::matches!(self, Self::Unknown(_))
        }

        /// What the spec says the value means, `中文 — English` (empty for an unknown value).
        pub const fn description(&self) -> &'static str {
            match self {
                #(Self::#idents => #docs,)*
                Self::Unknown(_) => "",
            }
        }
    };
    let w = match repr {
        Repr::Int => Wire {
            ty: quote!(i64),
            copy: quote!(::core::marker::Copy,),
            lits: values
                .iter()
                .map(|v| {
                    let n = v.value.parse::<i64>().unwrap_or_default();
                    quote!(#n)
                })
                .collect(),
            getter: quote!(pub const fn wire(&self) -> i64),
            get_unknown: quote!(*v.__get()),
            from_wire: quote!(pub const fn from_wire(v: i64)),
            from_ty: quote!(i64),
            new_unknown: quote!(other),
            from_str: quote! {
                type Err = #rt::ParseEnumError;

                /// Parses the wire value written as digits (`"2"`).
                fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                    s.trim()
                        .parse::<i64>()
                        .map(Self::from_wire)
                        .map_err(|_| #rt::ParseEnumError::__new(#type_name, s, "an integer"))
                }
            },
            serialize: quote!(s.serialize_i64(self.wire())),
            deserialize: quote!(__xpay_private::lenient::enum_int(d).map(Self::from_wire)),
        },
        Repr::String => Wire {
            ty: quote!(::std::string::String),
            copy: quote!(),
            lits: values
                .iter()
                .map(|v| {
                    let l = v.value.as_str();
                    quote!(#l)
                })
                .collect(),
            getter: quote!(pub fn as_str(&self) -> &str),
            get_unknown: quote!(v.__get().as_str()),
            from_wire: quote!(pub fn from_wire(v: &str)),
            from_ty: quote!(&str),
            new_unknown: quote!(::std::string::String::from(other)),
            from_str: quote! {
                type Err = ::core::convert::Infallible;

                /// Parses the wire value; one the spec does not list is kept as
                /// [`Self::Unknown`].
                fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                    ::core::result::Result::Ok(Self::from_wire(s))
                }
            },
            serialize: quote!(s.serialize_str(self.as_str())),
            deserialize: quote!(__xpay_private::lenient::enum_str(d).map(|s| Self::from_wire(&s))),
        },
    };
    let Wire {
        ty: wire_ty,
        copy,
        lits,
        getter,
        get_unknown,
        from_wire,
        from_ty,
        new_unknown,
        from_str,
        serialize,
        deserialize,
    } = w;
    quote! {
        #doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, #copy ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            #[doc = #unknown_doc]
            Unknown(#rt::UnknownValue<#wire_ty>),
        }

        impl #name {
            /// The wire value.
            #getter {
                match self {
                    #(Self::#idents => #lits,)*
                    Self::Unknown(v) => #get_unknown,
                }
            }

            /// The value for a wire value; one the spec does not list is kept as
            /// [`Self::Unknown`].
            #from_wire -> Self {
                match v {
                    #(#lits => Self::#idents,)*
                    other => Self::Unknown(#rt::UnknownValue::__new(#new_unknown)),
                }
            }

            #common
        }

        impl ::core::convert::From<#from_ty> for #name {
            fn from(v: #from_ty) -> Self {
                Self::from_wire(v)
            }
        }

        impl ::core::str::FromStr for #name {
            #from_str
        }

        impl ::core::fmt::Display for #name {
            /// The spec's English meaning of the value, or the wire value when unknown.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(Self::#idents => f.write_str(#words),)*
                    Self::Unknown(v) => ::core::fmt::Display::fmt(v, f),
                }
            }
        }

        impl #serde::Serialize for #name {
            fn serialize<S: #serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                #serialize
            }
        }

        impl<'de> #serde::Deserialize<'de> for #name {
            fn deserialize<D: #serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                #deserialize
            }
        }
    }
}

fn emit_one_of(cx: &Cx<'_>, t: &TypeDef, members: &[Field]) -> TokenStream {
    let rt = cx.rt();
    let name = type_ident(&t.name);
    let doc = type_doc(t);
    let plan = cx.serde_plan(cx.dirs_of(&t.name), false);
    let derives = plan.derives(quote!());
    let variant_names: Vec<_> = members
        .iter()
        .map(|m| format_ident!("{}", pascal(&m.rust)))
        .collect();
    let variants = members.iter().zip(&variant_names).map(|(m, v)| {
        let wire = &m.wire;
        let ty = super::rust_type(cx, &m.ty);
        let d = doc_attr(&format!("`{}`: {}", m.wire, super::field_doc(m)));
        let rename = plan.attr(quote!(rename = #wire));
        quote! {
            #d
            #rename
            #v(#ty),
        }
    });
    let ctors = members.iter().zip(&variant_names).map(|(m, v)| {
        let f = field_ident(&m.rust);
        let arg = format_ident!("value");
        let (ty, conv) = super::param(cx, &m.ty, &arg);
        let d = doc_attr(&format!("By `{}`: {}", m.wire, m.doc));
        quote! {
            #d
            pub fn #f(value: #ty) -> Self {
                Self::#v(#conv)
            }
        }
    });
    let wires = members.iter().map(|m| m.wire.as_str());
    let arms_wire = variant_names
        .iter()
        .zip(wires)
        .map(|(v, w)| quote!(Self::#v(_) => #w,));
    let checks = members.iter().zip(&variant_names).filter_map(|(m, v)| {
        let stmts =
            super::actions::check_value(cx, &m.ty, &m.rules, &m.wire, quote!(value), quote!(at))?;
        Some(quote!(Self::#v(value) => { #stmts }))
    });
    let checks: Vec<_> = checks.collect();
    let validate = (!checks.is_empty()).then(|| {
        quote! {
            #[doc(hidden)]
            #[allow(unreachable_patterns)]
            pub fn __validate(
                &self,
                ctx: &str,
                at: &__xpay_private::check::At<'_>,
            ) -> ::core::result::Result<(), #rt::Error> {
                match self {
                    #(#checks)*
                    _ => {}
                }
                ::core::result::Result::Ok(())
            }
        }
    });
    quote! {
        #doc
        #derives
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
        }

        impl #name {
            #(#ctors)*

            /// The wire name of the member that is set.
            pub const fn wire_name(&self) -> &'static str {
                match self {
                    #(#arms_wire)*
                }
            }

            #validate
        }
    }
}
