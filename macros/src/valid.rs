//! Checks that need the whole fn, turning [`Args`] and the item into a [`ValidHandler`] that
//! expansion can trust.

use proc_macro2::Span;
use syn::{FnArg, GenericParam, Ident, ItemFn, ReturnType, Safety, Type};

use crate::events::{EVENTS, closest};
use crate::parse::{Args, EventsArg};

/// What the checks established about a handler fn (the fn itself stays as written).
pub struct ValidHandler {
    pub events: Events,
    /// Whether the dispatcher deduplicates this handler per uuid (`dedupe = false` turns
    /// it off).
    pub dedupe: bool,
    /// `T` in the first argument `&T`.
    pub event_ty: Type,
    /// The types of the arguments after the event, in order.
    pub handler_args: Vec<Type>,
    /// The declared return type, if any.
    pub output: Option<Type>,
}

pub enum Events {
    /// Known event names, each once, in the order and at the spans the user wrote them:
    /// never empty.
    Only { first: Ident, rest: Vec<Ident> },
    /// `*`.
    All,
}

impl Events {
    /// The type a handler of these events is most likely to take, for messages.
    fn first_type_name(&self) -> String {
        match self {
            Events::Only { first, .. } => first.to_string(),
            Events::All => "Event".to_owned(),
        }
    }
}

/// Collects independent problems so one build reports them all.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn add(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.add(syn::Error::new(span, message));
    }

    fn push_spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.add(syn::Error::new_spanned(tokens, message));
    }
}

/// Checks the attribute's arguments (or reports why they did not parse) and the fn
/// together, so one build shows every problem.
pub fn validate(args: syn::Result<Args>, item: &ItemFn) -> syn::Result<ValidHandler> {
    let mut errors = Errors::default();
    let (dedupe, events) = match args {
        Ok(args) => (
            args.dedupe.as_ref().is_none_or(|value| value.value),
            check_events(args, &mut errors),
        ),
        Err(error) => {
            errors.add(error);
            (true, None)
        }
    };
    let first_event = events
        .as_ref()
        .map_or_else(|| "EventName".to_owned(), Events::first_type_name);
    let (event_ty, handler_args) = check_signature(item, &first_event, &mut errors);
    if let Some(error) = errors.0 {
        return Err(error);
    }
    // The arguments parsed, and `check_events` reports an error whenever it finds no valid
    // event name.
    let events = events.ok_or_else(|| {
        syn::Error::new(
            Span::call_site(),
            "`#[on_event]` could not read this handler's event names",
        )
    })?;
    // `check_signature` reports an error whenever it finds no event type.
    let event_ty = event_ty.ok_or_else(|| {
        syn::Error::new(
            item.sig.ident.span(),
            "`#[on_event]` could not read this handler's event argument",
        )
    })?;
    let output = match &item.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    Ok(ValidHandler {
        events,
        dedupe,
        event_ty,
        handler_args,
        output,
    })
}

/// The events to register for; `None` (with an error pushed) when no valid name is left.
fn check_events(args: Args, errors: &mut Errors) -> Option<Events> {
    let names = match args.events {
        EventsArg::All => return Some(Events::All),
        EventsArg::Names(names) if names.is_empty() => {
            errors.push(
                proc_macro2::Span::call_site(),
                "`#[on_event]` needs at least one event name before its options, e.g. `#[on_event(MessageLoaded, dedupe = false)]`",
            );
            return None;
        }
        EventsArg::Names(names) => names,
    };
    let mut seen: Vec<Ident> = Vec::new();
    for name in names {
        let text = name.to_string();
        if !EVENTS.contains(&text.as_str()) {
            let hint = match closest(&text) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!(
                    "Postal's events are {}",
                    EVENTS.map(|e| format!("`{e}`")).join(", ")
                ),
            };
            errors.push(
                name.span(),
                format!("unknown Postal event `{text}`: {hint}"),
            );
        } else if seen.contains(&name) {
            errors.push(
                name.span(),
                format!("`{text}` is listed twice: list each event once"),
            );
        } else {
            seen.push(name);
        }
    }
    let mut seen = seen.into_iter();
    let first = seen.next()?;
    Some(Events::Only {
        first,
        rest: seen.collect(),
    })
}

/// Returns the event type (`T` of `&T`) and the extractor types.
fn check_signature(
    item: &ItemFn,
    first_event: &str,
    errors: &mut Errors,
) -> (Option<Type>, Vec<Type>) {
    let sig = &item.sig;
    let has_type_generics = sig
        .generics
        .params
        .iter()
        .any(|param| !matches!(param, GenericParam::Lifetime(_)));
    if has_type_generics {
        errors.push_spanned(
            &sig.generics,
            "`#[on_event]` handlers cannot be generic; use one fn per event",
        );
    }
    if let Safety::Unsafe(unsafety) = &sig.safety {
        errors.push(unsafety.span, "`#[on_event]` handlers cannot be `unsafe fn`: the dispatcher calls them from safe code");
    }
    if let Some(variadic) = &sig.variadic {
        errors.push_spanned(variadic, "`#[on_event]` handlers cannot be variadic");
    }

    let mut inputs = sig.inputs.iter();
    let event_ty = match inputs.next() {
        None => {
            errors.push(
                sig.paren_token.span.join(),
                format!("`#[on_event]` handlers take the event as their first argument: `&{first_event}`"),
            );
            None
        }
        Some(FnArg::Receiver(receiver)) => {
            errors.push_spanned(
                receiver,
                format!(
                    "`#[on_event]` cannot register a method; use a free fn taking `&{first_event}`"
                ),
            );
            None
        }
        Some(FnArg::Typed(arg)) => match &*arg.ty {
            Type::Reference(reference) if reference.mutability.is_none() => {
                if contains_impl_trait(&reference.elem) {
                    errors.push_spanned(
                        &reference.elem,
                        "`#[on_event]` handlers cannot be generic; name the event type",
                    );
                }
                Some((*reference.elem).clone())
            }
            Type::Reference(reference) => {
                errors.push_spanned(
                    reference,
                    format!("`#[on_event]` handlers take the event by shared reference, `&{first_event}`: other handlers see the same event"),
                );
                None
            }
            other => {
                errors.push_spanned(
                    other,
                    format!("`#[on_event]` handlers take the event by reference as their first argument: `&{first_event}`"),
                );
                None
            }
        },
    };

    let mut handler_args = Vec::new();
    for input in inputs {
        match input {
            FnArg::Typed(arg) if contains_impl_trait(&arg.ty) => {
                errors.push_spanned(&arg.ty, "`#[on_event]` handlers cannot be generic: `impl Trait` arguments are not supported");
            }
            FnArg::Typed(arg) => handler_args.push((*arg.ty).clone()),
            FnArg::Receiver(receiver) => {
                errors.push_spanned(receiver, "`#[on_event]` cannot register a method");
            }
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output
        && contains_impl_trait(ty)
        && sig.asyncness.is_none()
    {
        errors.push_spanned(ty, "`#[on_event]` handlers return `()` or `Result<(), E>`; for a future, write an `async fn`");
    }
    (event_ty, handler_args)
}

fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Reference(reference) => contains_impl_trait(&reference.elem),
        Type::Paren(paren) => contains_impl_trait(&paren.elem),
        Type::Group(group) => contains_impl_trait(&group.elem),
        _ => false,
    }
}
