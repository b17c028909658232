//! Push events: the common `Envelope`, one struct per event, and the `Event` enum with a raw
//! arm for events the spec does not list.

use super::{Cx, Dirs, doc_attr, emit_struct, type_ident};
use crate::model::Ty;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn emit_events(cx: &Cx<'_>) -> TokenStream {
    let spec = cx.spec;
    if spec.events.is_empty() && spec.envelope.is_empty() {
        return TokenStream::new();
    }
    let rt = cx.rt();
    let serde = quote!(__xpay_private::serde);
    let json = quote!(__xpay_private::serde_json);
    let read = Dirs {
        ser: false,
        de: true,
    };
    let env_meta = super::meta::fields_meta(cx, &spec.envelope);
    let envelope = emit_struct(
        cx,
        &type_ident("Envelope"),
        doc_attr("The fields every push carries (the common envelope)."),
        &spec.envelope,
        read,
        "An envelope",
    );

    let mut structs = Vec::new();
    let mut variants = Vec::new();
    let mut arms_parse = Vec::new();
    let mut arms_name = Vec::new();
    let mut arms_key = Vec::new();
    let mut arms_custom = Vec::new();
    let mut reader_variants = Vec::new();
    let mut arms_reader_new = Vec::new();
    let mut arms_reader_field = Vec::new();
    let mut arms_reader_finish = Vec::new();
    for e in &spec.events {
        let s = type_ident(&format!("{}Event", e.rust_name));
        let v = format_ident!("{}", e.rust_name);
        let doc = doc_attr(&format!("`{}`: {}", e.name, e.doc));
        let body = emit_struct(cx, &s, doc.clone(), &e.fields, read, "An event");
        let meta = super::meta::fields_meta(cx, &e.fields);
        let name = &e.name;
        let event_doc = &e.doc;
        let dedup_paths = e.dedup_key.iter().map(|p| p.join("."));
        let custom = e.custom_reply;
        structs.push(quote! {
            #body

            impl #s {
                #[doc(hidden)]
                pub const __FIELDS: &'static [#rt::meta::FieldMeta] = #meta;
                #[doc(hidden)]
                pub const __META: #rt::meta::EventMeta = #rt::meta::EventMeta {
                    name: #name,
                    doc: #event_doc,
                    dedup_key: &[#(#dedup_paths),*],
                    custom_reply: #custom,
                    fields: Self::__FIELDS,
                };
            }
        });
        variants.push(quote!(#doc #v(#s),));
        arms_parse.push(quote! {
            #name => ::core::result::Result::Ok(
                match <#s as #serde::Deserialize>::deserialize(message) {
                    ::core::result::Result::Ok(e) => Self::#v(e),
                    ::core::result::Result::Err(error) => Self::Malformed {
                        name: ::std::string::String::from(#name),
                        fields: message.as_object().cloned().unwrap_or_default(),
                        error: #rt::__private::escape_controls(&::std::string::ToString::to_string(&error)),
                    },
                },
            ),
        });
        arms_name.push(quote!(Self::#v(_) => #name,));
        arms_key.push(match dedup_expr(cx, &e.fields, &e.dedup_key) {
            Some(expr) => quote!(Self::#v(e) => #expr,),
            None => quote!(Self::#v(_) => ::core::option::Option::None,),
        });
        arms_custom.push(quote!(Self::#v(_) => #custom,));
        reader_variants.push(quote!(#v(#s),));
        arms_reader_new.push(quote! {
            #name => ::core::option::Option::Some(__EventReader::#v(::core::default::Default::default())),
        });
        arms_reader_field
            .push(quote!(Self::#v(e) => __xpay_private::de::Fields::field(e, key, map),));
        arms_reader_finish.push(quote!(Self::#v(e) => Event::#v(e),));
    }

    // An empty enum is matched by value (a reference to one is not known to be empty).
    let reader_field_body = if arms_reader_field.is_empty() {
        quote!(match *self {})
    } else {
        quote!(match self { #(#arms_reader_field)* })
    };
    quote! {
        #envelope

        impl Envelope {
            #[doc(hidden)]
            pub const __FIELDS: &'static [#rt::meta::FieldMeta] = #env_meta;
        }

        #(#structs)*

        /// Every push event of the spec, typed; events the spec does not list arrive as
        /// [`Event::Unknown`] with every field intact, never rejected. Non-exhaustive: a later
        /// spec may add events, so a `match` keeps a `_` arm.
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #(#variants)*
            /// An event this spec does not list.
            Unknown {
                /// The `Event` value.
                name: ::std::string::String,
                /// Every field of the message, as WeChat sent it (typed as far as JSON goes).
                fields: #json::Map<::std::string::String, #json::Value>,
            },
            /// An event this spec lists, whose fields do not fit its type (a value of another
            /// shape than WeChat documents). It still reaches the handler, with every field, so
            /// the handler decides: acknowledged, it is not retried; an error makes WeChat retry.
            Malformed {
                /// The `Event` value.
                name: ::std::string::String,
                /// Every field of the message, as WeChat sent it.
                fields: #json::Map<::std::string::String, #json::Value>,
                /// What did not fit.
                error: ::std::string::String,
            },
        }

        impl Event {
            /// The `Event` value (`xpay_coin_pay_notify`, …).
            pub fn name(&self) -> &str {
                match self {
                    #(#arms_name)*
                    Self::Unknown { name, .. } | Self::Malformed { name, .. } => name.as_str(),
                }
            }

            /// The value that identifies this push across WeChat's retries (up to 15 over about
            /// a day); several fields are joined with `:`. `None` for events without one (unknown
            /// and malformed events included), whose handler must be idempotent by itself.
            pub fn dedup_key(&self) -> ::core::option::Option<::std::string::String> {
                match self {
                    #(#arms_key)*
                    Self::Unknown { .. } | Self::Malformed { .. } => ::core::option::Option::None,
                }
            }

            /// Whether WeChat expects an answer composed by the handler (not just success).
            pub fn needs_custom_reply(&self) -> bool {
                match self {
                    #(#arms_custom)*
                    Self::Unknown { .. } | Self::Malformed { .. } => false,
                }
            }
        }

        /// Reads one listed event straight from a push's text (the one-pass typed decoding).
        #[doc(hidden)]
        pub enum __EventReader {
            #(#reader_variants)*
        }

        impl __xpay_private::de::EventReader<Event> for __EventReader {
            fn field<'de, A: #serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> ::core::result::Result<bool, A::Error> {
                #reader_field_body
            }

            fn finish(self) -> Event {
                match self {
                    #(#arms_reader_finish)*
                }
            }
        }

        impl #rt::EventSet for Event {
            type Envelope = Envelope;
            type __Reader = __EventReader;

            fn spec() -> &'static #rt::meta::SpecMeta {
                &SPEC
            }

            fn dedup_key(&self) -> ::core::option::Option<::std::string::String> {
                Event::dedup_key(self)
            }

            fn needs_custom_reply(&self) -> bool {
                Event::needs_custom_reply(self)
            }

            fn __reader(name: &str) -> ::core::option::Option<__EventReader> {
                match name {
                    #(#arms_reader_new)*
                    _ => ::core::option::Option::None,
                }
            }

            fn from_message(message: &#json::Value) -> ::core::result::Result<Self, #json::Error> {
                let name = message.get("Event").and_then(#json::Value::as_str).unwrap_or_default();
                match name {
                    #(#arms_parse)*
                    other => ::core::result::Result::Ok(Self::Unknown {
                        name: ::std::string::String::from(other),
                        fields: message.as_object().cloned().unwrap_or_default(),
                    }),
                }
            }
        }
    }
}

/// The expression (with the event bound to `e`) that builds an event's dedup key from its
/// paths, or `None` when it has none.
fn dedup_expr(
    cx: &Cx<'_>,
    fields: &[crate::model::Field],
    paths: &[Vec<String>],
) -> Option<TokenStream> {
    if paths.is_empty() {
        return None;
    }
    let parts: Vec<TokenStream> = paths
        .iter()
        .map(|path| {
            let mut scope: Vec<crate::model::Field> = fields.to_vec();
            let mut expr: Option<TokenStream> = None;
            let mut last = Ty::String;
            for step in path {
                let f = scope.iter().find(|f| &f.wire == step).cloned();
                let Some(f) = f else { break };
                let i = super::field_ident(&f.rust);
                expr = Some(match expr {
                    None => quote!(e.#i.as_ref()),
                    Some(prev) => quote!(#prev.and_then(|v| v.#i.as_ref())),
                });
                last = f.ty.clone();
                scope = match &f.ty {
                    Ty::Named(n) => match cx.spec.type_def(n).map(|t| &t.kind) {
                        Some(crate::model::TypeKind::Object { fields }) => fields.clone(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
            }
            let expr = expr
                .unwrap_or_else(|| quote!(::core::option::Option::<&::std::string::String>::None));
            // An enum part is its wire value, as the push carried it (its Display is the
            // description), so the key is the same whether the value is known or not.
            let wire = match &last {
                Ty::Named(n) => match cx.spec.type_def(n).map(|t| &t.kind) {
                    Some(crate::model::TypeKind::Enum {
                        repr: crate::model::Repr::Int,
                        ..
                    }) => Some(quote!(wire)),
                    Some(crate::model::TypeKind::Enum { .. }) => Some(quote!(as_str)),
                    _ => None,
                },
                _ => None,
            };
            match (last, wire) {
                (Ty::String, _) => quote!(#expr.filter(|s| !s.is_empty()).cloned()),
                (_, Some(m)) => quote!(#expr.map(|v| ::std::string::ToString::to_string(&v.#m()))),
                _ => quote!(#expr.map(::std::string::ToString::to_string)),
            }
        })
        .collect();
    if let [one] = parts.as_slice() {
        return Some(one.clone());
    }
    let vars: Vec<proc_macro2::Ident> = (0..parts.len())
        .map(|n| format_ident!("part{}", n))
        .collect();
    Some(quote! {
        match (#(#parts,)*) {
            (#(::core::option::Option::Some(#vars),)*) => {
                ::core::option::Option::Some([#(#vars),*].join(":"))
            }
            _ => ::core::option::Option::None,
        }
    })
}
