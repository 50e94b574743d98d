//! Parsing `#[on_event(..)]`'s arguments into [`Args`].

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, Token};

mod kw {
    syn::custom_keyword!(dedupe);
}

/// What the attribute asks for.
pub struct Args {
    pub events: EventsArg,
    /// `dedupe = <bool>`, if given.
    pub dedupe: Option<LitBool>,
}

pub enum EventsArg {
    /// `#[on_event(A, B)]`: these names, as written.
    Names(Vec<Ident>),
    /// `#[on_event(*)]`: every event, unknown ones included.
    All,
}

// #[on_event(EventName, EventName, ...)]
// #[on_event(*)]
// followed by options:  , dedupe = false
impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`#[on_event]` needs the events to handle, e.g. `#[on_event(MessageBounced)]`, or `#[on_event(*)]` for every event",
            ));
        }
        let events = if input.peek(Token![*]) {
            input.parse::<Token![*]>()?;
            if !input.is_empty() && !starts_option(input) {
                input.parse::<Token![,]>()?;
                if !input.is_empty() && !starts_option(input) {
                    return Err(
                        input.error("`*` already means every event: remove the other names")
                    );
                }
            }
            EventsArg::All
        } else {
            let mut names = Vec::new();
            while !input.is_empty() && !starts_option(input) {
                names.push(event_name(input)?);
                if input.is_empty() {
                    break;
                }
                input.parse::<Token![,]>()?;
            }
            EventsArg::Names(names)
        };
        let mut dedupe = None;
        while !input.is_empty() {
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
                continue;
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::dedupe) {
                let keyword: kw::dedupe = input.parse()?;
                input.parse::<Token![=]>()?;
                let value: LitBool = input.parse().map_err(|error| {
                    syn::Error::new(error.span(), "`dedupe` takes `true` or `false`")
                })?;
                set_once(&mut dedupe, value, "dedupe", keyword.span)?;
            } else if input.peek(Ident) && input.peek2(Token![=]) {
                let unknown: Ident = input.parse()?;
                return Err(syn::Error::new(
                    unknown.span(),
                    format!("unknown option `{unknown}`: the only option is `dedupe = false`"),
                ));
            } else {
                return Err(lookahead.error());
            }
        }
        Ok(Args { events, dedupe })
    }
}

/// `name = …`: an option, not an event name.
fn starts_option(input: ParseStream<'_>) -> bool {
    input.peek(Ident) && input.peek2(Token![=])
}

/// The one "given more than once" check for every option.
fn set_once<T>(slot: &mut Option<T>, value: T, name: &str, span: Span) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            span,
            format!("`{name}` is given more than once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// One bare event name; a path or anything else gets a sentence saying what to write.
fn event_name(input: ParseStream<'_>) -> syn::Result<Ident> {
    if input.peek(Token![*]) {
        return Err(input.error("`*` already means every event: use it alone, as `#[on_event(*)]`"));
    }
    let path: syn::Path = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected a Postal event name such as `MessageBounced`, or `*`",
        )
    })?;
    match path.get_ident() {
        Some(ident) => Ok(ident.clone()),
        None => {
            let last = path
                .segments
                .last()
                .map(|segment| segment.ident.to_string())
                .unwrap_or_default();
            Err(syn::Error::new_spanned(
                path,
                format!(
                    "write the bare event name `{last}`: `#[on_event]` knows Postal's events by name"
                ),
            ))
        }
    }
}
