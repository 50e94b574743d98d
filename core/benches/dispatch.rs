//! `Dispatcher::dispatch` of the MessageSent body to one trivial handler, against the
//! hand-written `serde_json` parse of the same body (the parse benchmark's baseline).
//! Goal: dispatch within 1.25x. Measured without deduplication (the dispatcher itself), and
//! with the default in-memory idempotency store, each call a new uuid (claim, record,
//! release; old uuids evicted as in a long run).
//!
//! Run: `cargo bench -p postal-hooks --bench dispatch`

// Benchmark setup: a fixture that does not parse must stop the run, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::hint::black_box;

use common::{MESSAGE_SENT, hand, ready};
use criterion::{Criterion, criterion_group, criterion_main};
use postal_hooks::events::MessageSent;
use postal_hooks::{Dispatcher, on_event};

#[on_event(MessageSent)]
fn trivial(sent: &MessageSent) {
    black_box(sent.message.id);
}

/// Distinct uuids cycled through by the deduplicating benchmark: more than the store keeps,
/// so every call claims a uuid it has never seen (or has forgotten).
const UUIDS: usize = 150_000;

fn dispatch(c: &mut Criterion) {
    let dispatcher = Dispatcher::builder()
        .without_dedupe()
        .build()
        .expect("one handler, no state");
    let deduplicating = Dispatcher::builder()
        .build()
        .expect("one handler, no state");
    let text = String::from_utf8_lossy(MESSAGE_SENT).into_owned();
    let bodies: Vec<Vec<u8>> = (0..UUIDS)
        .map(|i| {
            let uuid = format!("0b6e3a8c-2f41-4d7a-8e55-{i:012}");
            text.replace("0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20", &uuid)
                .into_bytes()
        })
        .collect();
    let mut next = 0;
    let report = ready(dispatcher.dispatch(MESSAGE_SENT)).expect("the body parses");
    assert_eq!(report.runs().len(), 1, "the trivial handler must run");
    assert!(serde_json::from_slice::<hand::Envelope<hand::Delivery>>(MESSAGE_SENT).is_ok());

    let mut group = c.benchmark_group("dispatch/MessageSent");
    group.bench_function("Dispatcher::dispatch", |b| {
        b.iter(|| ready(dispatcher.dispatch(black_box(MESSAGE_SENT))))
    });
    group.bench_function("Dispatcher::dispatch_blocking", |b| {
        b.iter(|| dispatcher.dispatch_blocking(black_box(MESSAGE_SENT)))
    });
    group.bench_function(
        "Dispatcher::dispatch + in-memory dedupe, new uuid each call",
        |b| {
            b.iter(|| {
                next = (next + 1) % UUIDS;
                ready(deduplicating.dispatch(black_box(&bodies[next])))
            })
        },
    );
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| serde_json::from_slice::<hand::Envelope<hand::Delivery>>(black_box(MESSAGE_SENT)))
    });
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
