//! Signature verification against Postal's real test vectors, with the RSA-2048 key and the
//! 1024-bit one Postal's installer generates, through every key form a user has. (Reading
//! the keys themselves: `keys.rs`.)

mod common;

use common::{KID_1024, KID_2048, Vector, key_forms, shared_text, vectors};
use postal_hooks::{PublicKey, Verified, Verifier, VerifyError};

fn headers_without(vector: &Vector, dropped: &[&str]) -> Vec<(String, String)> {
    vector
        .headers()
        .into_iter()
        .filter(|(name, _)| !dropped.contains(&name.as_str()))
        .collect()
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
fn the_insecure_verifier_is_explicit() {
    let verifier = Verifier::insecure_accept_unsigned();
    assert!(verifier.is_insecure());
    assert_eq!(
        verifier.verify(&Vec::<(String, String)>::new(), b"anything"),
        Ok(Verified::Unverified)
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
