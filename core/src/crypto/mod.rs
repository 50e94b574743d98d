//! The RSA backend, chosen by cargo feature: `aws-lc` (aws-lc-rs) or `ring`. Both give
//! the same four things here: an RSA PKCS#1 v1.5 public key that verifies (SHA-256, and
//! SHA-1 for Postal before 3.2, keys of 1024 to 8192 bits), SHA-256, the system's random
//! bytes, and (for `testing`) a fast SHA-256 signer. With both features on, aws-lc-rs is
//! used. The rest of the crate sees only this module.

#[cfg(not(any(feature = "aws-lc", feature = "ring")))]
compile_error!(
    "postal-hooks needs an RSA backend: enable its feature `ring` (the default) or `aws-lc`"
);

#[cfg(feature = "aws-lc")]
use aws_lc_rs as backend;
#[cfg(all(feature = "ring", not(feature = "aws-lc")))]
use ring as backend;

use backend::signature::{
    RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
};

use crate::shared_error::SharedError;

/// The backend's name, for docs and summaries: `aws-lc-rs` or `ring`.
pub(crate) const BACKEND: &str = if cfg!(feature = "aws-lc") {
    "aws-lc-rs"
} else {
    "ring"
};

/// Which digest an [`RsaKey`] checks signatures with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Digest {
    Sha256,
    Sha1,
}

/// An RSA public key ready to verify PKCS#1 v1.5 signatures with one digest. aws-lc-rs
/// parses it once; ring parses it on each verification.
#[derive(Clone)]
pub(crate) struct RsaKey {
    #[cfg(feature = "aws-lc")]
    key: std::sync::Arc<backend::signature::ParsedPublicKey>,
    #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
    key: backend::signature::UnparsedPublicKey<std::sync::Arc<[u8]>>,
}

impl RsaKey {
    /// From the DER `RSAPublicKey` (PKCS#1). The backend's refusal is the error.
    pub(crate) fn new(pkcs1_der: &[u8], digest: Digest) -> Result<Self, SharedError> {
        let algorithm = match digest {
            Digest::Sha256 => &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            Digest::Sha1 => &RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        };
        #[cfg(feature = "aws-lc")]
        {
            backend::signature::ParsedPublicKey::new(algorithm, pkcs1_der)
                .map(|key| RsaKey {
                    key: std::sync::Arc::new(key),
                })
                .map_err(SharedError::new)
        }
        #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
        {
            Ok(RsaKey {
                key: backend::signature::UnparsedPublicKey::new(algorithm, pkcs1_der.into()),
            })
        }
    }

    /// Whether `signature` is this key's over `message`.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        #[cfg(feature = "aws-lc")]
        {
            self.key.verify_sig(message, signature).is_ok()
        }
        #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
        {
            self.key.verify(message, signature).is_ok()
        }
    }
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = backend::digest::digest(&backend::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Fills `bytes` from the system's random source; `false` if it failed.
pub(crate) fn fill_random(bytes: &mut [u8]) -> bool {
    use backend::rand::SecureRandom as _;
    backend::rand::SystemRandom::new().fill(bytes).is_ok()
}

/// A private key that signs PKCS#1 v1.5 with SHA-256 quickly (test support): the backend
/// takes 2048-bit keys and up; `None` for others, which the caller signs another way.
#[cfg(feature = "testing")]
pub(crate) struct FastSigner(backend::signature::RsaKeyPair);

#[cfg(feature = "testing")]
impl FastSigner {
    /// From a PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`) DER key.
    pub(crate) fn new(der: &[u8], pkcs1: bool) -> Option<Self> {
        let pair = if pkcs1 {
            backend::signature::RsaKeyPair::from_der(der).ok()?
        } else {
            backend::signature::RsaKeyPair::from_pkcs8(der).ok()?
        };
        Some(FastSigner(pair))
    }

    /// The signature over `message`, or `None` if the backend failed.
    pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        #[cfg(feature = "aws-lc")]
        let length = self.0.public_modulus_len();
        #[cfg(all(feature = "ring", not(feature = "aws-lc")))]
        let length = self.0.public().modulus_len();
        let mut signature = vec![0; length];
        self.0
            .sign(
                &backend::signature::RSA_PKCS1_SHA256,
                &backend::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .ok()?;
        Some(signature)
    }
}

/// Lowercase hex of `bytes`: KIDs, fixture digests, tokens.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let digit = |nibble: u8| char::from_digit(u32::from(nibble), 16).unwrap_or('0');
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(digit(byte >> 4));
        text.push(digit(byte & 0x0f));
    }
    text
}
