//! Implementation detail of the `postal-hooks` crate: the `#[on_event]` attribute.
//!
//! Depend on `postal-hooks` and use `postal_hooks::on_event`; its documentation lives there.
//! Set `POSTAL_HOOKS_MACROS_DEBUG=1` while building to print each expansion to stderr.

mod events;
mod expand;
mod parse;
mod valid;

use proc_macro::TokenStream;

/// Registers a fn as a Postal webhook handler. Documented on `postal_hooks::on_event`.
#[proc_macro_attribute]
pub fn on_event(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::on_event(args.into(), item.into()).into()
}
