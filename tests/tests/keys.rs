//! Reading Postal's public key in every form a user has (PEM, PKCS#1 PEM, several PEM
//! blocks, the DNS record, the JWKS document), and why an unusable key is refused.

mod common;

use common::{KID_1024, KID_2048, key_forms, shared_text, vectors};
use postal_hooks::{KeyError, PublicKey, Verified, Verifier};

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
    let keys = verifier.keys();
    let kids: Vec<_> = keys.iter().map(PublicKey::kid).collect();
    assert_eq!(kids, [KID_1024, KID_2048]);
    for (dir, kid) in [("", KID_2048), ("rsa1024", KID_1024)] {
        let vector = &vectors(dir)[0];
        assert_eq!(
            verifier.verify(&vector.headers(), &vector.body),
            Ok(Verified::Sha256 { kid: kid.into() })
        );
    }
}
