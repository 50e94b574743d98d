//! Shared state: handlers take `State<T>`; a missing state is a `build()` error that names
//! the handler and the type, never a failure at request time.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use postal_hooks::events::{MessageBounced, MessageSent};
use postal_hooks::{BuildProblem, Dispatcher, Meta, State, on_event};

/// Stands in for a database pool.
#[derive(Default)]
struct Suppressions(Mutex<Vec<String>>);

/// Stands in for a metrics client.
#[derive(Default)]
struct Counter {
    hits: AtomicUsize,
}

#[on_event(MessageBounced)]
async fn suppress(
    bounce: &MessageBounced,
    State(list): State<Suppressions>,
    meta: &Meta,
) -> Result<(), String> {
    let address = bounce
        .original_message
        .to
        .clone()
        .ok_or("bounce without recipient")?;
    list.0
        .lock()
        .map_err(|e| e.to_string())?
        .push(format!("{} {address}", meta.uuid().unwrap_or_default()));
    Ok(())
}

#[on_event(MessageSent, MessageBounced)]
fn count(_event: &postal_hooks::Event, counter: State<Counter>) {
    counter.hits.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn state_is_injected_into_handlers() {
    let suppressions = std::sync::Arc::new(Suppressions::default());
    let counter = std::sync::Arc::new(Counter::default());
    let dispatcher = Dispatcher::builder()
        .state_arc(suppressions.clone())
        .state_arc(counter.clone())
        .build()
        .unwrap();
    let body = common::payload_with_uuid("MessageBounced.json", "s-1");
    let report = dispatcher.dispatch_blocking(&body).unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(
        *suppressions.0.lock().unwrap(),
        ["s-1 jane.doe@example.net"]
    );
    dispatcher
        .dispatch_blocking(&common::payload("MessageSent.json"))
        .unwrap();
    assert_eq!(
        counter.hits.load(Ordering::SeqCst),
        2,
        "one bounce and one sent"
    );
}

#[test]
fn missing_state_fails_at_build_naming_handler_and_type() {
    let error = Dispatcher::builder()
        .state(Counter::default())
        .build()
        .unwrap_err();
    let [BuildProblem::MissingState { handler, type_name }] = error.problems() else {
        panic!("expected one missing state: {error}");
    };
    assert_eq!(handler.path(), "state::suppress");
    assert_eq!(*type_name, "state::Suppressions");
    let message = error.to_string();
    assert!(
        message.starts_with("cannot build the postal-hooks dispatcher: handler `state::suppress` at tests/tests/state.rs:"),
        "{message}"
    );
    assert!(
        message.ends_with("takes `State<state::Suppressions>`, but no `state::Suppressions` was given: add `.state(value)` to the builder"),
        "{message}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let error = Dispatcher::builder()
        .state(1_u8)
        .state(2_u8)
        .build()
        .unwrap_err();
    let problems = error.problems();
    assert_eq!(problems.len(), 3, "{error}");
    assert!(problems.contains(&BuildProblem::DuplicateState { type_name: "u8" }));
    let missing: Vec<_> = problems
        .iter()
        .filter_map(|p| match p {
            BuildProblem::MissingState { type_name, .. } => Some(*type_name),
            _ => None,
        })
        .collect();
    assert_eq!(missing, ["state::Counter", "state::Suppressions"]);
    assert!(error.to_string().contains("(3 problems):\n  - "), "{error}");
}

#[test]
fn isolated_dispatchers_ignore_the_registry() {
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_sent: &MessageSent| ())
        .build()
        .expect("the registered handlers' state is not needed");
    assert_eq!(dispatcher.handlers().len(), 1);
}

#[test]
fn the_default_dispatcher_reports_the_missing_state() {
    let error = postal_hooks::default_dispatcher().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no `state::Suppressions` was given"),
        "{error}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let body = common::payload("MessageSent.json");
    let error = runtime.block_on(postal_hooks::dispatch(&body)).unwrap_err();
    assert!(matches!(error, postal_hooks::DispatchError::Setup(_)));
    assert_eq!(error.http_status(), 500);
}
