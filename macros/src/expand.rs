//! Turns a validated [`Handler`] into tokens: the fn as written, plus its registration in an
//! anonymous const beside it.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Item, ItemFn, Lifetime};

use crate::parse::Args;
use crate::valid::{self, Events, Handler};

/// Entry point: never fails; problems become `compile_error!`s beside the user's fn.
pub fn on_event(args: TokenStream, item: TokenStream) -> TokenStream {
    let output = try_expand(args, item);
    if std::env::var_os("POSTAL_HOOKS_MACROS_DEBUG").is_some() {
        eprintln!("{output}");
    }
    output
}

fn try_expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(item_fn)) => item_fn,
        Ok(other) => {
            let error = syn::Error::new(
                item_keyword_span(&other),
                "`#[on_event]` goes on a `fn` or `async fn` that takes the event, e.g. `fn suppress(bounce: &MessageBounced)`",
            );
            return with_error(item, error);
        }
        // Not an item at all: rustc reports the syntax error itself.
        Err(_) => return item,
    };
    match valid::validate(syn::parse2::<Args>(args), &item_fn) {
        Ok(handler) => expand(&item_fn, handler),
        Err(error) => with_error(quote!(#item_fn), error),
    }
}

/// The user's item unchanged, then the error: callers still compile, one message per
/// mistake, and no registration code to add secondary errors.
fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#item #error)
}

fn expand(item: &ItemFn, handler: Handler) -> TokenStream {
    let Handler {
        events,
        dedupe,
        mut event_ty,
        extractors,
        output,
    } = handler;
    let private = quote!(::postal_hooks::__private);
    let ident = &item.sig.ident;
    let name = ident.to_string().trim_start_matches("r#").to_owned();
    let is_async = item.sig.asyncness.is_some();

    // The thunk's locals are mixed-site, so a handler named `event` or `cx` still resolves to
    // the user's fn; its items carry the reserved `__postal_hooks_` prefix for the same reason.
    let local = |name: &str| Ident::new(name, Span::mixed_site());
    let (cx, event, needs, value, error) = (
        local("cx"),
        local("event"),
        local("needs"),
        local("value"),
        local("error"),
    );
    let call_fn = format_ident!("__postal_hooks_call");
    let needs_fn = format_ident!("__postal_hooks_needs");

    EraseLifetimes.visit_type_mut(&mut event_ty);
    let event_span = event_ty.span();
    let (extract_event, other_checks, filter) = match &events {
        Events::All => (
            quote_spanned!(event_span=> #private::event_param_any::<#event_ty>(#cx, #name)),
            Vec::new(),
            quote!(#private::EventFilter::All),
        ),
        Events::Only { first, rest } => {
            let checks = rest
                .iter()
                .map(|other| {
                    quote_spanned!(event_span=>
                        #private::require_param_for::<#private::events::#other, #event_ty>();
                    )
                })
                .collect();
            let wire_names = std::iter::once(first).chain(rest).map(ToString::to_string);
            (
                quote_spanned!(event_span=>
                    #private::event_param_for::<#private::events::#first, #event_ty>(#cx, #name)
                ),
                checks,
                quote!(#private::EventFilter::Only(&[#(#wire_names),*])),
            )
        }
    };

    let mut arg_names = Vec::new();
    let mut extract_args = Vec::new();
    let mut declare_needs = Vec::new();
    for (index, mut ty) in extractors.into_iter().enumerate() {
        EraseLifetimes.visit_type_mut(&mut ty);
        let arg = local(&format!("arg{index}"));
        let span = ty.span();
        extract_args.push(quote_spanned!(span=>
            let #arg = match <#ty as #private::FromRequest<'_>>::from_request(#cx) {
                #private::Result::Ok(#value) => #value,
                #private::Result::Err(#error) => {
                    return #private::Invocation::Done(#private::Result::Err(#error));
                }
            };
        ));
        declare_needs
            .push(quote_spanned!(span=> <#ty as #private::FromRequest<'_>>::declare(#needs);));
        arg_names.push(arg);
    }

    // Whole expressions carry the user's span, so a failed bound is reported on their
    // tokens: the return type for `IntoOutcome`, the fn name for `Send`.
    let output_span = output.as_ref().map_or_else(|| ident.span(), Spanned::span);
    // These two locals are used inside those expressions, where a mixed-site ident would move
    // a failed `IntoOutcome` bound off the return type; a prefix keeps them apart instead.
    let future = Ident::new("__postal_hooks_future", output_span);
    let returned = Ident::new("__postal_hooks_returned", output_span);
    let invoke = if is_async {
        let outcome =
            quote_spanned!(output_span=> ::postal_hooks::__private::outcome(#future.await));
        let boxed = quote_spanned!(ident.span()=>
            ::postal_hooks::__private::box_future(async move { #outcome })
        );
        quote! {
            let #future = #ident(#event #(, #arg_names)*);
            #private::Invocation::Pending(#boxed)
        }
    } else {
        let outcome = quote_spanned!(output_span=> ::postal_hooks::__private::outcome(#returned));
        quote! {
            let #returned = #ident(#event #(, #arg_names)*);
            #private::Invocation::Done(#outcome)
        }
    };

    quote! {
        #item

        // Registration lives in an anonymous const so its items cannot clash with the user's.
        const _: () = {
            fn #call_fn<'a>(#cx: &'a #private::CallContext<'a>) -> #private::Invocation<'a> {
                #(#other_checks)*
                let #event = match #extract_event {
                    #private::Result::Ok(#event) => #event,
                    #private::Result::Err(#error) => {
                        return #private::Invocation::Done(#private::Result::Err(#error));
                    }
                };
                #(#extract_args)*
                #invoke
            }

            fn #needs_fn(#needs: &mut #private::Vec<#private::StateNeed>) {
                let _ = &#needs;
                #(#declare_needs)*
            }

            #private::inventory::submit! {
                #private::Handler::new(
                    #name,
                    #private::module_path!(),
                    #private::file!(),
                    #private::line!(),
                    #filter,
                    #is_async,
                    #dedupe,
                    #call_fn,
                    #needs_fn,
                )
            }
        };
    }
}

/// Replaces every named lifetime with `'_`: the fn's own lifetime parameters mean nothing
/// inside the generated call thunk, where the types are only used to pick impls.
struct EraseLifetimes;

impl VisitMut for EraseLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        *lifetime = Lifetime::new("'_", lifetime.span());
    }
}

/// The keyword of a non-fn item, to put the error on it rather than on the whole item.
fn item_keyword_span(item: &Item) -> Span {
    match item {
        Item::Struct(item) => item.struct_token.span,
        Item::Enum(item) => item.enum_token.span,
        Item::Union(item) => item.union_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Mod(item) => item.mod_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::Const(item) => item.const_token.span,
        Item::Static(item) => item.static_token.span,
        Item::Type(item) => item.type_token.span,
        Item::Use(item) => item.use_token.span,
        other => other.span(),
    }
}
