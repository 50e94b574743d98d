//! Parsing `#[on_event(..)]`'s arguments into [`Args`].

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Token};

/// What the attribute asks for.
pub enum Args {
    /// `#[on_event(A, B)]`: these names, as written.
    Events(Vec<Ident>),
    /// `#[on_event(*)]`: every event, unknown ones included.
    All,
}

// #[on_event(EventName)]
// #[on_event(EventName, EventName, ...)]
// #[on_event(*)]
impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`#[on_event]` needs the events to handle, e.g. `#[on_event(MessageBounced)]`, or `#[on_event(*)]` for every event",
            ));
        }
        if input.peek(Token![*]) {
            input.parse::<Token![*]>()?;
            if !input.is_empty() {
                return Err(input.error("`*` already means every event: remove the other names"));
            }
            return Ok(Args::All);
        }
        let mut names = Vec::new();
        loop {
            names.push(event_name(input)?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
        }
        Ok(Args::Events(names))
    }
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
