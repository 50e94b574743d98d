//! The explicit registration path: closures on the builder, isolated from the registry.

mod common;

use std::sync::{Arc, Mutex};

use postal_hooks::events::{MessageBounced, MessageSent};
use postal_hooks::{BuildProblem, Dispatcher, Event, HandlerKind, Outcome};

type Log = Arc<Mutex<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

#[tokio::test]
async fn sync_and_async_closures_run_in_order_after_specific_before_catch_all() {
    let log = Log::default();
    let (a, b, c, d, e) = (
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
        log.clone(),
    );
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on_any(move |event: &Event| push(&a, format!("any {}", event.name())))
        .on(move |sent: &MessageSent| push(&b, format!("sent {}", sent.message.id)))
        .on_async(move |sent: &MessageSent| {
            let c = c.clone();
            let id = sent.message.id;
            async move {
                tokio::task::yield_now().await;
                push(&c, format!("sent async {id}"));
                Err::<(), _>("async closure failed")
            }
        })
        .on_any_async(move |event: &Event| {
            let d = d.clone();
            let event = event.clone();
            async move { push(&d, format!("any async {}", event.name())) }
        })
        .on(move |bounce: &MessageBounced| push(&e, format!("bounce {}", bounce.bounce.id)))
        .build()
        .unwrap();

    let report = dispatcher
        .dispatch(&common::payload("MessageSent.json"))
        .await
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "sent 48213",
            "sent async 48213",
            "any MessageSent",
            "any async MessageSent"
        ]
    );
    assert_eq!(report.http_status(), 500);
    let outcomes: Vec<_> = report
        .runs()
        .iter()
        .map(|run| run.outcome().clone())
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Ok,
            Outcome::Error("async closure failed".into()),
            Outcome::Ok,
            Outcome::Ok
        ]
    );
    for run in report.runs() {
        let handler = run.handler();
        assert_eq!(handler.kind(), HandlerKind::Closure);
        assert!(
            handler.name().starts_with("closures::"),
            "{}",
            handler.name()
        );
        assert_eq!(handler.location().file, "tests/tests/closures.rs");
        // The closure's type path is its name; there is no separate module path.
        assert_eq!(handler.location().module_path, "");
        assert_eq!(handler.path(), handler.name());
    }
}

#[test]
fn a_closure_returning_a_result_reports_its_error_chain() {
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageSent| -> Result<(), std::io::Error> {
            Err(std::io::Error::other("connection refused"))
        })
        .build()
        .unwrap();
    let report = dispatcher
        .dispatch_blocking(&common::payload("MessageSent.json"))
        .unwrap();
    assert_eq!(
        report.runs()[0].outcome(),
        &Outcome::Error("connection refused".into())
    );
    assert!(report.runs()[0].outcome().is_failure());
}

#[test]
fn a_panicking_closure_is_caught() {
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageSent| -> () { panic!("closure panic {}", 42) })
        .on_any(|_: &Event| ())
        .build()
        .unwrap();
    let report = dispatcher
        .dispatch_blocking(&common::payload("MessageSent.json"))
        .unwrap();
    assert_eq!(
        report.runs()[0].outcome(),
        &Outcome::Panic("closure panic 42".into())
    );
    assert_eq!(report.runs()[1].outcome(), &Outcome::Ok);
    assert_eq!(report.http_status(), 500);
}

#[test]
fn no_handlers_is_an_error_unless_allowed() {
    let error = Dispatcher::builder()
        .without_registered_handlers()
        .build()
        .unwrap_err();
    assert_eq!(error.problems(), [BuildProblem::NoHandlers]);
    assert!(
        error.to_string().contains("use my_handlers as _;"),
        "{error}"
    );

    let empty = Dispatcher::builder()
        .without_registered_handlers()
        .allow_no_handlers()
        .build()
        .unwrap();
    let report = empty
        .dispatch_blocking(&common::payload("MessageLoaded.json"))
        .unwrap();
    assert!(report.is_unhandled() && report.is_success());
    assert_eq!(report.http_status(), 200);
    assert_eq!(
        report.to_string(),
        "MessageLoaded 9b1d3f5a-7c2e-4a6b-8d0f-1e3a5c7b9d2f: no handler registered for this event (acknowledged)"
    );
}

#[test]
fn an_event_with_no_matching_handler_is_acknowledged() {
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageBounced| ())
        .build()
        .unwrap();
    let report = dispatcher
        .dispatch_blocking(&common::payload("DomainDNSError.json"))
        .unwrap();
    assert!(report.is_unhandled());
    assert_eq!(report.http_status(), 200);
}
