//! `Dispatcher::dispatch` of the MessageSent body to one trivial handler, against the
//! hand-written `serde_json` parse of the same body (the parse benchmark's baseline).
//! Goal: dispatch within 1.25x. Measured without deduplication (the dispatcher itself), and
//! with the default in-memory idempotency store, each call a new uuid (claim, record,
//! release; old uuids evicted as in a long run).
//!
//! Criterion's figures come first; then, since this machine's speed may drift between two
//! criterion measurements, the ratios measured paired (alternating batches).
//!
//! Run: `cargo bench -p postal-hooks --bench dispatch`

// Benchmark setup: a fixture that does not parse must stop the run, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::hint::black_box;

use common::{MESSAGE_SENT, hand, ready};
use criterion::{Criterion, criterion_group};
use postal_hooks::events::MessageSent;
use postal_hooks::{Dispatcher, on_event};

#[on_event(MessageSent)]
fn trivial(sent: &MessageSent) {
    black_box(sent.message.id);
}

/// Distinct uuids cycled through by the deduplicating benchmark: more than the store keeps,
/// so every call claims a uuid it has never seen (or has forgotten).
const UUIDS: usize = 150_000;

struct Fixture {
    plain: Dispatcher,
    deduplicating: Dispatcher,
    bodies: Vec<Vec<u8>>,
    next: usize,
}

impl Fixture {
    fn new() -> Self {
        let plain = Dispatcher::builder()
            .without_dedupe()
            .build()
            .expect("one handler, no state");
        let deduplicating = Dispatcher::builder()
            .build()
            .expect("one handler, no state");
        let text = String::from_utf8_lossy(MESSAGE_SENT).into_owned();
        let bodies = (0..UUIDS)
            .map(|i| {
                let uuid = format!("0b6e3a8c-2f41-4d7a-8e55-{i:012}");
                text.replace("0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20", &uuid)
                    .into_bytes()
            })
            .collect();
        let report = ready(plain.dispatch(MESSAGE_SENT)).expect("the body parses");
        assert_eq!(report.runs().len(), 1, "the trivial handler must run");
        assert!(hand_parse(MESSAGE_SENT));
        Fixture {
            plain,
            deduplicating,
            bodies,
            next: 0,
        }
    }

    fn dispatch(&self) -> bool {
        ready(self.plain.dispatch(black_box(MESSAGE_SENT))).is_ok()
    }

    fn dispatch_new_uuid(&mut self) -> bool {
        self.next = (self.next + 1) % UUIDS;
        let report = ready(
            self.deduplicating
                .dispatch(black_box(&self.bodies[self.next])),
        );
        report.is_ok_and(|report| report.is_success())
    }
}

fn hand_parse(body: &[u8]) -> bool {
    serde_json::from_slice::<hand::Envelope<hand::Delivery>>(black_box(body)).is_ok()
}

fn dispatch(c: &mut Criterion) {
    let mut fixture = Fixture::new();
    let mut group = c.benchmark_group("dispatch/MessageSent");
    group.bench_function("Dispatcher::dispatch", |b| b.iter(|| fixture.dispatch()));
    group.bench_function("Dispatcher::dispatch_blocking", |b| {
        b.iter(|| fixture.plain.dispatch_blocking(black_box(MESSAGE_SENT)))
    });
    group.bench_function(
        "Dispatcher::dispatch + in-memory dedupe, new uuid each call",
        |b| b.iter(|| fixture.dispatch_new_uuid()),
    );
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| hand_parse(MESSAGE_SENT))
    });
    group.finish();
}

criterion_group!(benches, dispatch);

fn main() {
    benches();
    if common::measuring() {
        let mut fixture = Fixture::new();
        common::paired_ratio(
            "dispatch/MessageSent: Dispatcher::dispatch / hand-written parse",
            200,
            || {
                black_box(fixture.dispatch());
            },
            || {
                black_box(hand_parse(MESSAGE_SENT));
            },
        );
        common::paired_ratio(
            "dispatch/MessageSent: dispatch + in-memory dedupe (new uuid) / hand-written parse",
            200,
            || {
                black_box(fixture.dispatch_new_uuid());
            },
            || {
                black_box(hand_parse(MESSAGE_SENT));
            },
        );
    }
    Criterion::default().configure_from_args().final_summary();
}
