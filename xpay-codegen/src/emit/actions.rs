//! Per action: the request and response structs, and the `Action` impl that ties them to the
//! action's metadata, its spec's tables, its signing kind and its pre-send checks.

use super::{Cx, Dirs, doc_attr, emit_struct, field_ident, type_ident};
use crate::model::{Action, Field, Fill, Repr, Retry, Rules, Signing, Ty, TypeKind};
use crate::names::pascal;
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn request_ident(a: &Action) -> proc_macro2::Ident {
    type_ident(&format!("{}Request", pascal(&a.name)))
}

fn response_ident(a: &Action) -> proc_macro2::Ident {
    type_ident(&format!("{}Response", pascal(&a.name)))
}

/// How to send it, how it is signed and when it is retried, for the request's docs.
fn request_doc(a: &Action) -> String {
    let (send, signing) = match a.signing {
        Signing::Pay => ("client.send(request)".to_string(), "Signed with `pay_sig`."),
        Signing::PayUser => (
            "client.send_user(request, &session_key)".to_string(),
            "Signed with `pay_sig` and the user `signature`, so it needs the user's latest session key.",
        ),
    };
    let retry = match a.retry {
        Retry::Safe => "Idempotent: retried on transport errors and errcode -1.".to_string(),
        Retry::SameId => format!(
            "Moves money: retried only with the very same body, since WeChat deduplicates by `{}`; a repeat that already succeeded answers `Error::Duplicate`.",
            a.idempotency_key.as_deref().unwrap_or("its id")
        ),
        Retry::Never => "Never retried automatically.".to_string(),
    };
    let alias = a
        .alias
        .as_ref()
        .map(|al| format!(" yansongda/pay name: `{al}`."))
        .unwrap_or_default();
    format!(
        "Request of `{}`: {}\n\n`POST {}`, sent with `{send}`. {signing} {retry}{alias}",
        a.name, a.doc, a.path
    )
}

/// The structs and the `Action` impl of one action.
pub(crate) fn emit_action(cx: &Cx<'_>, a: &Action) -> TokenStream {
    let rt = cx.rt();
    let req = request_ident(a);
    let resp = response_ident(a);
    let req_doc = doc_attr(&request_doc(a));
    let resp_doc = doc_attr(&format!("Response of `{}`: {}", a.name, a.doc));
    let request = emit_struct(
        cx,
        &req,
        req_doc,
        &a.request,
        Dirs {
            ser: true,
            de: false,
        },
        "A request",
    );
    let response = emit_struct(
        cx,
        &resp,
        resp_doc,
        &a.response,
        Dirs {
            ser: false,
            de: true,
        },
        "A response",
    );

    let name = &a.name;
    let alias = opt_str(a.alias.as_deref());
    let path = &a.path;
    let (signing, signing_kind, sender) = match a.signing {
        Signing::Pay => (
            quote!(#rt::meta::Signing::Pay),
            quote!(#rt::signing::Pay),
            quote!(#rt::signing::PayAction),
        ),
        Signing::PayUser => (
            quote!(#rt::meta::Signing::PayUser),
            quote!(#rt::signing::PayUser),
            quote!(#rt::signing::UserAction),
        ),
    };
    let retry = match a.retry {
        Retry::Safe => quote!(#rt::meta::Retry::Safe),
        Retry::SameId => quote!(#rt::meta::Retry::SameId),
        Retry::Never => quote!(#rt::meta::Retry::Never),
    };
    let idem = opt_str(a.idempotency_key.as_deref());
    let doc = &a.doc;
    let request_meta = super::meta::fields_meta(cx, &flattened(cx, &a.request));
    let response_meta = super::meta::fields_meta(cx, &a.response);
    let one_of = a.one_of.iter().map(|g| quote!(&[#(#g),*]));

    let fill = emit_fill(cx, a);
    let env = a
        .request
        .iter()
        .find(|f| f.ty == Ty::Env && (f.fill == Some(Fill::Env) || f.pinned.is_some()))
        .map(|f| {
            let i = field_ident(&f.rust);
            let value = if f.pinned.is_some() {
                quote!(::core::option::Option::Some(self.#i))
            } else {
                quote!(self.#i)
            };
            quote! {
                fn __env(&self) -> ::core::option::Option<#rt::Env> {
                    #value
                }
            }
        });
    let validate = validate_fields(cx, &a.request).map(|body| {
        quote! {
            fn __validate(&self) -> ::core::result::Result<(), #rt::Error> {
                let ctx = <Self as #rt::Action>::META.name;
                let at = &__xpay_private::check::At::Root;
                #body
                ::core::result::Result::Ok(())
            }
        }
    });

    quote! {
        #request

        #response

        impl #rt::Action for #req {
            type Response = #resp;
            type Signing = #signing_kind;
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

            fn spec() -> &'static #rt::meta::SpecMeta {
                &SPEC
            }

            #fill
            #env
            #validate
        }

        impl #sender for #req {}
    }
}

pub(crate) fn opt_str(v: Option<&str>) -> TokenStream {
    match v {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

/// The request's wire fields: one_of fields replaced by their members.
fn flattened(cx: &Cx<'_>, fields: &[Field]) -> Vec<Field> {
    let mut out = Vec::new();
    for f in fields {
        match cx.spec.one_of_members(&f.ty) {
            Some(members) => out.extend(members.iter().cloned()),
            None => out.push(f.clone()),
        }
    }
    out
}

fn emit_fill(cx: &Cx<'_>, a: &Action) -> Option<TokenStream> {
    let rt = cx.rt();
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
                        self.#i = ::core::option::Option::Some(::std::string::String::from(
                            ctx.offer_id(<Self as #rt::Action>::META.name)?,
                        ));
                    }
                }),
                (None, Some(d)) => {
                    let value = default_value(cx, &f.ty, d);
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
        fn __fill(
            &mut self,
            ctx: &__xpay_private::FillContext<'_>,
        ) -> ::core::result::Result<(), #rt::Error> {
            #(#steps)*
            ::core::result::Result::Ok(())
        }
    })
}

/// The value of a `default:` literal, typed.
pub(crate) fn default_value(cx: &Cx<'_>, ty: &Ty, literal: &str) -> TokenStream {
    match ty {
        Ty::String => quote!(::std::string::String::from(#literal)),
        Ty::Named(n) => {
            let i = type_ident(n);
            match cx.spec.type_def(n).map(|t| &t.kind) {
                Some(TypeKind::Enum {
                    repr: Repr::Int, ..
                }) => {
                    let v = literal.parse::<i64>().unwrap_or_default();
                    quote!(#i::from_wire(#v))
                }
                _ => quote!(#i::from_wire(#literal)),
            }
        }
        _ => {
            let lit: TokenStream = literal.parse().unwrap_or_else(|_| quote!(0));
            quote!(#lit)
        }
    }
}

/// Whether values of this type have checks to run (rules, or nested objects with rules).
fn needs_check(cx: &Cx<'_>, ty: &Ty) -> bool {
    let field_needs = |f: &Field| {
        !f.rules.is_empty()
            || f.required_unless.is_some()
            || is_enum(cx, &f.ty)
            || needs_check(cx, &f.ty)
    };
    match ty {
        Ty::Named(n) => match cx.spec.type_def(n).map(|t| &t.kind) {
            Some(TypeKind::Object { fields }) => fields.iter().any(field_needs),
            Some(TypeKind::OneOf { members }) => members.iter().any(field_needs),
            _ => false,
        },
        Ty::List(t) | Ty::Json(t) => needs_check(cx, t),
        _ => false,
    }
}

fn is_enum(cx: &Cx<'_>, ty: &Ty) -> bool {
    matches!(ty, Ty::Named(n) if matches!(cx.spec.type_def(n).map(|t| &t.kind), Some(TypeKind::Enum { .. })))
}

/// The statements that check one value: `value` is an expression of a reference to it, `at`
/// of the `&At` of the object holding it, and `ctx` is in scope. `None` when there is nothing
/// to check.
pub(crate) fn check_value(
    cx: &Cx<'_>,
    ty: &Ty,
    rules: &Rules,
    wire: &str,
    value: TokenStream,
    at: TokenStream,
) -> Option<TokenStream> {
    let check = quote!(__xpay_private::check);
    let mut stmts = Vec::new();
    let value_rules = Rules {
        min_items: None,
        max_items: None,
        ..rules.clone()
    };
    if !value_rules.is_empty() {
        let r = super::meta::rules(cx, &value_rules);
        match ty {
            Ty::String => stmts.push(quote!(#check::string(ctx, #at, #wire, #value, &#r)?;)),
            Ty::Named(_) => {
                stmts.push(quote!(#check::string(ctx, #at, #wire, #value.as_str(), &#r)?;))
            }
            t if t.is_integer() => stmts.push(
                quote!(#check::int(ctx, #at, #wire, ::core::convert::Into::<i128>::into(*#value), &#r)?;),
            ),
            _ => {}
        }
    }
    if rules.min_items.is_some() || rules.max_items.is_some() {
        let r = super::meta::rules(cx, rules);
        stmts.push(quote!(#check::items(ctx, #at, #wire, #value.len(), &#r)?;));
    }
    if let Ty::Named(n) = ty
        && matches!(
            cx.spec.type_def(n).map(|t| &t.kind),
            Some(TypeKind::Enum { .. })
        )
    {
        // The spec may lag WeChat: an unlisted value is sent, with a warning.
        stmts.push(quote! {
            if !#value.is_known() {
                #check::unknown_value(ctx, #at, #wire, #value);
            }
        });
    }
    if needs_check(cx, ty) {
        match ty {
            Ty::Named(_) if cx.spec.one_of_members(ty).is_some() => {
                // Flattened: the members sit beside the one_of field.
                stmts.push(quote!(#value.__validate(ctx, #at)?;));
            }
            Ty::Named(_) => stmts.push(quote!(#value.__validate(ctx, &#at.field(#wire))?;)),
            Ty::List(inner) => {
                let item = check_item(inner);
                stmts.push(quote! {
                    let list = #at.field(#wire);
                    for (n, item) in #value.iter().enumerate() {
                        let at = &#check::At::Index(&list, n);
                        #item
                    }
                });
            }
            Ty::Json(inner) => {
                if let Some(s) = check_value(cx, inner, &Rules::default(), wire, quote!(value), at)
                {
                    stmts.push(quote!({ let value = &#value.0; #s }));
                }
            }
            _ => {}
        }
    }
    (!stmts.is_empty()).then(|| quote!({ #(#stmts)* }))
}

/// Checks of one list item (`item` and `at` in scope): nested objects only.
fn check_item(ty: &Ty) -> TokenStream {
    match ty {
        Ty::Named(_) => quote!(item.__validate(ctx, at)?;),
        Ty::List(inner) => {
            let nested = check_item(inner);
            quote! {
                let list = *at;
                for (n, item) in item.iter().enumerate() {
                    let at = &__xpay_private::check::At::Index(&list, n);
                    #nested
                }
            }
        }
        Ty::Json(inner) => {
            let nested = check_item(inner);
            quote!({ let item = &item.0; #nested })
        }
        _ => quote!(),
    }
}

/// The statements that check the fields of `self` (`ctx` and `at` in scope), or `None`.
pub(crate) fn validate_fields(cx: &Cx<'_>, fields: &[Field]) -> Option<TokenStream> {
    let mut stmts = Vec::new();
    for f in fields {
        let i = field_ident(&f.rust);
        if let Some((other, values)) = &f.required_unless
            && let Some(o) = fields.iter().find(|o| &o.wire == other)
        {
            let oi = field_ident(&o.rust);
            let wire = &f.wire;
            let text = match &o.ty {
                Ty::Named(n)
                    if matches!(
                        cx.spec.type_def(n).map(|t| &t.kind),
                        Some(TypeKind::Enum {
                            repr: Repr::Int,
                            ..
                        })
                    ) =>
                {
                    quote!(v.wire().to_string())
                }
                Ty::Named(_) => quote!(v.as_str().to_string()),
                _ => quote!(v.to_string()),
            };
            let other_value = if o.required || o.pinned.is_some() {
                quote!(::core::option::Option::Some({ let v = &self.#oi; #text }))
            } else {
                quote!(self.#oi.as_ref().map(|v| #text))
            };
            stmts.push(quote! {
                __xpay_private::check::required_unless(
                    ctx,
                    at,
                    #wire,
                    self.#i.is_some(),
                    (#other, #other_value.as_deref()),
                    &[#(#values),*],
                )?;
            });
        }
        let Some(s) = check_value(cx, &f.ty, &f.rules, &f.wire, quote!(value), quote!(at)) else {
            continue;
        };
        if f.required {
            stmts.push(quote! {{
                let value = &self.#i;
                #s
            }});
        } else {
            stmts.push(quote! {
                if let ::core::option::Option::Some(value) = &self.#i {
                    #s
                }
            });
        }
    }
    (!stmts.is_empty()).then(|| quote!(#(#stmts)*))
}
