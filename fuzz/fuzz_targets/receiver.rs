//! The whole receiver: method, headers and body in, a reply out, never a panic, and a
//! status Postal understands. Half the inputs go to a receiver that accepts unsigned
//! requests, so the fuzzer reaches parsing and dispatch without forging RSA signatures.
//!
//! Input: a byte choosing the receiver and method, header lines (`name:value`, separated by
//! `\n`), a NUL byte, then the body.
#![no_main]

mod request;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Event, Receiver, Verifier};

fn receiver(verifier: Verifier) -> Receiver {
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on_any(|event: &Event| {
            let _ = event.name();
        })
        .build()
        .expect("one handler, no state");
    Receiver::new(dispatcher, verifier).with_max_body_bytes(64 * 1024)
}

static SIGNED: LazyLock<Receiver> = LazyLock::new(|| receiver(Signer::test_key().verifier()));
static UNSIGNED: LazyLock<Receiver> =
    LazyLock::new(|| receiver(Verifier::insecure_accept_unsigned()));

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (mut headers, body) = request::split(rest);
    if pick & 2 == 0 {
        headers.push(("Content-Type".into(), b"application/json".to_vec()));
    }
    let receiver = if pick & 1 == 0 { &*UNSIGNED } else { &*SIGNED };
    let method = if pick & 4 == 0 { "POST" } else { "PUT" };
    let reply = receiver.receive_request_blocking(method, &headers, body);
    let status = reply.status().as_u16();
    assert!(
        [200, 400, 401, 405, 409, 413, 415, 500, 503].contains(&status),
        "unexpected status {status}: {}",
        reply.body()
    );
    assert_eq!(reply.is_success(), status == 200);
});
