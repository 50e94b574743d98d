//! `Envelope::parse` against a plain `serde_json::from_slice` into hand-written structs with
//! the same fields (what a team would write by hand), on the MessageSent and MessageBounced
//! bodies. Goal: `Envelope::parse` within 1.15x.
//!
//! Run: `cargo bench -p postal-hooks --bench parse`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use postal_hooks::Envelope;
use serde::Deserialize;

const MESSAGE_SENT: &[u8] = include_bytes!("../samples/MessageSent.json");
const MESSAGE_BOUNCED: &[u8] = include_bytes!("../samples/MessageBounced.json");

/// The hand-written baseline: one struct per shape, strings where we have enums.
#[allow(dead_code)] // fields exist to be deserialized, as in a hand-written receiver
mod hand {
    use super::Deserialize;

    #[derive(Deserialize)]
    pub struct Envelope<P> {
        pub event: String,
        pub timestamp: f64,
        pub payload: P,
        pub uuid: String,
    }

    #[derive(Deserialize)]
    pub struct Message {
        pub id: u64,
        pub token: String,
        pub direction: String,
        pub message_id: Option<String>,
        pub to: Option<String>,
        pub from: Option<String>,
        pub subject: Option<String>,
        pub timestamp: f64,
        pub spam_status: String,
        pub tag: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Delivery {
        pub message: Message,
        pub status: String,
        pub details: Option<String>,
        pub output: String,
        pub sent_with_ssl: Option<bool>,
        pub timestamp: f64,
        pub time: Option<f64>,
    }

    #[derive(Deserialize)]
    pub struct Bounced {
        pub original_message: Message,
        pub bounce: Message,
    }
}

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
