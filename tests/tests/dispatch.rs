//! Link-time registered handlers, dispatched with Postal's exact bodies.
//!
//! Every test uses its own envelope uuid and reads back only the records for it, because
//! the registry (and so every handler here) is shared by all tests of this binary.

mod common;

use common::{payload_with_uuid, record, records};
use postal_hooks::events::{
    Delivery, DomainDNSError, Message, MessageBounced, MessageDelayed, MessageDeliveryFailed,
    MessageHeld, MessageLinkClicked, MessageLoaded, MessageSent, SendLimit, SendLimitApproaching,
    SendLimitExceeded,
};
use postal_hooks::{Dispatcher, Event, HandlerKind, Meta, Outcome, on_event};

// Links the crate of handlers declared elsewhere (`tests/src/lib.rs`): without a reference,
// its handlers would silently not be part of this binary.
use postal_hooks_tests as _;

// One handler per event type, sync and async mixed, each recording what it saw.

#[on_event(MessageSent)]
fn on_sent(sent: &MessageSent, meta: &Meta) {
    record(
        meta,
        "on_sent",
        format!("{} {} {:?}", sent.message.id, sent.status, sent.time),
    );
}

#[on_event(MessageDelayed)]
async fn on_delayed(delayed: &MessageDelayed, meta: &Meta) {
    tokio::task::yield_now().await;
    record(
        meta,
        "on_delayed",
        format!("{} {}", delayed.message.id, delayed.output),
    );
}

#[on_event(MessageDeliveryFailed)]
fn on_failed(failed: &MessageDeliveryFailed, meta: &Meta) -> Result<(), std::io::Error> {
    record(meta, "on_failed", failed.output.clone());
    Ok(())
}

#[on_event(MessageHeld)]
async fn on_held(held: &MessageHeld, meta: &Meta) {
    record(
        meta,
        "on_held",
        format!("{:?} {:?} {:?}", held.sent_with_ssl, held.time, held.output),
    );
}

#[on_event(MessageBounced)]
async fn on_bounced(bounce: &MessageBounced, meta: &Meta) -> Result<(), String> {
    record(
        meta,
        "on_bounced",
        format!("{:?} {:?}", bounce.original_message.to, bounce.bounce.from),
    );
    Ok(())
}

#[on_event(MessageLinkClicked)]
fn on_clicked(click: &MessageLinkClicked, meta: &Meta) {
    record(meta, "on_clicked", click.url.clone());
}

#[on_event(MessageLoaded)]
fn on_loaded(open: &MessageLoaded, meta: &Meta) {
    record(meta, "on_loaded", open.ip_address.clone());
}

#[on_event(DomainDNSError)]
fn on_dns(dns: &DomainDNSError, meta: &Meta) {
    record(
        meta,
        "on_dns",
        format!("{} {} {}", dns.domain, dns.dkim_status, dns.mx_status),
    );
}

#[on_event(SendLimitApproaching)]
fn on_approaching(limit: &SendLimitApproaching, meta: &Meta) {
    record(
        meta,
        "on_approaching",
        format!("{}/{:?}", limit.volume, limit.limit),
    );
}

#[on_event(SendLimitExceeded)]
async fn on_exceeded(limit: &SendLimitExceeded, meta: &Meta) {
    record(
        meta,
        "on_exceeded",
        format!("{}/{:?}", limit.volume, limit.limit),
    );
}

// Several events with a shared payload type, and a second handler for the same events.

#[on_event(MessageSent, MessageDelayed, MessageDeliveryFailed, MessageHeld)]
fn any_delivery(delivery: &Delivery, meta: &Meta) {
    record(meta, "any_delivery", delivery.status.to_string());
}

#[on_event(SendLimitApproaching, SendLimitExceeded)]
fn any_limit(limit: &SendLimit, meta: &Meta) {
    record(meta, "any_limit", limit.server.name.clone());
}

#[on_event(MessageLinkClicked, MessageLoaded)]
fn tracked_message(message: &Message, meta: &Meta) {
    record(meta, "tracked_message", message.token.clone());
}

#[on_event(MessageBounced, MessageLoaded)]
fn as_event(event: &Event, meta: &Meta) {
    record(meta, "as_event", event.name());
}

// Catch-all: every event, unknown ones included.

#[on_event(*)]
async fn catch_all(event: &Event, meta: &Meta) {
    record(meta, "catch_all", event.name());
}

// Handlers that fail or panic, only for uuids that ask for it.

#[on_event(MessageSent)]
fn fails_on_request(_sent: &MessageSent, meta: &Meta) -> Result<(), std::io::Error> {
    if meta.uuid().is_some_and(|uuid| uuid.starts_with("fail-")) {
        return Err(std::io::Error::other("the CRM is down"));
    }
    Ok(())
}

#[on_event(MessageSent)]
fn panics_on_request(_sent: &MessageSent, meta: &Meta) {
    if meta
        .uuid()
        .is_some_and(|uuid| uuid.starts_with("panic-sync-"))
    {
        panic!("sync handler blew up");
    }
}

#[on_event(MessageSent)]
async fn panics_on_request_async(_sent: &MessageSent, meta: &Meta) {
    tokio::task::yield_now().await;
    if meta
        .uuid()
        .is_some_and(|uuid| uuid.starts_with("panic-async-"))
    {
        panic!("async handler blew up after an await");
    }
}

// Below the handlers, so their `file:line` (checked below) stays put.
mod dispatch_expectations;
use dispatch_expectations::expectations;

fn dispatcher() -> Dispatcher {
    Dispatcher::builder()
        .build()
        .expect("every handler here needs no state")
}

#[tokio::test]
async fn each_event_reaches_its_handler_with_the_right_value() {
    let dispatcher = dispatcher();
    for (relative, uuid, handler, expected) in expectations() {
        let report = dispatcher
            .dispatch(&payload_with_uuid(relative, uuid))
            .await
            .unwrap();
        assert!(report.is_success(), "{relative}: {report}");
        assert_eq!(report.http_status(), 200);
        assert_eq!(report.uuid(), Some(uuid));
        let seen: Vec<_> = records(uuid)
            .into_iter()
            .filter(|(name, _)| *name == handler)
            .collect();
        assert_eq!(seen, vec![(handler, expected.to_owned())], "{relative}");
    }
}

#[tokio::test]
async fn held_event_runs_its_handlers() {
    let report = dispatcher()
        .dispatch(&payload_with_uuid("MessageHeld.json", "t-held"))
        .await
        .unwrap();
    let names: Vec<_> = report
        .runs()
        .iter()
        .map(|run| run.handler().name())
        .collect();
    assert_eq!(names, ["any_delivery", "on_held", "catch_all"]);
    assert_eq!(
        records("t-held"),
        [
            ("any_delivery", "Held".into()),
            ("on_held", r#"None None """#.into()),
            ("catch_all", "MessageHeld".into())
        ]
    );
}

#[tokio::test]
async fn several_handlers_run_in_the_documented_order() {
    let report = dispatcher()
        .dispatch(&payload_with_uuid("MessageSent.json", "t-order"))
        .await
        .unwrap();
    // Specific handlers sorted by module path then name, then catch-all ones.
    let names: Vec<_> = report
        .runs()
        .iter()
        .map(|run| run.handler().name())
        .collect();
    assert_eq!(
        names,
        [
            "any_delivery",
            "fails_on_request",
            "on_sent",
            "panics_on_request",
            "panics_on_request_async",
            "catch_all"
        ]
    );
    let recorded: Vec<_> = records("t-order")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(recorded, ["any_delivery", "on_sent", "catch_all"]);
    for run in report.runs() {
        assert_eq!(run.outcome(), &Outcome::Ok);
        assert!(
            run.handler().location().file.ends_with("dispatch.rs"),
            "{}",
            run.handler()
        );
    }
}

#[tokio::test]
async fn shared_payload_types_and_event_reach_multi_event_handlers() {
    let dispatcher = dispatcher();
    dispatcher
        .dispatch(&payload_with_uuid("SendLimitExceeded.json", "t-limit"))
        .await
        .unwrap();
    assert!(records("t-limit").contains(&("any_limit", "Acme Transactional".into())));

    dispatcher
        .dispatch(&payload_with_uuid("MessageLoaded.json", "t-tracked"))
        .await
        .unwrap();
    let seen = records("t-tracked");
    assert!(
        seen.contains(&("tracked_message", "Xq8vT2mLp0aZ3kNc".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("as_event", "MessageLoaded".into())),
        "{seen:?}"
    );
}

#[tokio::test]
async fn catch_all_receives_unknown_events_and_the_report_says_what_ran() {
    let body = br#"{"event":"MessageArchived","timestamp":1714053601.5,"payload":{"id":1},"uuid":"t-unknown"}"#;
    let report = dispatcher().dispatch(body).await.unwrap();
    assert_eq!(report.event(), "MessageArchived");
    assert_eq!(
        records("t-unknown"),
        [("catch_all", "MessageArchived".into())]
    );
    assert_eq!(report.runs().len(), 1);
    assert!(!report.is_unhandled());
}

#[tokio::test]
async fn a_failing_and_a_panicking_handler_do_not_stop_the_others() {
    let dispatcher = dispatcher();
    for (uuid, failing, outcome) in [
        (
            "fail-1",
            "fails_on_request",
            Outcome::Error("the CRM is down".into()),
        ),
        (
            "panic-sync-1",
            "panics_on_request",
            Outcome::Panic("sync handler blew up".into()),
        ),
        (
            "panic-async-1",
            "panics_on_request_async",
            Outcome::Panic("async handler blew up after an await".into()),
        ),
    ] {
        let report = dispatcher
            .dispatch(&payload_with_uuid("MessageSent.json", uuid))
            .await
            .unwrap();
        assert!(!report.is_success(), "{uuid}");
        assert_eq!(report.http_status(), 500, "{uuid}: Postal must retry");
        let failures: Vec<_> = report
            .failures()
            .map(|run| (run.handler().name(), run.outcome().clone()))
            .collect();
        assert_eq!(failures, [(failing, outcome)], "{uuid}");
        // Every other handler still ran, the ones before and after the failing one.
        assert_eq!(report.runs().len(), 6, "{uuid}");
        let recorded: Vec<_> = records(uuid).into_iter().map(|(name, _)| name).collect();
        assert_eq!(recorded, ["any_delivery", "on_sent", "catch_all"], "{uuid}");
        let text = report.to_string();
        assert!(
            text.contains(failing) && text.contains("1 failed"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn handlers_declared_in_a_second_crate_are_found() {
    let dispatcher = dispatcher();
    let listed: Vec<_> = dispatcher.handlers().map(|h| h.path()).collect();
    assert!(
        listed.contains(&"postal_hooks_tests::record_open".to_owned()),
        "{listed:?}"
    );
    let report = dispatcher
        .dispatch(&payload_with_uuid("MessageLoaded.json", "t-second-crate"))
        .await
        .unwrap();
    assert!(
        report
            .runs()
            .iter()
            .any(|run| run.handler().name() == "record_open")
    );
    assert_eq!(postal_hooks_tests::opens_seen("t-second-crate"), 1);
}

#[test]
fn handlers_lists_every_registered_handler_with_its_location() {
    let dispatcher = dispatcher();
    let count = dispatcher.handlers().len();
    assert_eq!(
        count,
        19,
        "{:#?}",
        dispatcher
            .handlers()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let on_sent = dispatcher
        .handlers()
        .find(|h| h.name() == "on_sent")
        .unwrap();
    assert_eq!(on_sent.path(), "dispatch::on_sent");
    assert_eq!(on_sent.kind(), HandlerKind::Sync);
    assert_eq!(on_sent.events().to_string(), "MessageSent");
    // The line of its `#[on_event]` attribute, the path as rustc was given it.
    assert!(
        on_sent
            .to_string()
            .starts_with("tests/tests/dispatch.rs:22 "),
        "{on_sent}"
    );
    assert!(
        on_sent
            .to_string()
            .ends_with(" dispatch::on_sent [MessageSent]"),
        "{on_sent}"
    );
    let catch_all = dispatcher
        .handlers()
        .find(|h| h.name() == "catch_all")
        .unwrap();
    assert!(catch_all.is_catch_all());
    assert_eq!(catch_all.kind(), HandlerKind::Async);
}

#[test]
fn dispatch_blocking_needs_no_runtime() {
    let report = dispatcher()
        .dispatch_blocking(&payload_with_uuid("MessageBounced.json", "t-blocking"))
        .unwrap();
    assert!(report.is_success(), "{report}");
    let recorded: Vec<_> = records("t-blocking")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(recorded, ["as_event", "on_bounced", "catch_all"]);
}

#[test]
fn dispatch_works_on_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let body = payload_with_uuid("MessageDelayed.json", "t-current-thread");
    let report = runtime.block_on(dispatcher().dispatch(&body)).unwrap();
    assert!(report.is_success(), "{report}");
    assert!(
        records("t-current-thread")
            .iter()
            .any(|(name, _)| *name == "on_delayed")
    );
}

#[test]
fn dispatch_works_from_tasks_on_a_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let dispatcher = dispatcher();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let dispatcher = dispatcher.clone();
                tokio::spawn(async move {
                    let body = payload_with_uuid("MessageBounced.json", &format!("t-spawned-{i}"));
                    dispatcher.dispatch(&body).await.unwrap().http_status()
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 200);
        }
    });
    for i in 0..8 {
        assert_eq!(records(&format!("t-spawned-{i}")).len(), 3);
    }
}

#[tokio::test]
async fn payload_only_dispatch_has_no_uuid() {
    let value: serde_json::Value =
        serde_json::from_slice(&common::payload("MessageLoaded.json")).unwrap();
    let payload = serde_json::to_vec(&value["payload"]).unwrap();
    let report = dispatcher()
        .dispatch_payload("MessageLoaded", &payload)
        .await
        .unwrap();
    assert_eq!(report.uuid(), None);
    assert_eq!(report.event(), "MessageLoaded");
    let names: Vec<_> = report
        .runs()
        .iter()
        .map(|run| run.handler().name())
        .collect();
    assert_eq!(
        names,
        [
            "as_event",
            "on_loaded",
            "tracked_message",
            "record_open",
            "catch_all"
        ]
    );
}

#[tokio::test]
async fn a_body_that_does_not_parse_runs_nothing() {
    let error = dispatcher()
        .dispatch(b"<html>oops</html>")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), postal_hooks::ParseErrorKind::NotJson);
}

#[tokio::test]
async fn the_default_dispatcher_is_built_once_and_used_by_dispatch() {
    let first = postal_hooks::default_dispatcher().unwrap();
    let second = postal_hooks::default_dispatcher().unwrap();
    assert!(std::ptr::eq(first, second));
    let report = postal_hooks::dispatch(&payload_with_uuid("MessageSent.json", "t-default"))
        .await
        .unwrap();
    assert!(report.is_success());
    assert!(
        records("t-default")
            .iter()
            .any(|(name, _)| *name == "on_sent")
    );
    let error = postal_hooks::dispatch(b"").await.unwrap_err();
    assert_eq!(error.http_status(), 400);
}

/// This binary names `postal_hooks_tests` (`use postal_hooks_tests as _;` above), so the
/// crate is linked and `expect_crate` passes; `linked_crates.rs` shows the opposite.
#[test]
fn a_named_handler_crate_is_linked_and_passes_expect_crate() {
    let dispatcher = Dispatcher::builder()
        .expect_crate("postal-hooks-tests")
        .only("postal_hooks_tests::record_open")
        .build()
        .unwrap();
    let kept: Vec<String> = dispatcher.handlers().map(|h| h.path()).collect();
    assert_eq!(kept, ["postal_hooks_tests::record_open"]);
}
