//! `Dispatcher::dispatch` of the MessageSent body to one trivial handler, against the
//! hand-written `serde_json` parse of the same body (the parse benchmark's baseline).
//! Goal: dispatch within 1.25x.
//!
//! Run: `cargo bench -p postal-hooks --bench dispatch`

// Benchmark setup: a fixture that does not parse must stop the run, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

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

fn dispatch(c: &mut Criterion) {
    let dispatcher = Dispatcher::builder()
        .build()
        .expect("one handler, no state");
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
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| serde_json::from_slice::<hand::Envelope<hand::Delivery>>(black_box(MESSAGE_SENT)))
    });
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
