//! Hostile and odd input found in the field (issue 11), each kind pinned with the sample
//! that showed it and a sibling case: envelope ids that would break deduplication or logs,
//! keys in the forms people really have, and the hints a refusal gives.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use postal_hooks::testing::{Signer, sample};
use postal_hooks::{Dispatcher, Receiver, Verifier};

/// `body` (a sample) with its envelope uuid replaced by `uuid`.
fn with_uuid(body: &[u8], uuid: &str) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let at = text.rfind(r#""uuid":""#).unwrap() + r#""uuid":""#.len();
    let end = at + text[at..].find('"').unwrap();
    format!("{}{}{}", &text[..at], uuid, &text[end..]).into_bytes()
}

/// A receiver for the test key whose one catch-all handler counts its runs.
fn counting_receiver() -> (Receiver, Arc<AtomicUsize>) {
    common::counting_receiver(Signer::test_key().verifier())
}

#[test]
fn envelope_uuids_that_would_break_dedupe_or_logs_are_refused_with_400() {
    let (receiver, ran) = counting_receiver();
    let signer = Signer::test_key();
    let huge = "a".repeat(500 * 1024);
    let cases = [
        // The samples: three different events sharing an empty uuid, and a 500 KB one.
        ("MessageSent", "", "uuid: empty uuid"),
        ("MessageBounced", "", "uuid: empty uuid"),
        ("MessageHeld", "", "uuid: empty uuid"),
        ("MessageSent", huge.as_str(), "uuid: uuid of 512000 bytes"),
        // Siblings: a log-line injection and a uuid with a space.
        (
            "MessageSent",
            r"abc\ninjected",
            "uuid: uuid has '\\n' at byte 3",
        ),
        (
            "MessageDelayed",
            "5f3c2b1a 9d8e",
            "uuid: uuid has ' ' at byte 8",
        ),
    ];
    for (event, uuid, says) in cases {
        let body = with_uuid(sample(event).unwrap(), uuid);
        let reply = receiver.receive_blocking(&signer.sign(&body).headers(), &body);
        assert_eq!(reply.status(), 400, "{event} {says}: {}", reply.body());
        assert!(
            reply
                .body()
                .starts_with(&format!("invalid webhook body: {says}: ")),
            "{}",
            reply.body()
        );
        assert!(
            reply
                .body()
                .contains("Postal sends a lowercase hyphenated UUID")
        );
        assert!(reply.body().len() < 300, "the uuid is never quoted back");
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "no handler ran");
    // What Postal really sends, and the ids test tools use, pass.
    for uuid in ["5f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9", "t-sent"] {
        let body = with_uuid(sample("MessageSent").unwrap(), uuid);
        let reply = receiver.receive_blocking(&signer.sign(&body).headers(), &body);
        assert_eq!(reply.status(), 200, "{uuid}: {}", reply.body());
    }
    assert_eq!(ran.load(Ordering::SeqCst), 2);
}

/// The test public key's PEM re-wrapped at `width` columns with `newline`.
fn public_pem_rewrapped(width: usize, newline: &str) -> String {
    let body: String = postal_hooks::testing::TEST_PUBLIC_KEY_PEM
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(width)
        .map(|chunk| String::from_utf8(chunk.to_vec()).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----{newline}{}{newline}-----END PUBLIC KEY-----",
        lines.join(newline)
    )
}

#[test]
fn keys_in_the_forms_people_have_are_read_or_say_what_to_change() {
    let kid = Signer::test_key().kid().to_owned();
    // The sample: a PEM re-wrapped at 76 columns (Python's `base64.encodebytes`). Siblings:
    // CRLF line endings, and one long line.
    for (width, newline) in [(76, "\n"), (76, "\r\n"), (392, "\n")] {
        let verifier = Verifier::from_key_text(&public_pem_rewrapped(width, newline))
            .unwrap_or_else(|error| panic!("{width} {newline:?}: {error}"));
        assert_eq!(verifier.keys()[0].kid(), kid);
    }
    // Sibling: text before the block, which OpenSSL skips (a note, `openssl ... -text`).
    let noted = format!(
        "Postal's key, copied from the DNS record:\n{}",
        public_pem_rewrapped(76, "\n")
    );
    assert_eq!(
        Verifier::from_key_text(&noted).unwrap().keys()[0].kid(),
        kid
    );
    // Sibling: a value cut at its first line (some `.env` loaders keep only that) says what
    // is wrong with the PEM, not that no key is configured.
    let first_line = Verifier::from_key_text("-----BEGIN PUBLIC KEY-----").unwrap_err();
    assert!(
        first_line
            .to_string()
            .starts_with("invalid PEM public key: "),
        "{first_line}"
    );
    let pem = postal_hooks::testing::TEST_PUBLIC_KEY_PEM.trim();
    for (mangled, says) in [
        (pem.replace('\n', " "), "its line breaks became spaces"),
        (
            pem.replace('\n', "\\n"),
            "literal `\\n` where its line breaks belong",
        ),
    ] {
        let error = Verifier::from_key_text(&mangled).unwrap_err().to_string();
        assert!(error.starts_with("invalid PEM public key: "), "{error}");
        assert!(error.contains(says), "{error}");
        assert!(
            error.contains("POSTAL_PUBLIC_KEY=@path/to/key.pem"),
            "{error}"
        );
    }
}

#[test]
fn keys_too_large_to_verify_with_are_refused_at_startup() {
    use base64::Engine;
    // The sample: a JWKS key over 8192 bits. Sibling: exactly 8192 bits is still accepted.
    for (bits, accepted) in [(8200, false), (16384, false), (8192, true)] {
        let mut n = vec![0xffu8; bits / 8];
        n[0] = 0x80;
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&n);
        let jwks = format!(r#"{{"keys":[{{"kty":"RSA","n":"{n}","e":"AQAB"}}]}}"#);
        match Verifier::from_key_text(&jwks) {
            Ok(_) => assert!(accepted, "{bits} bits"),
            Err(error) => {
                assert!(!accepted, "{bits} bits: {error}");
                assert_eq!(error, postal_hooks::KeyError::TooLarge { bits });
                assert!(
                    error
                        .to_string()
                        .contains("keys over 8192 bits are refused")
                );
            }
        }
    }
}

#[test]
fn a_re_encoded_body_gets_a_hint_naming_the_encoder() {
    let signer = Signer::test_key();
    let verifier = signer.verifier();
    let body = sample("MessageSent").unwrap();
    let headers = signer.sign(body).headers();
    let text = String::from_utf8(body.to_vec()).unwrap();
    // The sample: Python's `json.dumps` (spaces after `:` and `,`, non-ASCII escaped).
    // Siblings: only the separators; a non-ASCII escape alone; PHP's `\/`.
    let dumps = text.replace("\":", "\": ").replace(",\"", ", \"");
    let cases = [
        (dumps.clone(), "Python's `json.dumps`"),
        (text.replacen("\":\"", "\": \"", 1), "no space"),
        (
            text.replacen("\"subject\":\"", "\"subject\":\"caf\\u00e9 ", 1),
            "`\\u00e9`",
        ),
        (
            text.replacen("\"subject\":\"", "\"subject\":\"a\\/b ", 1),
            "PHP's `json_encode`",
        ),
    ];
    for (re_encoded, says) in cases {
        let error = verifier
            .verify(&headers, re_encoded.as_bytes())
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains(says), "{says}: {message}");
        assert!(
            message.contains("verify the raw request bytes"),
            "{message}"
        );
    }
    // The original verifies, and a one-byte change with no sign of re-encoding gets no hint.
    assert!(verifier.verify(&headers, body).is_ok());
    let changed = text.replacen("48213", "48214", 1);
    let message = verifier
        .verify(&headers, changed.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(!message.contains("re-encoded"), "{message}");
}

#[test]
fn a_sha1_only_refusal_names_the_setting_an_operator_can_change() {
    let signer = Signer::test_key();
    let config = postal_hooks::config::Config::from_lookup(|name| match name {
        "POSTAL_PUBLIC_KEY" => Some(postal_hooks::testing::TEST_PUBLIC_KEY_PEM.to_owned()),
        _ => None,
    })
    .unwrap();
    let body = sample("MessageSent").unwrap();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .allow_no_handlers()
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, config.verifier).with_replay_window(None);
    let reply = receiver.receive_blocking(&signer.sign(body).legacy_headers(), body);
    assert_eq!(reply.status(), 401);
    assert!(
        reply.body().contains("POSTAL_ALLOW_SHA1=1"),
        "{}",
        reply.body()
    );
    // Sibling: a Postal 3.2+ request whose SHA-256 header a proxy dropped, KID kept.
    let mut headers = signer.sign(body).headers();
    headers.retain(|(name, _)| *name != "X-Postal-Signature-256");
    let reply = receiver.receive_blocking(&headers, body);
    assert_eq!(reply.status(), 401);
    assert!(
        reply.body().contains("POSTAL_ALLOW_SHA1=1"),
        "{}",
        reply.body()
    );
}

#[test]
fn an_incoming_message_posted_to_the_webhook_url_says_where_it_belongs() {
    let (receiver, ran) = counting_receiver();
    let signer = Signer::test_key();
    // The sample: a route's HTTP endpoint body (message hash). Sibling: its raw-message form.
    let hash = br#"{"id":48401,"rcpt_to":"support@inbound.acme.example","mail_from":"customer@example.com","token":"Wc6Ty1Hn8Bv3Ks5P","subject":"Help","message_id":"CAF=xyz@mail.example.com","timestamp":1714060999.1,"size":"1234","spam_status":"NotSpam","bounce":false,"received_with_ssl":true,"to":"support@inbound.acme.example","cc":null,"from":"customer@example.com","date":"Thu, 25 Apr 2024 15:23:19 +0000","in_reply_to":null,"references":null,"plain_body":"hi","html_body":null,"auto_submitted":null,"attachment_quantity":0,"attachments":[]}"#;
    let raw = br#"{"id":48402,"rcpt_to":"support@inbound.acme.example","mail_from":"customer@example.com","message":"RnJvbTogY3VzdG9tZXI=","base64":true,"size":1234}"#;
    for body in [&hash[..], raw] {
        let reply = receiver.receive_blocking(&signer.sign(body).headers(), body);
        assert_eq!(reply.status(), 400);
        assert!(
            reply
                .body()
                .contains("incoming message from a Postal route's HTTP endpoint"),
            "{}",
            reply.body()
        );
        assert!(
            reply.body().contains("Settings → Webhooks"),
            "{}",
            reply.body()
        );
    }
    // An envelope that only lacks `event` keeps the precise error.
    let body = br#"{"timestamp":1.5,"payload":{},"uuid":"u"}"#;
    let reply = receiver.receive_blocking(&signer.sign(body).headers(), body);
    assert!(
        reply.body().contains("missing field `event`"),
        "{}",
        reply.body()
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn what_an_unauthenticated_client_sent_is_quoted_short_and_escaped() {
    let (receiver, ran) = counting_receiver();
    let body = sample("MessageSent").unwrap();
    let long = format!("text/plain;{}", "x".repeat(10_000));
    let long_method = format!("GET{}", "A".repeat(10_000));
    // (method, headers, what the reply must quote)
    let cases = [
        (
            "POST",
            vec![("Content-Type", long)],
            "unsupported Content-Type `text/plain;xxx",
        ),
        (
            &long_method,
            vec![("Content-Type", "application/json".to_owned())],
            "method GETAAA",
        ),
        (
            "POST",
            vec![
                ("Content-Type", "application/json".to_owned()),
                ("X-Postal-Signature-256", "c2ln".to_owned()),
                (
                    "X-Postal-Signature-Kid",
                    format!("kid\r\n{}", "k".repeat(10_000)),
                ),
            ],
            "X-Postal-Signature-Kid (kid\\r\\nkkk",
        ),
    ];
    for (method, headers, says) in cases {
        let reply = receiver.receive_request_blocking(method, &headers, body);
        assert!(reply.body().contains(says), "{}", reply.body());
        assert!(reply.body().len() < 1000, "{} bytes", reply.body().len());
        assert!(reply.body().contains('…'), "{}", reply.body());
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}
