//! Test support (feature `testing`): sign bodies exactly as Postal does, with Postal's test
//! vectors and sample bodies embedded, so you can unit-test your own handlers and endpoint
//! with valid signatures.
//!
//! ```
//! use postal_hooks::testing::{self, Signer};
//!
//! let signer = Signer::test_key();
//! let body = testing::sample("MessageBounced").unwrap();
//! let headers = signer.sign(body).headers();
//! let verified = signer.verifier().verify(&headers, body);
//! assert!(verified.is_ok());
//! ```
//!
//! Unit-testing a handler: [`sample_event`] gives a typed sample to call it with,
//! [`Meta::of`](crate::Meta::of) its metadata, [`DispatcherBuilder::only`] a dispatcher
//! with that handler alone, and [`Signer::deliver_sample`] a signed delivery through a
//! receiver.
//!
//! [`DispatcherBuilder::only`]: crate::DispatcherBuilder::only
//!
//! **The embedded keys are throwaway test keys, published with this crate. Never use them
//! outside tests.**

mod deliver;
mod typed;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::{PrivateKey as RsaPrivateKey, pkcs1v15};

use crate::shared_error::SharedError;
use crate::verify::{DerError, KeyError, PemError, PublicKey, Verifier};
pub use typed::{fresh, fresh_sample, sample_event};

/// The test signing key (RSA-2048, PKCS#1 PEM) of Postal's test vectors. Test-only.
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("../samples/keys/test_signing.key");
/// Its public key (SubjectPublicKeyInfo PEM).
pub const TEST_PUBLIC_KEY_PEM: &str = include_str!("../samples/keys/test_signing.pub.pem");
/// Its public key as Postal's `/.well-known/jwks.json` serves it.
pub const TEST_JWKS: &str = include_str!("../samples/keys/jwks.json");
/// Its public key as Postal's DNS TXT record (`v=DKIM1; t=s; h=sha256; p=…;`).
pub const TEST_DNS_RECORD: &str = include_str!("../samples/keys/dns_txt_record.txt");
/// A 1024-bit test signing key, the size Postal's installer generates. Test-only.
pub const TEST_PRIVATE_KEY_1024_PEM: &str =
    include_str!("../samples/keys/rsa1024/test_signing.key");
/// Its public key (SubjectPublicKeyInfo PEM).
pub const TEST_PUBLIC_KEY_1024_PEM: &str =
    include_str!("../samples/keys/rsa1024/test_signing.pub.pem");

/// The exact bodies Postal 3.3.6 sends, one per event: `(event name, body)`.
pub const SAMPLES: [(&str, &[u8]); 10] = [
    ("MessageSent", include_bytes!("../samples/MessageSent.json")),
    (
        "MessageDelayed",
        include_bytes!("../samples/MessageDelayed.json"),
    ),
    (
        "MessageDeliveryFailed",
        include_bytes!("../samples/MessageDeliveryFailed.json"),
    ),
    ("MessageHeld", include_bytes!("../samples/MessageHeld.json")),
    (
        "MessageBounced",
        include_bytes!("../samples/MessageBounced.json"),
    ),
    (
        "MessageLinkClicked",
        include_bytes!("../samples/MessageLinkClicked.json"),
    ),
    (
        "MessageLoaded",
        include_bytes!("../samples/MessageLoaded.json"),
    ),
    (
        "DomainDNSError",
        include_bytes!("../samples/DomainDNSError.json"),
    ),
    (
        "SendLimitApproaching",
        include_bytes!("../samples/SendLimitApproaching.json"),
    ),
    (
        "SendLimitExceeded",
        include_bytes!("../samples/SendLimitExceeded.json"),
    ),
];

/// The sample body for the event `name`, if it is one of Postal's ten.
pub fn sample(name: &str) -> Option<&'static [u8]> {
    SAMPLES
        .iter()
        .find(|(sample, _)| *sample == name)
        .map(|(_, body)| *body)
}

/// Signs bodies the way Postal does: RSA PKCS#1 v1.5 over the raw bytes, with SHA-256
/// (`X-Postal-Signature-256`) and SHA-1 (`X-Postal-Signature`), plus the key id.
#[derive(Clone)]
pub struct Signer {
    sha256: pkcs1v15::SigningKey<sha2::Sha256>,
    sha1: pkcs1v15::SigningKey<sha1::Sha1>,
    /// aws-lc-rs signs SHA-256 much faster (unoptimised test builds included), for keys of
    /// 2048 bits and more; RustCrypto's rsa covers SHA-1 and 1024-bit keys.
    fast_sha256: Option<Arc<crate::crypto::FastSigner>>,
    public_key: PublicKey,
}

impl Signer {
    /// A signer for a private key in PEM: `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1, what
    /// Postal's `signing.key` holds) or `-----BEGIN PRIVATE KEY-----` (PKCS#8).
    ///
    /// # Errors
    ///
    /// When the PEM is not an RSA private key of 1024 bits or more.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = crate::verify::decode_pem(pem).map_err(KeyError::Pem)?;
        let key = match label.as_str() {
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der).map_err(der_error)?,
            "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(&der).map_err(der_error)?,
            found @ ("PUBLIC KEY" | "RSA PUBLIC KEY") => {
                return Err(KeyError::NotPrivate {
                    found: found.to_owned(),
                });
            }
            other => {
                return Err(KeyError::Pem(PemError::Label {
                    expected: "an RSA private key",
                    found: other.to_owned(),
                }));
            }
        };
        let public_der = key.to_public_key().to_pkcs1_der().map_err(der_error)?;
        let public_key = PublicKey::from_pkcs1_der(public_der.as_bytes())?;
        let fast_sha256 = crate::crypto::FastSigner::new(&der, label == "RSA PRIVATE KEY");
        Ok(Signer {
            sha256: pkcs1v15::SigningKey::new(key.clone()),
            sha1: pkcs1v15::SigningKey::new(key),
            fast_sha256: fast_sha256.map(Arc::new),
            public_key,
        })
    }

    /// The embedded 2048-bit test key ([`TEST_PRIVATE_KEY_PEM`]).
    pub fn test_key() -> Self {
        embedded(TEST_PRIVATE_KEY_PEM)
    }

    /// The embedded 1024-bit test key ([`TEST_PRIVATE_KEY_1024_PEM`]).
    pub fn test_key_1024() -> Self {
        embedded(TEST_PRIVATE_KEY_1024_PEM)
    }

    /// The public half, as a receiver would configure it.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The key id Postal sends with this key's signatures.
    pub fn kid(&self) -> &str {
        self.public_key.kid()
    }

    /// A verifier that trusts this key (SHA-1 not allowed).
    pub fn verifier(&self) -> Verifier {
        Verifier::from_keys_unchecked(vec![self.public_key.clone()])
    }

    /// Signs `body` as Postal 3.2+ does: both signatures and the key id.
    pub fn sign(&self, body: &[u8]) -> Signature {
        Signature {
            sha1: Some(STANDARD.encode(self.sha1.sign(body).to_vec())),
            ..self.sign_sha256(body)
        }
    }

    /// Signs `body` with SHA-256 only (and the key id): what a receiver checks when both
    /// are present, and much faster in test builds; for load tests.
    pub fn sign_sha256(&self, body: &[u8]) -> Signature {
        Signature {
            kid: self.kid().to_owned(),
            sha256: STANDARD.encode(self.sha256_bytes(body)),
            sha1: None,
        }
    }

    fn sha256_bytes(&self, body: &[u8]) -> Vec<u8> {
        if let Some(signature) = self.fast_sha256.as_ref().and_then(|key| key.sign(body)) {
            return signature;
        }
        self.sha256.sign(body).to_vec()
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

/// A DER decoding or encoding error of the private key, kept typed.
fn der_error(error: impl std::error::Error + Send + Sync + 'static) -> KeyError {
    KeyError::Der(DerError::Decode(SharedError::new(error)))
}

/// Parses an embedded key; the tests of this crate prove both parse.
fn embedded(pem: &str) -> Signer {
    match Signer::from_pem(pem) {
        Ok(signer) => signer,
        // Unreachable for the embedded constants (tested); no input reaches this.
        Err(error) => unreachable_embedded(&error),
    }
}

#[allow(clippy::panic)] // test support, on constants this crate ships and tests
fn unreachable_embedded(error: &KeyError) -> ! {
    panic!("the embedded test key does not parse: {error}")
}

/// A body's signatures as Postal sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `X-Postal-Signature-Kid`.
    pub kid: String,
    /// `X-Postal-Signature-256`: base64 RSA-SHA256.
    pub sha256: String,
    /// `X-Postal-Signature`: base64 RSA-SHA1 (`None` from [`Signer::sign_sha256`]).
    pub sha1: Option<String>,
}

impl Signature {
    /// The headers Postal 3.3.6 sends with a body (those that matter to a receiver):
    /// `Content-Type`, `User-Agent`, the key id and both signatures.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Content-Type", "application/json".to_owned()),
            ("User-Agent", "Postal/3.3.6".to_owned()),
            ("X-Postal-Signature-Kid", self.kid.clone()),
        ];
        if let Some(sha1) = &self.sha1 {
            headers.push(("X-Postal-Signature", sha1.clone()));
        }
        headers.push(("X-Postal-Signature-256", self.sha256.clone()));
        headers
    }

    /// The headers Postal before 3.2 sends: the SHA-1 signature only, no key id.
    pub fn legacy_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("Content-Type", "application/json".to_owned()),
            ("User-Agent", "Postal/2.3.2".to_owned()),
        ];
        if let Some(sha1) = &self.sha1 {
            headers.push(("X-Postal-Signature", sha1.clone()));
        }
        headers
    }
}

/// SHA-256 hex of `bytes`, handy for comparing fixture files.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::crypto::hex(&crate::crypto::sha256(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_keys_parse_and_sign_verifiably() {
        for signer in [Signer::test_key(), Signer::test_key_1024()] {
            for (name, body) in SAMPLES {
                let headers = signer.sign(body).headers();
                assert!(signer.verifier().verify(&headers, body).is_ok(), "{name}");
            }
        }
        assert_eq!(
            Signer::test_key().kid(),
            "78d66404005aa63fe93defe2de44269a737a434d6a7c06a8d0f0f4db7da9d7b8"
        );
        assert_eq!(Signer::test_key_1024().public_key().bits(), 1024);
        assert!(sample("MessageSent").is_some() && sample("Nope").is_none());
    }
}
