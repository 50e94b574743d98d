//! The dispatcher emits a span per dispatch (event, uuid) and per handler, runs every handler
//! (sync or async) inside its span, logs failures, and never logs payload contents.

mod common;

use postal_hooks::events::MessageBounced;
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};

use common::trace::Recorder;

const HANDLER_SPAN: &str = "in=postal_hooks.dispatch>postal_hooks.handler";

#[test]
fn spans_name_the_event_uuid_and_handler_but_not_the_payload() {
    let recorder = Recorder::leak();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageBounced| -> Result<(), String> {
            Err("suppression list unavailable".into())
        })
        .build()
        .unwrap();
    let body = common::payload("MessageBounced.json");
    tracing::subscriber::with_default(recorder, || {
        dispatcher.dispatch_blocking(&body).unwrap();
    });
    let lines = recorder.text();
    assert!(
        lines.contains(
            r#"span postal_hooks.dispatch event="MessageBounced" uuid="7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73" handlers=1"#
        ),
        "{lines}"
    );
    assert!(
        lines.contains("span postal_hooks.handler handler=\"tracing_spans::"),
        "{lines}"
    );
    assert!(
        lines.contains(&format!(
            "event WARN {HANDLER_SPAN} message=handler failed error=suppression list unavailable"
        )),
        "{lines}"
    );
    for secret in [
        "jane.doe@example.net",
        "Xq8vT2mLp0aZ3kNc",
        "Your receipt",
        "kxwqzt",
    ] {
        assert!(
            !lines.contains(secret),
            "payload content {secret:?} was logged:\n{lines}"
        );
    }
}

/// What a handler logs is attributed to its handler span, whether it is sync or async, and
/// whichever way it is dispatched.
fn mixed_dispatcher() -> Dispatcher {
    Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageBounced| tracing::info!("sync handler speaking"))
        .on_async(|_: &MessageBounced| async {
            tracing::info!("async handler before await");
            tokio::task::yield_now().await;
            tracing::info!("async handler after await");
        })
        .build()
        .unwrap()
}

fn assert_inside_handler_spans(lines: &str) {
    for said in [
        "sync handler speaking",
        "async handler before await",
        "async handler after await",
    ] {
        assert!(
            lines.contains(&format!("event INFO {HANDLER_SPAN} message={said}")),
            "{said:?} was not logged inside its handler span:\n{lines}"
        );
    }
}

#[test]
fn sync_and_async_handlers_log_inside_their_span_when_dispatched_blocking() {
    let recorder = Recorder::leak();
    let dispatcher = mixed_dispatcher();
    let body = common::payload("MessageBounced.json");
    tracing::subscriber::with_default(recorder, || {
        let report = dispatcher.dispatch_blocking(&body).unwrap();
        assert_eq!(report.runs().len(), 2);
    });
    assert_inside_handler_spans(&recorder.text());
}

#[test]
fn sync_and_async_handlers_log_inside_their_span_on_a_tokio_runtime() {
    let recorder = Recorder::leak();
    let dispatcher = mixed_dispatcher();
    let body = common::payload("MessageBounced.json");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    tracing::subscriber::with_default(recorder, || {
        let report = runtime.block_on(dispatcher.dispatch(&body)).unwrap();
        assert!(report.is_success());
    });
    assert_inside_handler_spans(&recorder.text());
}

#[test]
fn a_refused_body_is_logged_by_where_it_fails_not_by_its_values() {
    let recorder = Recorder::leak();
    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on_any(|_: &postal_hooks::Event| {})
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, signer.verifier()).with_replay_window(None);
    // A well-signed body whose numeric message id holds an address instead: serde's message
    // quotes the value it rejected.
    let body = String::from_utf8(common::payload("MessageSent.json"))
        .unwrap()
        .replace(r#""id":48213"#, r#""id":"jane.doe@example.net""#);
    let reply = tracing::subscriber::with_default(recorder, || {
        receiver.receive_blocking(&signer.sign(body.as_bytes()).headers(), body.as_bytes())
    });
    assert_eq!(reply.status(), 400);
    // The error itself (answered to Postal, which sent the value) names it...
    assert!(
        reply.body().contains("jane.doe@example.net"),
        "{}",
        reply.body()
    );
    let lines = recorder.text();
    // ...but the log says only what kind of error, and where.
    assert!(
        lines.contains("refusal=\"bad_request\" stored=\"-\" detail=invalid body: Data at payload.message.id, line 1 column "),
        "{lines}"
    );
    assert!(
        !lines.contains("jane.doe@example.net"),
        "a payload value was logged:\n{lines}"
    );
}
