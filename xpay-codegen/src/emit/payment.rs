//! The `wx.requestVirtualPayment` order: `PaymentMode`, `PaymentOrder` and its `PaymentSpec`
//! impl, which checks the order and writes the signData string in the spec's field order.

use super::{doc_attr, field_ident, rt, rust_type};
use crate::model::{Field, Fill, Payment, Spec, Ty};
use crate::names::pascal;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn emit_payment(spec: &Spec, p: &Payment) -> TokenStream {
    let rt = rt();
    let serde = quote!(::xpay_runtime::__private::serde);
    let check = quote!(::xpay_runtime::__private::check);
    let mode_idents: Vec<_> = p
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

    // What the caller gives: every field the client does not fill itself.
    let caller: Vec<(usize, &Field)> = p
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.fill.is_none() && f.default.is_none())
        .collect();
    let order_fields = caller.iter().map(|(_, f)| {
        let i = field_ident(&f.rust);
        let ty = rust_type(&f.ty);
        let mut doc = format!("`{}`: {}", f.wire, f.doc);
        let rules = f.rules.describe();
        if !rules.is_empty() {
            doc.push_str(&format!(" ({rules})"));
        }
        if !f.required_in.is_empty() {
            doc.push_str(&format!(" Required in mode {}.", f.required_in.join(", ")));
        }
        let doc = doc_attr(&doc);
        if f.required {
            quote!(#doc pub #i: #ty,)
        } else {
            quote!(#doc pub #i: ::core::option::Option<#ty>,)
        }
    });

    let required_in = caller.iter().flat_map(|(_, f)| {
        let check = check.clone();
        let i = field_ident(&f.rust);
        let wire = &f.wire;
        f.required_in.iter().map(move |m| {
            let check = check.clone();
            let mi = format_ident!("{}", pascal(m));
            quote! {
                if self.mode == PaymentMode::#mi && self.#i.is_none() {
                    return ::core::result::Result::Err(#check::missing("payment", #wire, #m));
                }
            }
        })
    });
    let caller_fields: Vec<Field> = caller.iter().map(|(_, f)| (*f).clone()).collect();
    let rules =
        super::actions::validate_body(spec, &caller_fields, quote!(Self::__ORDER_FIELDS), None)
            .unwrap_or_default();
    let order_meta = super::meta::fields_meta(spec, &caller_fields);
    let all_meta = super::meta::fields_meta(spec, &p.fields);

    let wire_fields = p.fields.iter().map(|f| {
        let i = field_ident(&f.rust);
        let wire = &f.wire;
        let ty = rust_type(&f.ty);
        let (t, skip) = match (f.fill, &f.default) {
            (Some(Fill::Env), _) => (quote!(#rt::Env), quote!()),
            (Some(Fill::OfferId), _) => (quote!(&'a str), quote!()),
            (None, Some(_)) if f.ty == Ty::String => (quote!(&'a str), quote!()),
            (None, Some(_)) => (ty, quote!()),
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
    let wire_values = p.fields.iter().map(|f| {
        let i = field_ident(&f.rust);
        match (f.fill, &f.default) {
            (Some(Fill::Env), _) => quote!(#i: ctx.env),
            (Some(Fill::OfferId), _) => quote!(#i: ctx.offer_id("payment")?),
            (None, Some(d)) if f.ty == Ty::String => quote!(#i: #d),
            (None, Some(d)) => {
                let v = super::actions::default_value(&f.ty, d);
                quote!(#i: #v)
            }
            (None, None) if f.required => quote!(#i: &self.#i),
            (None, None) => quote!(#i: self.#i.as_ref()),
        }
    });
    let uri = &p.uri;

    quote! {
        /// The `mode` of `wx.requestVirtualPayment`.
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy, ::core::cmp::PartialEq, ::core::cmp::Eq, ::core::hash::Hash)]
        pub enum PaymentMode {
            #(#mode_docs #mode_idents,)*
        }

        impl PaymentMode {
            /// The `mode` value passed to `wx.requestVirtualPayment`.
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

            /// Parses a short name (`coin`) or a wire value (`short_series_coin`).
            pub fn parse(s: &str) -> ::core::option::Option<Self> {
                match s {
                    #(#mode_names | #mode_wires => ::core::option::Option::Some(Self::#mode_idents),)*
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl #serde::Serialize for PaymentMode {
            fn serialize<S: #serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.wire())
            }
        }

        /// An order to pay with `wx.requestVirtualPayment`: what the caller decides. The client
        /// adds the rest of signData (offer id, env, currency) from its configuration.
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        pub struct PaymentOrder {
            /// Which kind of purchase this is.
            pub mode: PaymentMode,
            #(#order_fields)*
        }

        impl PaymentOrder {
            #[doc(hidden)]
            pub const __ORDER_FIELDS: &'static [#rt::meta::FieldMeta] = #order_meta;
        }

        impl #rt::PaymentSpec for PaymentOrder {
            const URI: &'static str = #uri;
            const FIELDS: &'static [#rt::meta::FieldMeta] = #all_meta;

            fn mode(&self) -> &'static str {
                self.mode.wire()
            }

            #[allow(unused_variables)]
            fn validate(&self) -> ::core::result::Result<(), #rt::Error> {
                let ctx = "payment";
                let path = "";
                #(#required_in)*
                #rules
                ::core::result::Result::Ok(())
            }

            fn sign_data(&self, ctx: &#rt::FillContext<'_>) -> ::core::result::Result<::std::string::String, #rt::Error> {
                #[derive(#serde::Serialize)]
                #[serde(crate = "::xpay_runtime::__private::serde")]
                struct Wire<'a> {
                    #(#wire_fields)*
                }
                let wire = Wire {
                    #(#wire_values,)*
                };
                #check::to_json("payment", &wire)
            }
        }
    }
}
