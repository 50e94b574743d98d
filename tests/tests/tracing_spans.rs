//! The dispatcher emits a span per dispatch (event, uuid) and per handler, runs every handler
//! (sync or async) inside its span, logs failures, and never logs payload contents.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use postal_hooks::events::MessageBounced;
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span and event as text: `span name field=value …` and
/// `event LEVEL in=outer>inner field=value …`, where `in` is the stack of entered spans.
#[derive(Default)]
struct Recorder {
    lines: Mutex<Vec<String>>,
    names: Mutex<HashMap<u64, &'static str>>,
    entered: Mutex<Vec<u64>>,
    next_id: AtomicU64,
}

impl Recorder {
    fn leak() -> &'static Recorder {
        Box::leak(Box::default())
    }

    fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl Subscriber for &'static Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
        self.names
            .lock()
            .unwrap()
            .insert(id, span.metadata().name());
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let names = self.names.lock().unwrap();
        let stack: Vec<&str> = self
            .entered
            .lock()
            .unwrap()
            .iter()
            .map(|id| names[id])
            .collect();
        let mut fields = Fields(format!(
            "event {} in={}",
            event.metadata().level(),
            stack.join(">")
        ));
        event.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
    }

    fn enter(&self, id: &Id) {
        self.entered.lock().unwrap().push(id.into_u64());
    }

    fn exit(&self, id: &Id) {
        let mut entered = self.entered.lock().unwrap();
        let top = entered.pop();
        assert_eq!(top, Some(id.into_u64()), "spans exited out of order");
    }
}

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
        .on_async(|_: MessageBounced| async {
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
    let receiver = Receiver::new(dispatcher, signer.verifier());
    // A well-signed body whose numeric message id holds an address instead: serde's message
    // quotes the value it rejected.
    let body = String::from_utf8(common::payload("MessageSent.json"))
        .unwrap()
        .replace(r#""id":48213"#, r#""id":"jane.doe@example.net""#);
    let reply = tracing::subscriber::with_default(recorder, || {
        receiver.receive_blocking(
            "POST",
            &signer.sign(body.as_bytes()).headers(),
            body.as_bytes(),
        )
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
        lines.contains(
            "message=postal webhook refused: invalid body status=400 kind=Data path=\"payload.message.id\" line=1 column="
        ),
        "{lines}"
    );
    assert!(
        !lines.contains("jane.doe@example.net"),
        "a payload value was logged:\n{lines}"
    );
}
