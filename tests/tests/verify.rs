//! Signature verification against Postal's real test vectors, with the RSA-2048 key and the
//! 1024-bit one Postal's installer generates, through every key form a user has.

mod common;

use common::{Vector, shared_text, vectors};
use postal_hooks::{KeyError, PublicKey, Verified, Verifier, VerifyError};

const KID_2048: &str = "78d66404005aa63fe93defe2de44269a737a434d6a7c06a8d0f0f4db7da9d7b8";
const KID_1024: &str = "f91bbe950ee40f1f05661658251d98ff84bd3537e335a86dd75e0d590ef8aed0";

/// The same key read from PEM, the DNS record and the JWKS document.
fn key_forms(dir: &str) -> Vec<(&'static str, PublicKey)> {
    let read = |file: &str| shared_text(&format!("test_vectors/{dir}{file}"));
    let from_jwks = PublicKey::from_jwks(&read("jwks.json")).unwrap();
    assert_eq!(from_jwks.len(), 1);
    vec![
        (
            "PEM",
            PublicKey::from_pem(&read("test_signing.pub.pem")).unwrap(),
        ),
        (
            "DNS record",
            PublicKey::from_dns_record(&read("dns_txt_record.txt")).unwrap(),
        ),
        ("JWKS", from_jwks.into_iter().next().unwrap()),
    ]
}

fn headers_without(vector: &Vector, dropped: &[&str]) -> Vec<(String, String)> {
    vector
        .headers()
        .into_iter()
        .filter(|(name, _)| !dropped.contains(&name.as_str()))
        .collect()
}

#[test]
fn every_key_form_gives_the_postal_kid() {
    for (dir, kid, bits) in [("", KID_2048, 2048), ("rsa1024/", KID_1024, 1024)] {
        for (form, key) in key_forms(dir) {
            assert_eq!(key.kid(), kid, "{dir}{form}");
            assert_eq!(key.bits(), bits, "{dir}{form}");
        }
        let dns = shared_text(&format!("test_vectors/{dir}dns_txt_record.txt"));
        let bare = dns
            .split("p=")
            .nth(1)
            .unwrap()
            .trim_end()
            .trim_end_matches(';');
        assert_eq!(
            PublicKey::from_dns_record(bare).unwrap().kid(),
            kid,
            "bare p= value"
        );
        assert_eq!(PublicKey::parse_all(&dns).unwrap()[0].kid(), kid);
        // The `p=` tag alone, with or without its `;`, by both entry points.
        for tag in [
            format!("p={bare}"),
            format!("p={bare};"),
            format!(" p={bare}; "),
        ] {
            assert_eq!(
                PublicKey::from_dns_record(&tag).unwrap().kid(),
                kid,
                "{tag}"
            );
            assert_eq!(PublicKey::parse_all(&tag).unwrap()[0].kid(), kid, "{tag}");
            assert_eq!(Verifier::from_key_text(&tag).unwrap().keys()[0].kid(), kid);
        }
        assert_eq!(PublicKey::parse_all(bare).unwrap()[0].kid(), kid, "bare");
    }
}

#[test]
fn every_body_verifies_with_sha256_via_every_key_form_and_key_size() {
    let mut checked = 0;
    for (dir, kid) in [("", KID_2048), ("rsa1024/", KID_1024)] {
        for (form, key) in key_forms(dir) {
            let verifier = Verifier::new([key]).unwrap();
            for vector in vectors(dir.trim_end_matches('/')) {
                let verified = verifier.verify(&vector.headers(), &vector.body);
                assert_eq!(
                    verified,
                    Ok(Verified::Sha256 { kid: kid.into() }),
                    "{dir}{form} {}",
                    vector.name
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * 12 + 3 * 10);
}

#[test]
fn sha1_only_requests_verify_when_opted_in_and_are_refused_otherwise() {
    for (dir, kid) in [("", KID_2048), ("rsa1024/", KID_1024)] {
        for (form, key) in key_forms(dir) {
            let strict = Verifier::new([key]).unwrap();
            let legacy = strict.clone().allow_sha1(true);
            for vector in vectors(dir.trim_end_matches('/')) {
                // Postal before 3.2: SHA-1 only, no KID.
                let headers = headers_without(
                    &vector,
                    &["X-Postal-Signature-256", "X-Postal-Signature-Kid"],
                );
                assert_eq!(
                    strict.verify(&headers, &vector.body),
                    Err(VerifyError::Sha1NotAllowed)
                );
                assert_eq!(
                    legacy.verify(&headers, &vector.body),
                    Ok(Verified::Sha1 { kid: kid.into() }),
                    "{dir}{form} {}",
                    vector.name
                );
            }
        }
    }
}

#[test]
fn sha256_decides_when_both_are_present_even_with_sha1_allowed() {
    let vector = &vectors("")[0];
    let verifier = Verifier::from_key_text(&shared_text("test_vectors/test_signing.pub.pem"))
        .unwrap()
        .allow_sha1(true);
    // A bad SHA-256 with a good SHA-1: no downgrade.
    let mut headers = vector.headers();
    headers
        .iter_mut()
        .find(|(name, _)| name == "X-Postal-Signature-256")
        .unwrap()
        .1 = vectors("")[1].sha256.clone();
    assert!(matches!(
        verifier.verify(&headers, &vector.body),
        Err(VerifyError::Mismatch {
            header: "X-Postal-Signature-256",
            ..
        })
    ));
}

#[test]
fn header_names_match_case_insensitively() {
    let vector = &vectors("")[0];
    let verifier = Verifier::from_key_text(&shared_text("test_vectors/jwks.json")).unwrap();
    let lower: Vec<(String, String)> = vector
        .headers()
        .into_iter()
        .map(|(name, value)| (name.to_lowercase(), value))
        .collect();
    assert!(verifier.verify(&lower, &vector.body).is_ok());
    let mut map = http::HeaderMap::new();
    for (name, value) in vector.headers() {
        map.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    assert!(verifier.verify(&map, &vector.body).is_ok());
}

fn verifier_2048() -> Verifier {
    Verifier::from_key_text(&shared_text("test_vectors/test_signing.pub.pem")).unwrap()
}

#[test]
fn a_body_changed_by_one_byte_is_refused() {
    let verifier = verifier_2048();
    for vector in vectors("") {
        let mut body = vector.body.clone();
        let last = body.len() - 2;
        body[last] ^= 0x01;
        let error = verifier.verify(&vector.headers(), &body).unwrap_err();
        assert!(
            matches!(
                error,
                VerifyError::Mismatch {
                    keys_tried: 1,
                    hint: None,
                    ..
                }
            ),
            "{}: {error}",
            vector.name
        );
        assert!(
            error
                .to_string()
                .starts_with("signature mismatch: X-Postal-Signature-256 does not match")
        );
    }
}

#[test]
fn a_body_reserialised_by_serde_json_is_refused_with_a_hint() {
    let verifier = verifier_2048();
    for name in ["MessageDeliveryFailed", "MessageLinkClicked"] {
        let vector = vectors("").into_iter().find(|v| v.name == name).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&vector.body).unwrap();
        let reserialised = serde_json::to_vec(&value).unwrap();
        assert_ne!(reserialised, vector.body);
        let error = verifier
            .verify(&vector.headers(), &reserialised)
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("which Postal always sends as `\\u00"),
            "{text}"
        );
        assert!(
            text.contains("verify the raw request bytes as received"),
            "{text}"
        );

        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        let error = verifier.verify(&vector.headers(), &pretty).unwrap_err();
        assert!(error.to_string().contains("raw `"), "{error}");
    }
    // A body without `&<>` but pretty-printed gets the line-break hint.
    let vector = vectors("")
        .into_iter()
        .find(|v| v.name == "SendLimitExceeded")
        .unwrap();
    let pretty = serde_json::to_vec_pretty(
        &serde_json::from_slice::<serde_json::Value>(&vector.body).unwrap(),
    )
    .unwrap();
    let error = verifier.verify(&vector.headers(), &pretty).unwrap_err();
    assert!(error.to_string().contains("line break"), "{error}");
}

#[test]
fn a_signature_from_another_key_is_refused() {
    let verifier = verifier_2048();
    let other = vectors("rsa1024");
    let own = vectors("");
    for (theirs, ours) in other.iter().zip(&own) {
        // With the other key's KID: no such key here.
        let error = verifier
            .verify(&theirs.headers(), &theirs.body)
            .unwrap_err();
        assert!(
            matches!(&error, VerifyError::UnknownKid { kid, known } if kid == KID_1024 && known == &[KID_2048])
        );
        // Without a KID: tried against our key, and it does not match.
        let headers = headers_without(theirs, &["X-Postal-Signature-Kid"]);
        assert!(matches!(
            verifier.verify(&headers, &theirs.body),
            Err(VerifyError::Mismatch { .. })
        ));
        // Their signature on our body, under our KID.
        let mut headers = ours.headers();
        headers
            .iter_mut()
            .find(|(n, _)| n == "X-Postal-Signature-256")
            .unwrap()
            .1 = theirs.sha256.clone();
        assert!(matches!(
            verifier.verify(&headers, &ours.body),
            Err(VerifyError::Mismatch { .. })
        ));
    }
}

#[test]
fn several_keys_are_chosen_by_kid_or_tried_in_turn() {
    let mut keys = PublicKey::parse_all(&shared_text("test_vectors/rsa1024/jwks.json")).unwrap();
    keys.extend(PublicKey::parse_all(&shared_text("test_vectors/test_signing.pub.pem")).unwrap());
    let verifier = Verifier::new(keys).unwrap();
    for (dir, kid) in [("", KID_2048), ("rsa1024", KID_1024)] {
        for vector in vectors(dir) {
            assert_eq!(
                verifier.verify(&vector.headers(), &vector.body),
                Ok(Verified::Sha256 { kid: kid.into() })
            );
            let no_kid = headers_without(&vector, &["X-Postal-Signature-Kid"]);
            assert_eq!(
                verifier.verify(&no_kid, &vector.body),
                Ok(Verified::Sha256 { kid: kid.into() })
            );
        }
    }
    let vector = &vectors("")[0];
    let mut tampered = vector.body.clone();
    tampered.push(b' ');
    let no_kid = headers_without(vector, &["X-Postal-Signature-Kid"]);
    assert!(matches!(
        verifier.verify(&no_kid, &tampered),
        Err(VerifyError::Mismatch { keys_tried: 2, .. })
    ));
}

#[test]
fn missing_headers_garbage_base64_and_unknown_kid_are_refused() {
    let verifier = verifier_2048().allow_sha1(true);
    let vector = &vectors("")[0];
    let none = headers_without(vector, &["X-Postal-Signature-256", "X-Postal-Signature"]);
    let error = verifier.verify(&none, &vector.body).unwrap_err();
    assert_eq!(error, VerifyError::MissingSignature);
    assert!(
        error
            .to_string()
            .starts_with("missing header X-Postal-Signature-256")
    );
    assert_eq!(
        verifier.verify(&Vec::<(String, String)>::new(), &vector.body),
        Err(VerifyError::MissingSignature)
    );

    for garbage in ["not base64!", "QUJD=", "QUJDRA", " QUJDRA== ", "QUJD\nRA=="] {
        let mut headers = vector.headers();
        headers
            .iter_mut()
            .find(|(n, _)| n == "X-Postal-Signature-256")
            .unwrap()
            .1 = garbage.into();
        let error = verifier.verify(&headers, &vector.body).unwrap_err();
        assert!(
            matches!(
                error,
                VerifyError::MalformedSignature {
                    header: "X-Postal-Signature-256",
                    ..
                }
            ),
            "{garbage:?}: {error}"
        );
        assert!(
            error
                .to_string()
                .starts_with("malformed header X-Postal-Signature-256: not standard base64")
        );
    }
    // Valid base64 of the wrong length is a mismatch, not a panic.
    let mut headers = vector.headers();
    headers
        .iter_mut()
        .find(|(n, _)| n == "X-Postal-Signature-256")
        .unwrap()
        .1 = "QUJDRA==".into();
    assert!(matches!(
        verifier.verify(&headers, &vector.body),
        Err(VerifyError::Mismatch { .. })
    ));

    let mut headers = vector.headers();
    headers
        .iter_mut()
        .find(|(n, _)| n == "X-Postal-Signature-Kid")
        .unwrap()
        .1 = "0".repeat(64);
    let error = verifier.verify(&headers, &vector.body).unwrap_err();
    assert!(matches!(error, VerifyError::UnknownKid { .. }));
    assert!(
        error
            .to_string()
            .contains(&format!("configured: {KID_2048}")),
        "{error}"
    );
}

#[test]
fn an_empty_key_set_cannot_verify_anything() {
    let error = Verifier::new(Vec::new()).unwrap_err();
    assert_eq!(error, KeyError::NoKeys);
    assert!(
        error.to_string().contains("/.well-known/jwks.json"),
        "{error}"
    );
    assert!(matches!(
        PublicKey::from_jwks(r#"{"keys":[]}"#),
        Err(KeyError::Jwks(_))
    ));
    assert!(Verifier::from_key_text(r#"{"keys":[]}"#).is_err());
    assert_eq!(
        Verifier::from_key_text("").unwrap_err(),
        KeyError::NotRecognised
    );
}

#[test]
fn the_insecure_verifier_is_explicit() {
    let verifier = Verifier::insecure_accept_unsigned();
    assert!(verifier.is_insecure());
    assert_eq!(
        verifier.verify(&Vec::<(String, String)>::new(), b"anything"),
        Ok(Verified::Unverified)
    );
}

#[test]
fn unusable_keys_say_why() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "private key",
            shared_text("test_vectors/test_signing.key"),
            "this is a private key",
        ),
        ("garbage", "hello".into(), "not a public key: expected PEM"),
        (
            "empty p=",
            "v=DKIM1; t=s; p=;".into(),
            "the `p=` tag is empty",
        ),
        (
            "bad base64",
            "v=DKIM1; p=@@@@;".into(),
            "`p=` is not base64",
        ),
        (
            "jwks without n",
            r#"{"keys":[{"kty":"RSA","e":"AQAB"}]}"#.into(),
            "without `n` or `e`",
        ),
        (
            "EC jwk",
            r#"{"keys":[{"kty":"EC","crv":"P-256"}]}"#.into(),
            "holds no RSA key",
        ),
        (
            "truncated pem",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----".into(),
            "invalid",
        ),
    ];
    for (case, text, expected) in cases {
        let error = PublicKey::parse_all(&text).unwrap_err();
        assert!(error.to_string().contains(expected), "{case}: {error}");
    }
    // A 512-bit key is refused for its size.
    let small = "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAOCxWrLQwEAdLLUMFW+4TjxZQwIxXtht\nO/6gKJSw2v+sA9wCU64qwR+Q/O+j33N+h8JXxdKuYheufNDN6WcMGysCAwEAAQ==\n-----END PUBLIC KEY-----";
    assert_eq!(
        PublicKey::from_pem(small),
        Err(KeyError::TooSmall { bits: 512 })
    );
}

#[test]
fn the_testing_signer_matches_postals_real_signatures() {
    // Deterministic PKCS#1 v1.5: our signer reproduces the vectors byte for byte.
    let signer = postal_hooks::testing::Signer::test_key();
    for vector in vectors("") {
        let signature = signer.sign(&vector.body);
        assert_eq!(signature.sha256, vector.sha256, "{}", vector.name);
        assert_eq!(
            signature.sha1.as_ref(),
            Some(&vector.sha1),
            "{}",
            vector.name
        );
        assert_eq!(signature.kid, vector.kid);
    }
    let signer = postal_hooks::testing::Signer::test_key_1024();
    for vector in vectors("rsa1024") {
        assert_eq!(
            signer.sign(&vector.body).sha256,
            vector.sha256,
            "{}",
            vector.name
        );
    }
}

#[test]
fn embedded_keys_and_samples_match_shared() {
    use postal_hooks::testing;
    let pairs = [
        (
            testing::TEST_PRIVATE_KEY_PEM,
            "test_vectors/test_signing.key",
        ),
        (
            testing::TEST_PUBLIC_KEY_PEM,
            "test_vectors/test_signing.pub.pem",
        ),
        (testing::TEST_JWKS, "test_vectors/jwks.json"),
        (testing::TEST_DNS_RECORD, "test_vectors/dns_txt_record.txt"),
        (
            testing::TEST_PRIVATE_KEY_1024_PEM,
            "test_vectors/rsa1024/test_signing.key",
        ),
        (
            testing::TEST_PUBLIC_KEY_1024_PEM,
            "test_vectors/rsa1024/test_signing.pub.pem",
        ),
    ];
    for (embedded, file) in pairs {
        assert_eq!(embedded, shared_text(file), "{file}");
    }
    for (name, body) in testing::SAMPLES {
        assert_eq!(body, common::payload(&format!("{name}.json")), "{name}");
    }
}

#[test]
fn pkcs1_pem_and_several_pem_blocks_are_read() {
    // `openssl rsa -pubin -in rsa1024/test_signing.pub.pem -RSAPublicKey_out`
    let pkcs1 = "-----BEGIN RSA PUBLIC KEY-----
MIGJAoGBALeOmTf/HL7mDcFtVBwEEawzuFuASbp54R4fCQxkxIfAqRbS9Umc2LEX
ztJH0zyM0ZOYzuWo4YjgeKyXu1R42Gaja8dNmyTBHDbX6Kr6hVk3gn1xb/G1xg7u
4RvsqmJDesY4xvwpEIOf5hTd9lj5L4M82GJxyEm2Hq3/+PW4ekmVAgMBAAE=
-----END RSA PUBLIC KEY-----";
    assert_eq!(PublicKey::from_pem(pkcs1).unwrap().kid(), KID_1024);
    // Two installations' keys in one setting, as PEM blocks one after the other.
    let both = format!(
        "{pkcs1}\n{}",
        shared_text("test_vectors/test_signing.pub.pem")
    );
    let verifier = Verifier::from_key_text(&both).unwrap();
    let kids: Vec<_> = verifier.keys().iter().map(PublicKey::kid).collect();
    assert_eq!(kids, [KID_1024, KID_2048]);
    for (dir, kid) in [("", KID_2048), ("rsa1024", KID_1024)] {
        let vector = &vectors(dir)[0];
        assert_eq!(
            verifier.verify(&vector.headers(), &vector.body),
            Ok(Verified::Sha256 { kid: kid.into() })
        );
    }
}

#[test]
fn a_signature_longer_than_any_key_is_malformed_not_a_panic() {
    let verifier = verifier_2048();
    let vector = &vectors("")[0];
    let mut headers = vector.headers();
    headers
        .iter_mut()
        .find(|(n, _)| n == "X-Postal-Signature-256")
        .unwrap()
        .1 = "AAAA".repeat(342); // 1026 bytes once decoded
    let error = verifier.verify(&headers, &vector.body).unwrap_err();
    assert_eq!(
        error.to_string(),
        "malformed header X-Postal-Signature-256: longer than the 1024 bytes of the \
         largest RSA signature accepted (8192-bit key)"
    );
}
