//! The framework-agnostic receiver: headers and raw body in, status out; the blocking form;
//! the order of the checks; nothing dispatched before verification.

mod common;

use common::counting_receiver;

use std::sync::atomic::Ordering;

use postal_hooks::testing::{SAMPLES, Signer, sample};
use postal_hooks::{ReceiveError, Verifier, VerifyError};

#[test]
fn every_sample_is_received_blocking_with_2048_and_1024_bit_keys() {
    for signer in [Signer::test_key(), Signer::test_key_1024()] {
        let (receiver, runs) = counting_receiver(signer.verifier());
        for (name, body) in SAMPLES {
            let reply = receiver.receive_blocking(&signer.sign(body).headers(), body);
            assert_eq!(reply.status(), 200, "{name}: {}", reply.body());
            assert!(reply.is_success());
            assert_eq!(reply.report().unwrap().event(), name);
            assert!(reply.error().is_none());
        }
        assert_eq!(runs.load(Ordering::SeqCst), SAMPLES.len());
    }
}

#[tokio::test]
async fn http_header_maps_work_as_they_come() {
    let signer = Signer::test_key();
    let (receiver, _) = counting_receiver(signer.verifier());
    let body = sample("MessageLinkClicked").unwrap();
    let mut map = http::HeaderMap::new();
    for (name, value) in signer.sign(body).headers() {
        map.insert(name, value.parse().unwrap());
    }
    assert_eq!(receiver.receive(&map, body).await.status(), 200);
}

#[test]
fn checks_run_in_order_and_nothing_runs_before_verification() {
    let signer = Signer::test_key();
    let (receiver, runs) = counting_receiver(signer.verifier());
    let receiver = receiver.with_max_body_bytes(100);
    let body = sample("MessageSent").unwrap();
    // Too large and unsigned: the size is checked first (cheapest), and no RSA work is done.
    let reply = receiver.receive_blocking(&[("content-type", "application/json")], body);
    assert_eq!(reply.status(), 413);
    assert!(matches!(
        reply.error(),
        Some(ReceiveError::PayloadTooLarge {
            limit: 100,
            length: Some(635)
        })
    ));
    // Wrong method beats everything.
    assert_eq!(
        receiver
            .receive_request_blocking("DELETE", &[("content-type", "text/html")], body)
            .status(),
        405
    );
    let (receiver, _) = counting_receiver(signer.verifier());
    // No content type at all.
    let reply = receiver.receive_blocking(&signer.sign(body).headers()[2..].to_vec(), body);
    assert_eq!(reply.status(), 415);
    assert_eq!(
        reply.body(),
        "missing Content-Type: Postal sends application/json"
    );
    // Verification refuses before parsing: a signed-by-someone-else body never parses.
    let reply = receiver.receive_blocking(&Signer::test_key_1024().sign(body).headers(), body);
    assert!(matches!(
        reply.error(),
        Some(ReceiveError::Unauthorized(VerifyError::UnknownKid { .. }))
    ));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[test]
fn check_before_body_refuses_a_declared_oversize_body_before_reading_it() {
    let (receiver, _) = counting_receiver(Signer::test_key().verifier());
    let json = [("Content-Type", "application/json")];
    assert!(
        receiver
            .check_before_body("POST", &json, Some(1024))
            .is_ok()
    );
    let error = receiver
        .check_before_body("POST", &json, Some(2 * 1024 * 1024))
        .unwrap_err();
    assert_eq!(error.http_status(), 413);
    assert_eq!(
        error.to_string(),
        "body of 2097152 bytes is over the limit of 1048576 bytes"
    );
    assert_eq!(
        receiver.max_body_bytes(),
        postal_hooks::DEFAULT_MAX_BODY_BYTES
    );
}

#[test]
fn an_insecure_verifier_accepts_unsigned_bodies_for_local_development() {
    let (receiver, runs) = counting_receiver(Verifier::insecure_accept_unsigned());
    let reply = receiver.receive_blocking(
        &[("Content-Type", "application/json")],
        sample("MessageLoaded").unwrap(),
    );
    assert_eq!(reply.status(), 200);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn verify_and_parse_gives_the_envelope_without_dispatching() {
    let signer = Signer::test_key();
    let (receiver, runs) = counting_receiver(signer.verifier());
    let body = sample("DomainDNSError").unwrap();
    let envelope = receiver
        .verify_and_parse(&signer.sign(body).headers(), body)
        .unwrap();
    assert_eq!(envelope.event().name(), "DomainDNSError");
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[test]
fn config_reads_the_key_inline_or_from_a_file() {
    use postal_hooks::config::{Config, ConfigError};
    let pem_path = format!(
        "{}/../core/samples/keys/rsa1024/test_signing.pub.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let file_key = format!("@{pem_path}");
    let config = Config::from_lookup(|name| match name {
        "POSTAL_PUBLIC_KEY" => Some(file_key.clone()),
        "POSTAL_HOOKS_ADDR" => Some("127.0.0.1:0".into()),
        "POSTAL_ALLOW_SHA1" => Some("1".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.addr.port(), 0);
    assert!(config.verifier.allows_sha1());
    assert_eq!(config.verifier.keys()[0].bits(), 1024);

    let jwks = postal_hooks::testing::TEST_JWKS.to_owned();
    let config =
        Config::from_lookup(|name| (name == "POSTAL_PUBLIC_KEY").then(|| jwks.clone())).unwrap();
    assert_eq!(config.verifier.keys()[0].kid(), Signer::test_key().kid());

    let error = Config::from_lookup(|name| {
        (name == "POSTAL_PUBLIC_KEY").then(|| "@/nonexistent/key.pem".into())
    })
    .unwrap_err();
    assert!(matches!(error, ConfigError::KeyFile { .. }), "{error}");
    let error = Config::from_lookup(|name| match name {
        "POSTAL_PUBLIC_KEY" => Some(postal_hooks::testing::TEST_DNS_RECORD.into()),
        "POSTAL_HOOKS_ADDR" => Some("localhost".into()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "POSTAL_HOOKS_ADDR=\"localhost\" is not an address like 127.0.0.1:3000"
    );
    let error = Config::from_lookup(|_| None).unwrap_err();
    assert!(
        error.to_string().contains("/.well-known/jwks.json"),
        "{error}"
    );
}
