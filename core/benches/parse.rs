//! `Envelope::parse` against a plain `serde_json::from_slice` into hand-written structs with
//! the same fields (what a team would write by hand), on the MessageSent and MessageBounced
//! bodies. Goal: `Envelope::parse` within 1.15x.
//!
//! Criterion's figures come first; then, since this machine's speed may drift between two
//! criterion measurements, the ratio measured paired (alternating batches).
//!
//! Run: `cargo bench -p postal-hooks --bench parse`

// Benchmark setup: a fixture that does not parse must stop the run, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;

mod common;

use common::{MESSAGE_BOUNCED, MESSAGE_SENT, hand};
use criterion::{Criterion, criterion_group};
use postal_hooks::Envelope;

fn ours(body: &[u8]) -> bool {
    Envelope::parse(black_box(body)).is_ok()
}

fn hand_sent(body: &[u8]) -> bool {
    serde_json::from_slice::<hand::Envelope<hand::Delivery>>(black_box(body)).is_ok()
}

fn hand_bounced(body: &[u8]) -> bool {
    serde_json::from_slice::<hand::Envelope<hand::Bounced>>(black_box(body)).is_ok()
}

fn parse(c: &mut Criterion) {
    // Both sides must accept the bodies, or the comparison means nothing.
    assert!(ours(MESSAGE_SENT) && ours(MESSAGE_BOUNCED));
    assert!(hand_sent(MESSAGE_SENT) && hand_bounced(MESSAGE_BOUNCED));

    let mut group = c.benchmark_group("parse/MessageSent");
    group.bench_function("Envelope::parse", |b| b.iter(|| ours(MESSAGE_SENT)));
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| hand_sent(MESSAGE_SENT))
    });
    group.finish();

    let mut group = c.benchmark_group("parse/MessageBounced");
    group.bench_function("Envelope::parse", |b| b.iter(|| ours(MESSAGE_BOUNCED)));
    group.bench_function("hand-written serde_json", |b| {
        b.iter(|| hand_bounced(MESSAGE_BOUNCED))
    });
    group.finish();
}

criterion_group!(benches, parse);

fn main() {
    benches();
    if common::measuring() {
        common::paired_ratio(
            "parse/MessageSent: Envelope::parse / hand-written",
            200,
            || {
                black_box(ours(MESSAGE_SENT));
            },
            || {
                black_box(hand_sent(MESSAGE_SENT));
            },
        );
        common::paired_ratio(
            "parse/MessageBounced: Envelope::parse / hand-written",
            200,
            || {
                black_box(ours(MESSAGE_BOUNCED));
            },
            || {
                black_box(hand_bounced(MESSAGE_BOUNCED));
            },
        );
    }
    Criterion::default().configure_from_args().final_summary();
}
