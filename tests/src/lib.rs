//! Support crate for the integration tests in `tests/tests/`. Not published.
//!
//! It holds `#[on_event]` handlers declared in a crate of their own, as an application's
//! `handlers` crate would: `tests/dispatch.rs` links it with `use postal_hooks_tests as _;`
//! and checks that the dispatcher finds them.
//!
//! Its doctests also compile and run every Rust code block of the repository's `README.md`,
//! so the README cannot drift from the API.

use std::sync::Mutex;

use postal_hooks::events::MessageLoaded;
use postal_hooks::{Meta, on_event};

/// uuids of the `MessageLoaded` events [`record_open`] received.
static OPENS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A handler in another crate: records each open's uuid.
#[on_event(MessageLoaded)]
pub fn record_open(_open: &MessageLoaded, meta: &Meta) {
    if let Ok(mut opens) = OPENS.lock() {
        opens.push(meta.uuid().unwrap_or_default().to_owned());
    }
}

/// How many times [`record_open`] ran for `uuid`.
pub fn opens_seen(uuid: &str) -> usize {
    OPENS
        .lock()
        .map_or(0, |opens| opens.iter().filter(|seen| *seen == uuid).count())
}

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
