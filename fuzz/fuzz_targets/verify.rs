//! Signature checking with arbitrary headers and body: `Verifier::verify` answers
//! `Verified` or a `VerifyError` that says why, and never panics.
//!
//! Input: header lines (`name:value`, separated by `\n`), a NUL byte, then the body.
#![no_main]

mod request;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use postal_hooks::testing::Signer;
use postal_hooks::{Verified, Verifier};

/// The test key, with and without SHA-1: parsed once, not per input.
static SHA256_ONLY: LazyLock<Verifier> = LazyLock::new(|| Signer::test_key().verifier());
static WITH_SHA1: LazyLock<Verifier> =
    LazyLock::new(|| Signer::test_key().verifier().allow_sha1(true));
static UNSIGNED: LazyLock<Verifier> = LazyLock::new(Verifier::insecure_accept_unsigned);

fuzz_target!(|data: &[u8]| {
    let (headers, body) = request::split(data);
    let verifier = if body.first() == Some(&b'{') {
        &*WITH_SHA1
    } else {
        &*SHA256_ONLY
    };
    match verifier.verify(&headers, body) {
        Ok(verified) => assert!(matches!(
            verified,
            Verified::Sha256 { .. } | Verified::Sha1 { .. }
        )),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
    let _ = UNSIGNED.verify(&headers, body);
});
