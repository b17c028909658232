//! Per action: the request and response structs, the `Action` impl carrying the metadata, the
//! pre-send checks, and the client method (inherent or an extension trait).

use super::{
    ClientStyle, Options, doc_attr, field_ident, has_default, rt, struct_attrs, struct_field,
    type_ident,
};
use crate::model::{Action, Field, Fill, Retry, Signing, Spec, Ty, TypeKind};
use crate::names::pascal;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn emit_actions(spec: &Spec, options: &Options) -> TokenStream {
    let each = spec.actions.iter().map(|a| emit_action(spec, a));
    let client = emit_client(spec, options);
    quote!(#(#each)* #client)
}

fn request_ident(a: &Action) -> proc_macro2::Ident {
    type_ident(&format!("{}Request", pascal(&a.name)))
}

fn response_ident(a: &Action) -> proc_macro2::Ident {
    type_ident(&format!("{}Response", pascal(&a.name)))
}

/// The structs and the `Action` impl of one action.
pub(crate) fn emit_action(spec: &Spec, a: &Action) -> TokenStream {
    let rt = rt();
    let req = request_ident(a);
    let resp = response_ident(a);
    let req_doc = doc_attr(&format!(
        "Request of `{}` (`POST {}`): {}",
        a.name, a.path, a.doc
    ));
    let resp_doc = doc_attr(&format!("Response of `{}`: {}", a.name, a.doc));
    let req_default = a
        .request
        .iter()
        .all(|f| !f.is_plain() || has_default(spec, &f.ty));
    let req_attrs = struct_attrs(req_default);
    let resp_attrs = struct_attrs(true);
    let req_fields = a.request.iter().map(|f| struct_field(f, !f.is_plain()));
    let resp_fields = a.response.iter().map(super::read_field);

    let name = &a.name;
    let alias = match &a.alias {
        Some(al) => quote!(::core::option::Option::Some(#al)),
        None => quote!(::core::option::Option::None),
    };
    let path = &a.path;
    let signing = match a.signing {
        Signing::Pay => quote!(#rt::meta::Signing::Pay),
        Signing::PayUser => quote!(#rt::meta::Signing::PayUser),
    };
    let retry = match a.retry {
        Retry::Safe => quote!(#rt::meta::Retry::Safe),
        Retry::SameId => quote!(#rt::meta::Retry::SameId),
        Retry::Never => quote!(#rt::meta::Retry::Never),
    };
    let idem = match &a.idempotency_key {
        Some(k) => quote!(::core::option::Option::Some(#k)),
        None => quote!(::core::option::Option::None),
    };
    let doc = &a.doc;
    let request_meta = super::meta::fields_meta(spec, &a.request);
    let response_meta = super::meta::fields_meta(spec, &a.response);
    let one_of = a.one_of.iter().map(|g| quote!(&[#(#g),*]));

    let fill = emit_fill(a);
    let env = a
        .request
        .iter()
        .find(|f| f.wire == "env" && f.fill == Some(Fill::Env))
        .map(|f| {
            let i = field_ident(&f.rust);
            quote! {
                fn env(&self) -> ::core::option::Option<#rt::Env> {
                    self.#i
                }
            }
        });
    let validate = validate_body(
        spec,
        &a.request,
        quote!(Self::META.request),
        Some(&a.one_of),
    )
    .map(|body| {
        quote! {
            #[allow(unused_variables)]
            fn validate(&self) -> ::core::result::Result<(), #rt::Error> {
                let ctx = Self::META.name;
                let path = "";
                #body
                ::core::result::Result::Ok(())
            }
        }
    });

    quote! {
        #req_doc
        #req_attrs
        pub struct #req {
            #(#req_fields)*
        }

        #resp_doc
        #resp_attrs
        pub struct #resp {
            #(#resp_fields)*
        }

        impl #rt::Action for #req {
            type Response = #resp;
            const META: &'static #rt::meta::ActionMeta = &#rt::meta::ActionMeta {
                name: #name,
                alias: #alias,
                path: #path,
                signing: #signing,
                retry: #retry,
                idempotency_key: #idem,
                doc: #doc,
                request: #request_meta,
                one_of: &[#(#one_of),*],
                response: #response_meta,
            };
            #fill
            #env
            #validate
        }
    }
}

fn emit_fill(a: &Action) -> Option<TokenStream> {
    let rt = rt();
    let steps: Vec<TokenStream> = a
        .request
        .iter()
        .filter_map(|f| {
            let i = field_ident(&f.rust);
            match (f.fill, &f.default) {
                (Some(Fill::Env), _) => Some(quote! {
                    if self.#i.is_none() {
                        self.#i = ::core::option::Option::Some(ctx.env);
                    }
                }),
                (Some(Fill::OfferId), _) => Some(quote! {
                    if self.#i.is_none() {
                        self.#i = ::core::option::Option::Some(ctx.offer_id(Self::META.name)?.to_owned());
                    }
                }),
                (None, Some(d)) => {
                    let value = default_value(&f.ty, d);
                    Some(quote! {
                        if self.#i.is_none() {
                            self.#i = ::core::option::Option::Some(#value);
                        }
                    })
                }
                (None, None) => None,
            }
        })
        .collect();
    if steps.is_empty() {
        return None;
    }
    Some(quote! {
        fn fill(&mut self, ctx: &#rt::FillContext<'_>) -> ::core::result::Result<(), #rt::Error> {
            #(#steps)*
            ::core::result::Result::Ok(())
        }
    })
}

/// The value of a `default:` literal, typed.
pub(crate) fn default_value(ty: &Ty, literal: &str) -> TokenStream {
    match ty {
        Ty::String => quote!(::std::string::String::from(#literal)),
        Ty::Named(n) => {
            let i = type_ident(n);
            quote!(#i::from_wire(#literal))
        }
        _ => {
            let lit: proc_macro2::TokenStream = literal.parse().unwrap_or_else(|_| quote!(0));
            quote!(#lit)
        }
    }
}

/// Whether values of this type have checks to run (rules, or nested objects with rules).
fn needs_check(spec: &Spec, ty: &Ty) -> bool {
    match ty {
        Ty::Named(n) => match spec.type_def(n).map(|t| &t.kind) {
            Some(TypeKind::Object { fields }) => fields
                .iter()
                .any(|f| !f.rules.is_empty() || needs_check(spec, &f.ty)),
            _ => false,
        },
        Ty::List(t) => needs_check(spec, t),
        _ => false,
    }
}

/// The statements that check `fields` (and `one_of`), or `None` when there is nothing to check.
/// Expects `ctx: &str` and `path: &str` in scope; `meta` is the expression of the fields' table.
pub(crate) fn validate_body(
    spec: &Spec,
    fields: &[Field],
    meta: TokenStream,
    one_of: Option<&[Vec<String>]>,
) -> Option<TokenStream> {
    let check = quote!(::xpay_runtime::__private::check);
    let mut stmts = Vec::new();
    for (idx, f) in fields.iter().enumerate() {
        let i = field_ident(&f.rust);
        let wire = &f.wire;
        let mut on_value = Vec::new();
        if !f.rules.is_empty() {
            let rules = quote!(&#meta[#idx].rules);
            match &f.ty {
                Ty::String => on_value.push(quote!(#check::string(ctx, path, #wire, v, #rules)?;)),
                Ty::Named(_) => {
                    on_value.push(quote!(#check::string(ctx, path, #wire, v.as_str(), #rules)?;))
                }
                t if t.is_integer() => on_value.push(
                    quote!(#check::int(ctx, path, #wire, ::core::convert::Into::<i128>::into(*v), #rules)?;),
                ),
                _ => {}
            }
        }
        if needs_check(spec, &f.ty) {
            match &f.ty {
                Ty::List(_) => on_value.push(quote! {
                    for (n, item) in v.iter().enumerate() {
                        item.__validate(ctx, &#check::index(path, #wire, n))?;
                    }
                }),
                _ => on_value.push(quote!(v.__validate(ctx, &#check::join(path, #wire))?;)),
            }
        }
        if on_value.is_empty() {
            continue;
        }
        if f.is_plain() {
            stmts.push(quote! {{ let v = &self.#i; #(#on_value)* }});
        } else {
            stmts.push(quote! {
                if let ::core::option::Option::Some(v) = &self.#i {
                    #(#on_value)*
                }
            });
        }
    }
    for group in one_of.unwrap_or_default() {
        let members = group.iter().map(|w| {
            let f = fields.iter().find(|f| &f.wire == w);
            let i = field_ident(f.map(|f| f.rust.as_str()).unwrap_or(w));
            quote!((#w, self.#i.is_some()))
        });
        stmts.push(quote!(#check::one_of(ctx, &[#(#members),*])?;));
    }
    if stmts.is_empty() {
        None
    } else {
        Some(quote!(#(#stmts)*))
    }
}

fn method_doc(a: &Action) -> String {
    let signing = match a.signing {
        Signing::Pay => "Signed with `pay_sig`.".to_string(),
        Signing::PayUser => {
            "Signed with `pay_sig` and the user `signature`, so it needs the user's latest session key."
                .to_string()
        }
    };
    let retry = match a.retry {
        Retry::Safe => "Idempotent: retried on transport errors and errcode -1.".to_string(),
        Retry::SameId => format!(
            "Moves money: retried only with the very same body, since WeChat deduplicates by `{}`; a repeat answers [`Error::Duplicate`](::xpay_runtime::Error::Duplicate).",
            a.idempotency_key.as_deref().unwrap_or("its id")
        ),
        Retry::Never => "Never retried automatically.".to_string(),
    };
    let alias = a
        .alias
        .as_ref()
        .map(|al| format!("\n\nyansongda/pay name: `{al}`."))
        .unwrap_or_default();
    format!("{}\n\n`POST {}`. {signing} {retry}{alias}", a.doc, a.path)
}

/// The client methods of every action.
pub(crate) fn emit_client(spec: &Spec, options: &Options) -> TokenStream {
    let rt = rt();
    let mut sigs = Vec::new();
    for a in &spec.actions {
        let m = format_ident!("{}", a.name);
        let req = request_ident(a);
        let resp = response_ident(a);
        let doc = doc_attr(&method_doc(a));
        let (param, arg) = match a.signing {
            Signing::PayUser => (
                quote!(, session_key: &#rt::SessionKey),
                quote!(::core::option::Option::Some(session_key)),
            ),
            Signing::Pay => (quote!(), quote!(::core::option::Option::None)),
        };
        sigs.push((doc, m, req, resp, param, arg));
    }
    match &options.client {
        ClientStyle::Inherent => {
            let methods = sigs.iter().map(|(doc, m, req, resp, param, arg)| {
                quote! {
                    #doc
                    pub async fn #m(&self, request: #req #param) -> ::core::result::Result<#resp, #rt::Error> {
                        self.execute(request, #arg).await
                    }
                }
            });
            quote! {
                impl #rt::Client {
                    #(#methods)*
                }
            }
        }
        ClientStyle::Trait(name) => {
            let t = type_ident(name);
            let decls = sigs.iter().map(|(doc, m, req, resp, param, _)| {
                quote! {
                    #doc
                    fn #m(&self, request: #req #param)
                        -> impl ::core::future::Future<Output = ::core::result::Result<#resp, #rt::Error>> + ::core::marker::Send;
                }
            });
            let impls = sigs.iter().map(|(_, m, req, resp, param, arg)| {
                quote! {
                    fn #m(&self, request: #req #param)
                        -> impl ::core::future::Future<Output = ::core::result::Result<#resp, #rt::Error>> + ::core::marker::Send {
                        self.execute(request, #arg)
                    }
                }
            });
            let tdoc = format!(
                "The actions of this spec as methods of [`Client`]({rt_path}::Client).",
                rt_path = "::xpay_runtime"
            );
            quote! {
                #[doc = #tdoc]
                pub trait #t {
                    #(#decls)*
                }

                impl #t for #rt::Client {
                    #(#impls)*
                }
            }
        }
    }
}
