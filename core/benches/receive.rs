//! The whole receive path (headers and body in, status out: limits, content type, header
//! lookup, base64, RSA-2048 SHA-256 verify, parse, dispatch to one trivial handler) for the
//! MessageSent body, beside a bare call of aws-lc-rs's verify on the same bytes with a key
//! parsed once. Goal: receive within 1.2x of the bare verify.
//!
//! Run: `cargo bench -p postal-hooks --features testing --bench receive`

// Benchmark setup: a fixture that does not parse must stop the run, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::hint::black_box;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY};
use base64::Engine;
use common::{MESSAGE_SENT, ready};
use criterion::{Criterion, criterion_group, criterion_main};
use postal_hooks::events::MessageSent;
use postal_hooks::testing::{self, Signer};
use postal_hooks::{Dispatcher, Receiver};

fn receive(c: &mut Criterion) {
    let signer = Signer::test_key();
    let signature = signer.sign(MESSAGE_SENT);
    let headers = signature.headers();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|sent: &MessageSent| {
            black_box(sent.message.id);
        })
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, signer.verifier());
    assert_eq!(
        ready(receiver.receive(&headers, MESSAGE_SENT)).status(),
        200
    );

    // The bare library call: key parsed once, signature decoded once.
    let pem = testing::TEST_PUBLIC_KEY_PEM;
    let (_, spki) = pem_rfc7468::decode_vec(pem.as_bytes()).unwrap();
    let key = ParsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, spki).unwrap();
    let raw_signature = base64::engine::general_purpose::STANDARD
        .decode(&signature.sha256)
        .unwrap();
    assert!(key.verify_sig(MESSAGE_SENT, &raw_signature).is_ok());

    let mut group = c.benchmark_group("receive/MessageSent/RSA-2048");
    group.bench_function("Receiver::receive", |b| {
        b.iter(|| ready(receiver.receive(black_box(&headers), black_box(MESSAGE_SENT))).status())
    });
    group.bench_function("aws-lc-rs verify_sig", |b| {
        b.iter(|| key.verify_sig(black_box(MESSAGE_SENT), black_box(&raw_signature)))
    });
    group.finish();
}

criterion_group!(benches, receive);
criterion_main!(benches);
