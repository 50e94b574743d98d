//! The whole receive path (headers and body in, status out: limits, content type, header
//! lookup, base64, RSA-2048 SHA-256 verify, parse, dispatch to one trivial handler) for the
//! MessageSent body, beside a bare call of aws-lc-rs's verify on the same bytes with a key
//! parsed once. Goal: receive within 1.2x of the bare verify.
//!
//! Measured twice: without an idempotency store (what a hand-written receiver does), and
//! with the default in-memory store, each request a new uuid (so every request claims,
//! runs, records and releases; a repeated uuid would measure the cheaper "already done"
//! answer instead).
//!
//! With the `inspector` feature, a third receiver keeps every answer in an inspector's ring
//! (the inspector mounted), measured paired against the same receiver without one: the
//! issue-13 budget is at most 5 %.
//!
//! Criterion's figures come first; then, since this machine's speed may drift between two
//! criterion measurements, the ratios measured paired (alternating batches).
//!
//! Run: `cargo bench -p postal-hooks --features testing,inspector --bench receive`

// Benchmark setup: a fixture that does not parse must stop the run, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::cell::Cell;
use std::hint::black_box;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY};
use base64::Engine;
use common::{MESSAGE_SENT, ready};
use criterion::{Criterion, criterion_group};
use postal_hooks::dedupe::MemoryStore;
use postal_hooks::events::MessageSent;
use postal_hooks::testing::{self, Signer};
use postal_hooks::{Dispatcher, DispatcherBuilder, Receiver, StatusCode};

/// Distinct signed bodies cycled through with the in-memory store, which keeps fewer, so
/// every request carries a uuid the store has forgotten.
const SIGNED: usize = 256;

type Headers = Vec<(&'static str, String)>;

struct Fixture {
    /// Postal's MessageSent as queued now (inside the receivers' replay window).
    body: Vec<u8>,
    headers: Headers,
    plain: Receiver,
    deduplicating: Receiver,
    /// `deduplicating`'s twin, with an inspector attached.
    #[cfg(feature = "inspector")]
    inspected: Receiver,
    signed: Vec<(Vec<u8>, Headers)>,
    next: Cell<usize>,
    key: ParsedPublicKey,
    raw_signature: Vec<u8>,
}

impl Fixture {
    fn new() -> Self {
        let signer = Signer::test_key();
        // Postal's sample as queued now: inside the receivers' replay window.
        let (body, fresh_uuid) = testing::fresh(MESSAGE_SENT);
        let signature = signer.sign_sha256(&body);
        let with_handler = |builder: DispatcherBuilder| {
            builder
                .without_registered_handlers()
                .on(|sent: &MessageSent| {
                    black_box(sent.message.id);
                })
                .build()
                .unwrap()
        };
        let plain = Receiver::new(
            with_handler(Dispatcher::builder().without_dedupe()),
            signer.verifier(),
        );
        let store = MemoryStore::new().with_max_entries(SIGNED / 4);
        let deduplicating = Receiver::new(
            with_handler(Dispatcher::builder().idempotency_store(store)),
            signer.verifier(),
        );
        #[cfg(feature = "inspector")]
        let inspected = {
            let store = MemoryStore::new().with_max_entries(SIGNED / 4);
            let inspector = postal_hooks::inspect::Inspector::builder("bench-token-0123456789")
                .build()
                .unwrap();
            Receiver::new(
                with_handler(Dispatcher::builder().idempotency_store(store)),
                signer.verifier(),
            )
            .with_inspector(&inspector)
        };
        let text = String::from_utf8_lossy(&body).into_owned();
        let signed = (0..SIGNED)
            .map(|i| {
                let uuid = format!("0b6e3a8c-2f41-4d7a-8e55-{i:012}");
                let body = text.replace(&fresh_uuid, &uuid).into_bytes();
                let headers = signer.sign_sha256(&body).headers();
                (body, headers)
            })
            .collect();

        // The bare library call: key parsed once, signature decoded once.
        let (_, spki) = pem_rfc7468::decode_vec(testing::TEST_PUBLIC_KEY_PEM.as_bytes()).unwrap();
        let key =
            ParsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, spki).unwrap();
        let raw_signature = base64::engine::general_purpose::STANDARD
            .decode(&signature.sha256)
            .unwrap();
        let fixture = Fixture {
            body,
            headers: signature.headers(),
            plain,
            deduplicating,
            #[cfg(feature = "inspector")]
            inspected,
            signed,
            next: Cell::new(0),
            key,
            raw_signature,
        };
        assert_eq!(fixture.receive(), 200);
        assert_eq!(fixture.receive_new_uuid(), 200);
        assert!(fixture.verify());
        fixture
    }

    fn receive(&self) -> StatusCode {
        ready(
            self.plain
                .receive(black_box(&self.headers), black_box(&self.body)),
        )
        .status()
    }

    fn receive_new_uuid(&self) -> StatusCode {
        self.receive_new_uuid_with(&self.deduplicating)
    }

    fn receive_new_uuid_with(&self, receiver: &Receiver) -> StatusCode {
        self.next.set((self.next.get() + 1) % SIGNED);
        let (body, headers) = &self.signed[self.next.get()];
        let reply = ready(receiver.receive(black_box(headers), black_box(body)));
        assert!(
            reply
                .report()
                .is_some_and(|report| report.runs().len() == 1)
        );
        reply.status()
    }

    fn verify(&self) -> bool {
        self.key
            .verify_sig(black_box(&self.body), black_box(&self.raw_signature))
            .is_ok()
    }
}

fn receive(c: &mut Criterion) {
    let fixture = Fixture::new();
    let mut group = c.benchmark_group("receive/MessageSent/RSA-2048");
    group.bench_function("Receiver::receive", |b| b.iter(|| fixture.receive()));
    group.bench_function(
        "Receiver::receive + in-memory dedupe, new uuid each call",
        |b| b.iter(|| fixture.receive_new_uuid()),
    );
    #[cfg(feature = "inspector")]
    group.bench_function(
        "Receiver::receive + in-memory dedupe + inspector mounted, new uuid each call",
        |b| b.iter(|| fixture.receive_new_uuid_with(&fixture.inspected)),
    );
    group.bench_function("aws-lc-rs verify_sig", |b| b.iter(|| fixture.verify()));
    group.finish();
}

criterion_group!(benches, receive);

fn main() {
    benches();
    if common::measuring() {
        let fixture = Fixture::new();
        common::paired_ratio(
            "receive/MessageSent/RSA-2048: Receiver::receive / aws-lc-rs verify_sig",
            20,
            || {
                black_box(fixture.receive());
            },
            || {
                black_box(fixture.verify());
            },
        );
        common::paired_ratio(
            "receive/MessageSent/RSA-2048: receive + in-memory dedupe (new uuid) / verify_sig",
            20,
            || {
                black_box(fixture.receive_new_uuid());
            },
            || {
                black_box(fixture.verify());
            },
        );
        #[cfg(feature = "inspector")]
        common::paired_ratio(
            "receive/MessageSent/RSA-2048: with the inspector mounted / without (both dedupe, new uuid)",
            20,
            || {
                black_box(fixture.receive_new_uuid_with(&fixture.inspected));
            },
            || {
                black_box(fixture.receive_new_uuid());
            },
        );
    }
    Criterion::default().configure_from_args().final_summary();
}
