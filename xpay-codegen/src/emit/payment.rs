//! Client-side payment kinds (`wx.requestVirtualPayment`, …): for a kind with modes, a mode
//! enum (`PaymentMode`), one order struct per mode holding exactly the fields that mode has
//! (`GoodsPaymentOrder` cannot be written without its `productId`), and an enum of them
//! (`PaymentOrder`); for a kind without modes, one order struct. Each implements `PaymentSpec`,
//! which checks the order and writes the signData string in the spec's field order.

use super::{Cx, constructors, doc_attr, field_ident, rust_type, type_ident};
use crate::model::{Field, Fill, Payment, Ty};
use crate::names::pascal;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

pub(crate) fn emit_payment(cx: &Cx<'_>, p: &Payment) -> TokenStream {
    let rt = cx.rt();
    let kind = type_ident(&p.rust_name);
    let meta = payment_meta(cx, p);
    if p.modes.is_empty() {
        let order = emit_order(cx, p, &kind, None, &p.doc);
        return quote! {
            #order

            impl #rt::PaymentSpec for #kind {
                const META: &'static #rt::meta::PaymentMeta = &#meta;
                fn mode(&self) -> ::core::option::Option<&'static str> {
                    ::core::option::Option::None
                }
                fn __validate(&self) -> ::core::result::Result<(), #rt::Error> {
                    self.__check()
                }
                fn __sign_data(
                    &self,
                    ctx: &__xpay_private::FillContext<'_>,
                ) -> ::core::result::Result<(::std::string::String, #rt::Env), #rt::Error> {
                    self.__write(ctx)
                }
            }
        };
    }

    let mode_enum = type_ident(&p.mode_enum());
    let mode_idents: Vec<Ident> = p
        .modes
        .iter()
        .map(|(k, _)| format_ident!("{}", pascal(k)))
        .collect();
    let mode_names: Vec<&str> = p.modes.iter().map(|(k, _)| k.as_str()).collect();
    let mode_wires: Vec<&str> = p.modes.iter().map(|(_, v)| v.as_str()).collect();
    let mode_docs = p
        .modes
        .iter()
        .map(|(k, v)| doc_attr(&format!("`{k}`: mode `{v}`.")));
    let mode_structs: Vec<Ident> = p
        .modes
        .iter()
        .map(|(k, _)| type_ident(&p.mode_type(k)))
        .collect();
    let orders = p.modes.iter().zip(&mode_structs).zip(&mode_idents).map(|(((m, w), s), v)| {
        let doc = format!(
            "The `{m}` mode (`{w}`) of [`{}`]: {}\n\nSign it as it is with `client.payment_params(&order, …)`, or turn it into a [`{}`] with `into()`.",
            p.rust_name, p.doc, p.rust_name
        );
        let order = emit_order(cx, p, s, Some(m), &doc);
        quote! {
            #order

            impl #rt::PaymentSpec for #s {
                const META: &'static #rt::meta::PaymentMeta = <#kind as #rt::PaymentSpec>::META;
                fn mode(&self) -> ::core::option::Option<&'static str> {
                    ::core::option::Option::Some(#w)
                }
                fn __validate(&self) -> ::core::result::Result<(), #rt::Error> {
                    self.__check()
                }
                fn __sign_data(
                    &self,
                    ctx: &__xpay_private::FillContext<'_>,
                ) -> ::core::result::Result<(::std::string::String, #rt::Env), #rt::Error> {
                    self.__write(ctx)
                }
            }

            impl ::core::convert::From<#s> for #kind {
                fn from(order: #s) -> Self {
                    Self::#v(order)
                }
            }
        }
    });
    let kind_doc = doc_attr(&format!(
        "{}\n\nOne variant per mode, each holding exactly the fields of that mode.",
        p.doc
    ));
    let variant_docs = p
        .modes
        .iter()
        .map(|(k, v)| doc_attr(&format!("`{k}` (`{v}`).")));
    let mode_enum_doc = doc_attr(&format!("The modes of [`{}`].", p.rust_name));
    let type_name = p.mode_enum();
    let expected = format!(
        "one of {}",
        p.modes
            .iter()
            .map(|(k, v)| format!("{k} ({v})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #mode_enum_doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash)]
        #[non_exhaustive]
        pub enum #mode_enum {
            #(#mode_docs #mode_idents,)*
        }

        impl #mode_enum {
            /// The `mode` value passed beside signData.
            pub const fn wire(self) -> &'static str {
                match self {
                    #(Self::#mode_idents => #mode_wires,)*
                }
            }

            /// The spec's short name (`coin`, `goods`).
            pub const fn name(self) -> &'static str {
                match self {
                    #(Self::#mode_idents => #mode_names,)*
                }
            }
        }

        impl ::core::str::FromStr for #mode_enum {
            type Err = #rt::ParseEnumError;

            /// Parses a short name (`coin`) or a wire value (`short_series_coin`).
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                match s {
                    #(#mode_names | #mode_wires => ::core::result::Result::Ok(Self::#mode_idents),)*
                    _ => ::core::result::Result::Err(#rt::ParseEnumError::__new(#type_name, s, #expected)),
                }
            }
        }

        impl ::core::fmt::Display for #mode_enum {
            /// The spec's short name.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.name())
            }
        }

        #(#orders)*

        #kind_doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        #[non_exhaustive]
        pub enum #kind {
            #(#variant_docs #mode_idents(#mode_structs),)*
        }

        impl #kind {
            /// The order's mode.
            pub const fn mode(&self) -> #mode_enum {
                match self {
                    #(Self::#mode_idents(_) => #mode_enum::#mode_idents,)*
                }
            }
        }

        impl #rt::PaymentSpec for #kind {
            const META: &'static #rt::meta::PaymentMeta = &#meta;
            fn mode(&self) -> ::core::option::Option<&'static str> {
                ::core::option::Option::Some(#kind::mode(self).wire())
            }
            fn __validate(&self) -> ::core::result::Result<(), #rt::Error> {
                match self {
                    #(Self::#mode_idents(o) => o.__check(),)*
                }
            }
            fn __sign_data(
                &self,
                ctx: &__xpay_private::FillContext<'_>,
            ) -> ::core::result::Result<(::std::string::String, #rt::Env), #rt::Error> {
                match self {
                    #(Self::#mode_idents(o) => o.__write(ctx),)*
                }
            }
        }
    }
}

/// The `PaymentMeta` expression of a kind.
fn payment_meta(cx: &Cx<'_>, p: &Payment) -> TokenStream {
    let rt = cx.rt();
    let name = &p.name;
    let uri = &p.uri;
    let modes = p
        .modes
        .iter()
        .map(|(k, v)| quote!(#rt::meta::ModeMeta { name: #k, wire: #v }));
    let fields = super::meta::fields_meta(cx, &p.fields);
    let sign_env = match p.sign_env {
        Some(0) => quote!(::core::option::Option::Some(#rt::Env::Production)),
        Some(_) => quote!(::core::option::Option::Some(#rt::Env::Sandbox)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #rt::meta::PaymentMeta {
            name: #name,
            uri: #uri,
            modes: &[#(#modes),*],
            sign_env: #sign_env,
            fields: #fields,
        }
    }
}

/// Whether a signData field is the caller's to give (not filled by the client) in `mode`.
fn in_order(f: &Field, mode: Option<&str>) -> bool {
    f.fill.is_none() && mode.is_none_or(|m| f.modes.is_empty() || f.modes.iter().any(|x| x == m))
}

/// One order struct: the caller's fields of `mode` (all of them for a kind without modes),
/// its constructor and setters, its checks and its signData writer.
fn emit_order(
    cx: &Cx<'_>,
    p: &Payment,
    name: &Ident,
    mode: Option<&str>,
    doc: &str,
) -> TokenStream {
    let rt = cx.rt();
    let caller: Vec<Field> = p
        .fields
        .iter()
        .filter(|f| in_order(f, mode))
        .map(|f| {
            let mut f = f.clone();
            // A defaulted field is optional for the caller.
            f.required = f.required && f.default.is_none();
            f
        })
        .collect();
    let members = caller.iter().map(|f| {
        let i = field_ident(&f.rust);
        let ty = rust_type(cx, &f.ty);
        let d = doc_attr(&super::field_doc(f));
        if f.required {
            quote!(#d pub #i: #ty,)
        } else {
            quote!(#d pub #i: ::core::option::Option<#ty>,)
        }
    });
    let ctors = constructors(cx, name, &caller, "An order");
    let checks = super::actions::validate_fields(cx, &caller).unwrap_or_default();
    let doc = doc_attr(doc);

    let wire_fields = p
        .fields
        .iter()
        .filter(|f| f.fill.is_some() || in_order(f, mode));
    let wire_defs = wire_fields.clone().map(|f| {
        let i = field_ident(&f.rust);
        let wire = &f.wire;
        let ty = rust_type(cx, &f.ty);
        let (t, skip) = match (f.fill, &f.default) {
            (Some(Fill::Env), _) => (quote!(#rt::Env), quote!()),
            (Some(Fill::OfferId), _) => (quote!(&'a str), quote!()),
            (None, Some(_)) if f.ty == Ty::String => (quote!(&'a str), quote!()),
            (None, Some(_)) => (quote!(#ty), quote!()),
            (None, None) if f.required => (quote!(&'a #ty), quote!()),
            (None, None) => (
                quote!(::core::option::Option<&'a #ty>),
                quote!(#[serde(skip_serializing_if = "::core::option::Option::is_none")]),
            ),
        };
        quote! {
            #[serde(rename = #wire)]
            #skip
            #i: #t,
        }
    });
    let wire_values = wire_fields.map(|f| {
        let i = field_ident(&f.rust);
        match (f.fill, &f.default) {
            (Some(Fill::Env), _) => quote!(#i: ctx.env),
            (Some(Fill::OfferId), _) => quote!(#i: ctx.offer_id("payment")?),
            (None, Some(d)) if f.ty == Ty::String => {
                quote!(#i: self.#i.as_deref().unwrap_or(#d))
            }
            (None, Some(d)) => {
                let v = super::actions::default_value(cx, &f.ty, d);
                quote!(#i: self.#i.clone().unwrap_or_else(|| #v))
            }
            (None, None) if f.required => quote!(#i: &self.#i),
            (None, None) => quote!(#i: self.#i.as_ref()),
        }
    });
    let env_of = match (
        p.sign_env,
        p.fields.iter().find(|f| f.fill == Some(Fill::Env)),
    ) {
        (Some(1), _) => quote!(#rt::Env::Sandbox),
        (Some(_), _) => quote!(#rt::Env::Production),
        (None, Some(f)) => {
            let i = field_ident(&f.rust);
            quote!(wire.#i)
        }
        (None, None) => quote!(#rt::Env::Production),
    };
    quote! {
        #doc
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        #[non_exhaustive]
        pub struct #name {
            #(#members)*
        }

        #ctors

        impl #name {
            fn __check(&self) -> ::core::result::Result<(), #rt::Error> {
                let ctx = "payment";
                let at = &__xpay_private::check::At::Root;
                let _ = (ctx, at);
                #checks
                ::core::result::Result::Ok(())
            }

            fn __write(
                &self,
                ctx: &__xpay_private::FillContext<'_>,
            ) -> ::core::result::Result<(::std::string::String, #rt::Env), #rt::Error> {
                #[derive(__xpay_private::serde::Serialize)]
                #[serde(crate = "__xpay_private::serde")]
                struct Wire<'a> {
                    #(#wire_defs)*
                    #[serde(skip)]
                    _order: ::core::marker::PhantomData<&'a ()>,
                }
                let wire = Wire {
                    #(#wire_values,)*
                    _order: ::core::marker::PhantomData,
                };
                let env = #env_of;
                __xpay_private::check::to_json("payment", &wire).map(|text| (text, env))
            }
        }
    }
}
