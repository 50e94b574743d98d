//! Unit-testing a handler without boilerplate: typed samples, `Meta::of`, a dispatcher of
//! chosen handlers only, and one call that signs a sample and delivers it.

use std::sync::atomic::{AtomicUsize, Ordering};

use postal_hooks::events::EventType;
use postal_hooks::events::*;
use postal_hooks::testing::{self, Signer};
use postal_hooks::{BuildProblem, Dispatcher, Meta, Receiver, State, on_event};

/// State that only `notify` needs.
struct Crm;

static SUPPRESSED: AtomicUsize = AtomicUsize::new(0);

#[on_event(MessageBounced)]
fn suppress(bounce: &MessageBounced, meta: &Meta) {
    assert_eq!(meta.event(), "MessageBounced");
    assert!(bounce.original_message.to.is_some());
    SUPPRESSED.fetch_add(1, Ordering::SeqCst);
}

#[on_event(MessageSent)]
fn notify(_sent: &MessageSent, _crm: State<Crm>) {}

fn name_of<E: EventType>(_: &E) -> &'static str {
    E::NAME
}

#[test]
fn every_event_type_has_a_typed_sample() {
    let names = [
        name_of(&testing::sample_event::<MessageSent>()),
        name_of(&testing::sample_event::<MessageDelayed>()),
        name_of(&testing::sample_event::<MessageDeliveryFailed>()),
        name_of(&testing::sample_event::<MessageHeld>()),
        name_of(&testing::sample_event::<MessageBounced>()),
        name_of(&testing::sample_event::<MessageLinkClicked>()),
        name_of(&testing::sample_event::<MessageLoaded>()),
        name_of(&testing::sample_event::<DomainDNSError>()),
        name_of(&testing::sample_event::<SendLimitApproaching>()),
        name_of(&testing::sample_event::<SendLimitExceeded>()),
    ];
    assert_eq!(names.len(), postal_hooks::Event::KNOWN_NAMES.len());
    let bounce: MessageBounced = testing::sample_event();
    assert_eq!(
        bounce.original_message.to.as_deref(),
        Some("jane.doe@example.net")
    );
}

#[test]
fn a_handler_is_called_directly_with_a_typed_sample_and_meta_of_its_type() {
    let before = SUPPRESSED.load(Ordering::SeqCst);
    suppress(
        &testing::sample_event(),
        &Meta::of::<MessageBounced>().with_uuid("u-1"),
    );
    assert_eq!(SUPPRESSED.load(Ordering::SeqCst), before + 1);
    let meta = Meta::of::<MessageSent>();
    assert_eq!(
        (meta.event(), meta.uuid(), meta.timestamp()),
        ("MessageSent", None, None)
    );
}

#[test]
fn a_dispatcher_of_chosen_handlers_needs_only_their_state() {
    // With every registered handler, `notify` needs a `Crm`.
    let all = Dispatcher::builder().build().unwrap_err();
    assert!(
        matches!(all.problems(), [BuildProblem::MissingState { .. }]),
        "{all}"
    );
    // By fn name, or by full path: `notify` and its state stay out.
    for name in ["suppress", "testing_helpers::suppress"] {
        let dispatcher = Dispatcher::builder().only(name).build().unwrap();
        let kept: Vec<&str> = dispatcher.handlers().map(|h| h.name()).collect();
        assert_eq!(kept, ["suppress"], "{name}");
    }
    // A name that matches nothing, or only part of a name, is refused and named.
    for wrong in ["supress", "press"] {
        let error = Dispatcher::builder().only(wrong).build().unwrap_err();
        assert!(
            matches!(error.problems(), [BuildProblem::UnknownOnly { path }] if path == wrong),
            "{error}"
        );
    }
}

#[test]
fn one_call_signs_a_sample_and_delivers_it() {
    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder().only("suppress").build().unwrap();
    let receiver = Receiver::new(dispatcher, signer.verifier());
    let before = SUPPRESSED.load(Ordering::SeqCst);
    for _ in 0..2 {
        let reply = signer.deliver_sample_blocking::<MessageBounced>(&receiver);
        assert_eq!(
            reply.body(),
            "ok: 1 handler(s) ran",
            "a fresh uuid each time"
        );
    }
    assert_eq!(SUPPRESSED.load(Ordering::SeqCst), before + 2);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let reply = runtime.block_on(signer.deliver_sample::<MessageBounced>(&receiver));
    assert_eq!(reply.status(), 200);
    // Another key: the receiver refuses it, as it would a forged delivery.
    let other = Signer::test_key_1024();
    assert_eq!(
        other
            .deliver_sample_blocking::<MessageBounced>(&receiver)
            .status(),
        401
    );
}

#[test]
fn fresh_rewrites_only_the_envelope_timestamp() {
    let (body, uuid) = testing::fresh(testing::sample("MessageSent").unwrap());
    let envelope = postal_hooks::Envelope::parse(&body).unwrap();
    assert_eq!(envelope.uuid(), uuid);
    let queued = envelope.timestamp().to_system_time().unwrap();
    assert!(
        std::time::SystemTime::now()
            .duration_since(queued)
            .unwrap()
            .as_secs()
            < 60
    );
    // The payload's own timestamps are Postal's, untouched.
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("\"timestamp\":1714053600.482913")
    );
    // Keys in another order (sorted by a tool): the payload's timestamp is left alone, and
    // so is the envelope's, rather than rewriting the wrong one.
    let sorted =
        br#"{"event":"MessageSent","payload":{"timestamp":1.5},"timestamp":2.5,"uuid":"u-1"}"#;
    let (body, _) = testing::fresh(sorted);
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains(r#""payload":{"timestamp":1.5},"timestamp":2.5,"#),
        "{text}"
    );
}
