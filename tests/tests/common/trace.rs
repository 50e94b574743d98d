//! A `tracing` subscriber that keeps every span and event as text, for tests that check
//! what is logged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span and event as text: `span name field=value …` and
/// `event LEVEL in=outer>inner field=value …`, where `in` is the stack of entered spans.
#[derive(Default)]
pub struct Recorder {
    lines: Mutex<Vec<String>>,
    names: Mutex<HashMap<u64, &'static str>>,
    entered: Mutex<Vec<u64>>,
    next_id: AtomicU64,
}

impl Recorder {
    pub fn leak() -> &'static Recorder {
        Box::leak(Box::default())
    }

    pub fn text(&self) -> String {
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
