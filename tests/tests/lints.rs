//! The code `#[on_event]` generates is lint-clean: this file compiles under
//! `#![deny(warnings, missing_docs, unused_qualifications)]`, and CI runs clippy on it with
//! `-D warnings` and the pedantic group on. Odd but valid handlers live here as pass cases.
#![deny(warnings, missing_docs, unused_qualifications, rust_2018_idioms)]
#![warn(clippy::pedantic)]

use std::sync::atomic::{AtomicUsize, Ordering};

use postal_hooks::events::{Delivery, MessageBounced, MessageSent};
use postal_hooks::{Dispatcher, Event, Meta, State, on_event};

/// Shared state for the handlers below.
#[derive(Default)]
pub struct Hits(AtomicUsize);

/// A documented public sync handler.
#[on_event(MessageSent)]
pub fn public_sync(sent: &MessageSent) {
    let _ = sent.message.id;
}

#[on_event(MessageBounced)]
async fn private_async(bounce: &MessageBounced, meta: &Meta) -> Result<(), std::io::Error> {
    std::future::ready(()).await;
    std::io::Write::flush(&mut std::io::sink())?;
    let _ = (bounce.bounce.id, meta.uuid());
    Ok(())
}

/// Every one of Postal's ten names is accepted by the macro and known to the dispatcher.
#[on_event(
    MessageSent,
    MessageDelayed,
    MessageDeliveryFailed,
    MessageHeld,
    MessageBounced,
    MessageLinkClicked,
    MessageLoaded,
    DomainDNSError,
    SendLimitApproaching,
    SendLimitExceeded
)]
pub fn all_ten(event: &Event, State(hits): State<Hits>) {
    let _ = event.name();
    hits.0.fetch_add(1, Ordering::Relaxed);
}

#[on_event(*, dedupe = false)]
fn everything(event: &Event) -> Result<(), String> {
    if event.name().is_empty() {
        Err("an event without a name".to_owned())
    } else {
        Ok(())
    }
}

#[on_event(MessageSent, MessageHeld)]
fn named_lifetimes<'a>(delivery: &'a Delivery, meta: &'a Meta) {
    let _ = (delivery.status.as_str(), meta.event());
}

// Options after the names, with a trailing comma.
#[on_event(MessageLoaded, MessageLinkClicked, dedupe = true)]
fn tracked(_: &postal_hooks::events::Message) {}

// A raw identifier as the handler name.
#[on_event(MessageSent)]
fn r#type(_: &MessageSent) {}

// Handlers named like the expansion's own locals and items. Regression: the generated
// thunk once declared `cx`, `event`, `call` and `needs`, which hid these fns from it.
mod expansion_names {
    use postal_hooks::events::{MessageBounced, MessageSent};
    use postal_hooks::{Meta, on_event};

    #[on_event(MessageSent)]
    pub(crate) fn event(_: &MessageSent) {}

    #[on_event(MessageSent)]
    pub(crate) fn cx(_: &MessageSent, _: &Meta) {}

    #[on_event(MessageSent)]
    pub(crate) async fn call(_: &MessageSent) {
        std::future::ready(()).await;
    }

    #[on_event(MessageSent)]
    pub(crate) fn needs(_: &MessageSent) {}

    #[on_event(MessageBounced)]
    pub(crate) async fn future(_: &MessageBounced, meta: &Meta) {
        std::future::ready(meta.uuid()).await;
    }

    #[on_event(MessageBounced)]
    pub(crate) fn returned(_: &MessageBounced) {}

    #[on_event(MessageBounced)]
    pub(crate) fn arg0(_: &MessageBounced, _: &Meta) {}
}

mod nested {
    use postal_hooks::events::MessageLoaded;
    use postal_hooks::on_event;

    #[on_event(MessageLoaded)]
    pub(crate) async fn in_a_module(open: &MessageLoaded) {
        std::future::ready(open.ip()).await;
    }
}

#[test]
fn every_pass_case_is_registered() {
    let dispatcher = Dispatcher::builder()
        .state(Hits::default())
        .build()
        .unwrap();
    let mut names: Vec<_> = dispatcher
        .handlers()
        .map(postal_hooks::HandlerInfo::path)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "lints::all_ten",
            "lints::everything",
            "lints::expansion_names::arg0",
            "lints::expansion_names::call",
            "lints::expansion_names::cx",
            "lints::expansion_names::event",
            "lints::expansion_names::future",
            "lints::expansion_names::needs",
            "lints::expansion_names::returned",
            "lints::named_lifetimes",
            "lints::nested::in_a_module",
            "lints::private_async",
            "lints::public_sync",
            "lints::tracked",
            "lints::type",
        ]
    );
    // The handlers stay callable as the plain fns they are.
    let everything_info = dispatcher
        .handlers()
        .find(|h| h.name() == "everything")
        .unwrap();
    assert!(!everything_info.is_deduplicated());
    assert!(
        dispatcher
            .handlers()
            .find(|h| h.name() == "tracked")
            .unwrap()
            .is_deduplicated()
    );
    public_sync(&sample_sent());
    r#type(&sample_sent());
    // And they run: the handlers named like the expansion's locals call the user's fns.
    for sample in ["MessageSent", "MessageBounced"] {
        let report = dispatcher
            .dispatch_blocking(postal_hooks::testing::sample(sample).unwrap())
            .unwrap();
        assert!(report.is_success(), "{report}");
        let ran = report
            .runs()
            .iter()
            .filter(|run| run.handler().path().starts_with("lints::expansion_names::"))
            .count();
        assert_eq!(ran, if sample == "MessageSent" { 4 } else { 3 }, "{report}");
    }
}

fn sample_sent() -> MessageSent {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/samples/MessageSent.json"
    ))
    .unwrap();
    postal_hooks::Envelope::parse(&body)
        .unwrap()
        .into_event()
        .try_into()
        .unwrap()
}
