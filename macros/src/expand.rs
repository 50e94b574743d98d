//! Turns a validated [`ValidHandler`] into tokens: the fn as written, plus its registration in an
//! anonymous const beside it.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Item, ItemFn, Lifetime, Type};

use crate::parse::Args;
use crate::valid::{self, Events, ValidHandler};

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

/// The fn as written, then its registration in an anonymous const beside it, where its
/// items cannot clash with the user's.
fn expand(item: &ItemFn, handler: ValidHandler) -> TokenStream {
    let names = Names::new(item, handler.output.as_ref());
    let call_fn = call_thunk(&names, &handler);
    let needs_fn = needs_declaration(&names, &handler.handler_args);
    let submit = registration(&names, &handler);
    quote! {
        #item

        const _: () = {
            #call_fn
            #needs_fn
            #submit
        };
    }
}

/// The names the expansion writes: the user's fn, the hidden module, and locals that
/// cannot capture or shadow anything of the user's.
struct Names<'a> {
    private: TokenStream,
    /// The user's fn.
    ident: &'a Ident,
    /// Its name without `r#`, as the registry lists it.
    name: String,
    is_async: bool,
    /// The span of the declared return type, or of the fn name for `()`.
    output_span: Span,
}

impl<'a> Names<'a> {
    fn new(item: &'a ItemFn, output: Option<&Type>) -> Self {
        let ident = &item.sig.ident;
        let output_span = output.map_or_else(|| ident.span(), Spanned::span);
        Names {
            private: quote!(::postal_hooks::__private),
            ident,
            name: ident.to_string().trim_start_matches("r#").to_owned(),
            is_async: item.sig.asyncness.is_some(),
            output_span,
        }
    }

    /// A local of the thunk. Mixed-site, so a handler named `event` or `cx` still resolves
    /// to the user's fn.
    fn local(name: &str) -> Ident {
        Ident::new(name, Span::mixed_site())
    }
}

/// `fn __postal_hooks_call(cx) -> Invocation`: draws the event and the other arguments from
/// the call context, calls the user's fn, and turns what it returns into its result.
fn call_thunk(names: &Names<'_>, handler: &ValidHandler) -> TokenStream {
    let Names { private, .. } = names;
    let call_fn = format_ident!("__postal_hooks_call");
    let cx = Names::local("cx");
    let event = Names::local("event");
    let event_checks = other_event_checks(names, handler);
    let draw_event = early_return_on_error(&event, &event_argument(names, handler, &cx));
    let (arg_names, draw_args): (Vec<Ident>, Vec<TokenStream>) = handler
        .handler_args
        .iter()
        .enumerate()
        .map(|(index, ty)| {
            let arg = Names::local(&format!("arg{index}"));
            let ty = erase_lifetimes(ty);
            let draw = quote_spanned!(ty.span()=>
                <#ty as #private::HandlerArg<'_>>::from_call(#cx)
            );
            let statement = early_return_on_error(&arg, &draw);
            (arg, statement)
        })
        .unzip();
    let invoke = invocation(names, &event, &arg_names);
    quote! {
        fn #call_fn<'a>(#cx: &'a #private::CallContext<'a>) -> #private::Invocation<'a> {
            #(#event_checks)*
            #draw_event
            #(#draw_args)*
            #invoke
        }
    }
}

/// `let binding = match draw { Ok(value) => value, Err(error) => return Done(Err(error)) };`
fn early_return_on_error(binding: &Ident, draw: &TokenStream) -> TokenStream {
    let private = quote!(::postal_hooks::__private);
    let (value, error) = (Names::local("value"), Names::local("error"));
    quote! {
        let #binding = match #draw {
            #private::Result::Ok(#value) => #value,
            #private::Result::Err(#error) => {
                return #private::Invocation::Done(#private::Result::Err(#error));
            }
        };
    }
}

/// Borrows the event argument out of the context. Spanned on the argument's type, so a
/// type the events do not give is reported there.
fn event_argument(names: &Names<'_>, handler: &ValidHandler, cx: &Ident) -> TokenStream {
    let Names { private, name, .. } = names;
    let event_ty = erase_lifetimes(&handler.event_ty);
    match &handler.events {
        Events::All => quote_spanned!(event_ty.span()=>
            #private::event_param_any::<#event_ty>(#cx, #name)
        ),
        Events::Only { first, .. } => quote_spanned!(event_ty.span()=>
            #private::event_param_for::<#private::events::#first, #event_ty>(#cx, #name)
        ),
    }
}

/// For every listed event after the first, a check that the argument's type can be taken
/// for it too.
fn other_event_checks(names: &Names<'_>, handler: &ValidHandler) -> Vec<TokenStream> {
    let private = &names.private;
    let event_ty = erase_lifetimes(&handler.event_ty);
    match &handler.events {
        Events::All => Vec::new(),
        Events::Only { rest, .. } => rest
            .iter()
            .map(|other| {
                quote_spanned!(event_ty.span()=>
                    #private::require_param_for::<#private::events::#other, #event_ty>();
                )
            })
            .collect(),
    }
}

/// Calls the user's fn: a sync fn runs now, an async fn's future is boxed.
///
/// Whole expressions carry the user's span, so a failed bound is reported on their tokens:
/// the return type for `IntoHandlerResult`, the fn name for `Send`. The two locals used
/// inside them take a reserved prefix instead of the mixed-site span, which would move a
/// failed bound off the return type.
fn invocation(names: &Names<'_>, event: &Ident, args: &[Ident]) -> TokenStream {
    let Names {
        private,
        ident,
        output_span,
        ..
    } = names;
    if names.is_async {
        let future = Ident::new("__postal_hooks_future", *output_span);
        let result =
            quote_spanned!(*output_span=> ::postal_hooks::__private::handler_result(#future.await));
        let boxed = quote_spanned!(ident.span()=>
            ::postal_hooks::__private::box_future(async move { #result })
        );
        quote! {
            let #future = #ident(#event #(, #args)*);
            #private::Invocation::Pending(#boxed)
        }
    } else {
        let returned = Ident::new("__postal_hooks_returned", *output_span);
        let result =
            quote_spanned!(*output_span=> ::postal_hooks::__private::handler_result(#returned));
        quote! {
            let #returned = #ident(#event #(, #args)*);
            #private::Invocation::Done(#result)
        }
    }
}

/// `fn __postal_hooks_needs(needs)`: declares the `State<T>` types the handler takes, for
/// the check at build time.
fn needs_declaration(names: &Names<'_>, handler_args: &[Type]) -> TokenStream {
    let private = &names.private;
    let needs_fn = format_ident!("__postal_hooks_needs");
    let needs = Names::local("needs");
    let declare = handler_args.iter().map(|ty| {
        let ty = erase_lifetimes(ty);
        quote_spanned!(ty.span()=> <#ty as #private::HandlerArg<'_>>::declare(#needs);)
    });
    quote! {
        fn #needs_fn(#needs: &mut #private::Vec<#private::StateNeed>) {
            let _ = &#needs;
            #(#declare)*
        }
    }
}

/// `inventory::submit! { Registration::new(RegistrationFields { .. }) }`, every field named.
fn registration(names: &Names<'_>, handler: &ValidHandler) -> TokenStream {
    let Names { private, name, .. } = names;
    let events = match &handler.events {
        Events::All => quote!(#private::EventFilter::All),
        Events::Only { first, rest } => {
            let wire_names = std::iter::once(first).chain(rest).map(ToString::to_string);
            quote!(#private::EventFilter::Only(&[#(#wire_names),*]))
        }
    };
    let kind = if names.is_async {
        quote!(#private::HandlerKind::Async)
    } else {
        quote!(#private::HandlerKind::Sync)
    };
    let dedupe = handler.dedupe;
    quote! {
        #private::inventory::submit! {
            #private::Registration::new(#private::RegistrationFields {
                name: #name,
                location: #private::Location {
                    module_path: #private::module_path!(),
                    file: #private::file!(),
                    line: #private::line!(),
                },
                events: #events,
                kind: #kind,
                dedupe: #dedupe,
                call: __postal_hooks_call,
                needs: __postal_hooks_needs,
            })
        }
    }
}

/// A copy of `ty` with every named lifetime replaced by `'_`.
fn erase_lifetimes(ty: &Type) -> Type {
    let mut ty = ty.clone();
    EraseLifetimes.visit_type_mut(&mut ty);
    ty
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
