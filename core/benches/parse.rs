//! `Envelope::parse` against a plain `serde_json::from_slice` into hand-written structs with
//! the same fields (what a team would write by hand), on the MessageSent and MessageBounced
//! bodies. Goal: `Envelope::parse` within 1.15x.
//!
//! Run: `cargo bench -p postal-hooks --bench parse`

// Benchmark setup: a fixture that does not parse must stop the run, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

mod common;

use common::{MESSAGE_BOUNCED, MESSAGE_SENT, hand};
use criterion::{Criterion, criterion_group, criterion_main};
use postal_hooks::Envelope;

fn parse(c: &mut Criterion) {
    // Both sides must accept the bodies, or the comparison means nothing.
    assert!(Envelope::parse(MESSAGE_SENT).is_ok() && Envelope::parse(MESSAGE_BOUNCED).is_ok());
    assert!(serde_json::from_slice::<hand::Envelope<hand::Delivery>>(MESSAGE_SENT).is_ok());
    assert!(serde_json::from_slice::<hand::Envelope<hand::Bounced>>(MESSAGE_BOUNCED).is_ok());

    let mut group = c.benchmark_group("parse/MessageSent");
    group.bench_function("Envelope::parse", |b| {
        b.iter(|| Envelope::parse(black_box(MESSAGE_SENT)))
    });
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| serde_json::from_slice::<hand::Envelope<hand::Delivery>>(black_box(MESSAGE_SENT)))
    });
    group.finish();

    let mut group = c.benchmark_group("parse/MessageBounced");
    group.bench_function("Envelope::parse", |b| {
        b.iter(|| Envelope::parse(black_box(MESSAGE_BOUNCED)))
    });
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| {
            serde_json::from_slice::<hand::Envelope<hand::Bounced>>(black_box(MESSAGE_BOUNCED))
        })
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
