//! Property tests: arbitrary and mutated bodies and headers never panic the receiver, and
//! every outcome is a typed error or a report with a status Postal understands.

use std::sync::OnceLock;

use postal_hooks::testing::{SAMPLES, Signer};
use postal_hooks::{Dispatcher, Envelope, Event, Receiver, Reply, Verifier};
use proptest::prelude::*;

/// Receivers that dispatch to a catch-all closure: one verifying, one insecure (so that
/// arbitrary bodies reach the parser and the dispatcher).
fn receivers() -> &'static (Receiver, Receiver, Signer) {
    static RECEIVERS: OnceLock<(Receiver, Receiver, Signer)> = OnceLock::new();
    RECEIVERS.get_or_init(|| {
        let dispatcher = || {
            Dispatcher::builder()
                .without_registered_handlers()
                .on_any(|event: &Event| {
                    let _ = event.name();
                })
                .build()
                .unwrap()
        };
        let signer = Signer::test_key();
        (
            Receiver::new(dispatcher(), signer.verifier().allow_sha1(true))
                .with_replay_window(None),
            Receiver::new(dispatcher(), Verifier::insecure_accept_unsigned())
                .with_replay_window(None),
            signer,
        )
    })
}

/// Either a report (the request was dispatched) or a typed error, never both, and a status
/// from the documented set.
fn check(reply: &Reply) {
    assert!(
        reply.report().is_some() != reply.error().is_some(),
        "{reply:?}"
    );
    assert!(
        [200, 400, 401, 405, 409, 413, 415, 500, 503].contains(&reply.status().as_u16()),
        "{reply:?}"
    );
    if let Some(error) = reply.error() {
        assert_eq!(error.http_status(), reply.status());
        assert!(!error.to_string().is_empty());
    }
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Content-Type".to_owned()),
        Just("X-Postal-Signature".to_owned()),
        Just("X-Postal-Signature-256".to_owned()),
        Just("x-postal-signature-kid".to_owned()),
        "[A-Za-z-]{1,20}",
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"application/json".to_vec()),
        "[A-Za-z0-9+/=]{0,400}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]
}

/// Up to eight edits: a few bytes replaced, inserted or removed, or the input cut short.
fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 0..8)
}

fn mutate(mut bytes: Vec<u8>, edits: Vec<(usize, u8, u8)>) -> Vec<u8> {
    for (at, byte, kind) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at % bytes.len();
        match kind {
            0 => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            2 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

/// A sample body with a few bytes replaced, inserted or removed, or cut short.
fn mutated_sample() -> impl Strategy<Value = Vec<u8>> {
    (0..SAMPLES.len(), edits())
        .prop_map(|(sample, edits)| mutate(SAMPLES[sample].1.to_vec(), edits))
}

/// A sample's `payload` alone, with its event name, then mutated like a body.
fn mutated_payload() -> impl Strategy<Value = (String, Vec<u8>)> {
    (0..SAMPLES.len(), edits()).prop_map(|(sample, edits)| {
        let (name, body) = SAMPLES[sample];
        let envelope: serde_json::Value = serde_json::from_slice(body).unwrap();
        let payload = serde_json::to_vec(&envelope["payload"]).unwrap();
        (name.to_owned(), mutate(payload, edits))
    })
}

/// Well-formed JSON in roughly the envelope's shape, with arbitrary leaves: reaches the
/// typed payload parsers' deeper paths.
fn json_envelope() -> impl Strategy<Value = Vec<u8>> {
    (event_name(), json_value(), any::<f64>(), "[a-f0-9-]{0,36}").prop_map(|(name, payload, timestamp, uuid)| {
        let timestamp = if timestamp.is_finite() { timestamp } else { 0.0 };
        serde_json::to_vec(&serde_json::json!({"event": name, "timestamp": timestamp, "payload": payload, "uuid": uuid}))
            .unwrap()
    })
}

/// A known event name or any short word.
fn event_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(Event::KNOWN_NAMES.to_vec()).prop_map(str::to_owned),
        "[A-Za-z]{0,12}",
    ]
}

/// JSON of any shape, with keys that Postal's payloads use among others.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-zA-Z0-9 <>&]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("message".to_owned()),
                    Just("id".to_owned()),
                    Just("status".to_owned()),
                    Just("server".to_owned()),
                    Just("timestamp".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bodies_and_headers(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        headers in proptest::collection::vec((header_name(), header_value()), 0..6),
        method in prop_oneof![Just("POST".to_owned()), Just("GET".to_owned()), "[A-Z]{1,7}"],
    ) {
        let (secure, insecure, _) = receivers();
        check(&secure.receive_request_blocking(&method, &headers, &body));
        check(&insecure.receive_request_blocking(&method, &headers, &body));
    }

    #[test]
    fn mutated_real_bodies_with_valid_signatures(body in mutated_sample()) {
        let (secure, insecure, signer) = receivers();
        // Signed after mutating: verification passes and the parser sees the damage.
        let headers = signer.sign_sha256(&body).headers();
        let reply = secure.receive_blocking(&headers, &body);
        check(&reply);
        prop_assert!(reply.status() != 401, "{reply:?}");
        check(&insecure.receive_blocking(&[("content-type", "application/json")], &body));
        let _ = Envelope::parse(&body);
    }

    #[test]
    fn mutated_signature_headers_on_a_real_body(
        sample in 0..SAMPLES.len(),
        signature in "[A-Za-z0-9+/=]{0,400}",
        kid in prop_oneof!["[a-f0-9]{64}", "[ -~]{0,80}"],
        which in 0u8..3,
    ) {
        let (secure, _, signer) = receivers();
        let body = SAMPLES[sample].1;
        let mut headers = signer.sign_sha256(body).headers();
        let name = ["X-Postal-Signature-256", "X-Postal-Signature", "X-Postal-Signature-Kid"][usize::from(which)];
        headers.retain(|(existing, _)| *existing != name);
        headers.push((name, if which == 2 { kid } else { signature }));
        let reply = secure.receive_blocking(&headers, body);
        check(&reply);
    }

    #[test]
    fn well_formed_json_of_any_shape(body in json_envelope()) {
        let (_, insecure, _) = receivers();
        check(&insecure.receive_blocking(&[("Content-Type", "application/json")], &body));
        if let Ok(envelope) = Envelope::parse(&body) {
            // Whatever parsed serializes again.
            prop_assert!(serde_json::to_vec(&envelope).is_ok());
        }
    }

    /// `Event::from_payload`, the payload-only entry point, on its own: a typed event or a
    /// located error, never a panic; a payload that is JSON is always accepted for a name
    /// Postal does not define (kept raw as `Event::Unknown`).
    #[test]
    fn payloads_alone_by_event_name(
        (name, payload) in prop_oneof![
            mutated_payload(),
            (event_name(), json_value()).prop_map(|(name, value)| (name, serde_json::to_vec(&value).unwrap())),
            (event_name(), proptest::collection::vec(any::<u8>(), 0..512)),
        ],
    ) {
        let is_json = serde_json::from_slice::<Box<serde_json::value::RawValue>>(&payload).is_ok();
        match Event::from_payload(&name, &payload) {
            Ok(event) => prop_assert_eq!(event.name(), name.as_str()),
            Err(error) => {
                prop_assert!(!error.to_string().is_empty());
                prop_assert!(
                    Event::KNOWN_NAMES.contains(&name.as_str()) || !is_json,
                    "JSON payload refused for unknown event {name:?}: {error}"
                );
            }
        }
    }
}
