//! The dispatcher emits a span per dispatch (event, uuid) and per handler, logs failures,
//! and never logs payload contents.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use postal_hooks::Dispatcher;
use postal_hooks::events::MessageBounced;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span and event as text: `name field=value …`.
#[derive(Default)]
struct Recorder {
    lines: Mutex<Vec<String>>,
    next_id: AtomicU64,
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
        let mut fields = Fields(format!("span {}", span.metadata().name()));
        span.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(format!("event {}", event.metadata().level()));
        event.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn spans_name_the_event_uuid_and_handler_but_not_the_payload() {
    let recorder: &'static Recorder = Box::leak(Box::default());
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
    let lines = recorder.lines.lock().unwrap().join("\n");
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
        lines.contains("event WARN message=handler failed error=suppression list unavailable"),
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
