//! [`VerifyError`]: why a request is not taken to be from Postal (answer 401).

use std::fmt;

use crate::shared_error::prefixed;

/// Where to find Postal's public key, for errors about missing or unreadable keys.
pub(crate) const WHERE_TO_GET_THE_KEY: &str = "get Postal's public key from \
    https://<your postal host>/.well-known/jwks.json (Postal 3.2+), from the DNS TXT record \
    postal._domainkey.<your return-path domain> (`postal default-dkim-record` prints it), \
    or as PEM with `openssl rsa -in signing.key -pubout`";

/// Why a request's signature was refused (answer 401).
///
/// ```
/// use postal_hooks::{Verifier, VerifyError};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let verifier = Verifier::from_key_text(key)?;
/// let body = br#"{"event":"MessageSent"}"#;
/// let unsigned = verifier.verify(&[("Content-Type", "application/json")], body);
/// assert_eq!(unsigned, Err(VerifyError::MissingSignature));
/// let sha1_only = verifier.verify(&[("X-Postal-Signature", "c2lnbmF0dXJl")], body);
/// assert_eq!(sha1_only, Err(VerifyError::Sha1NotAllowed)); // unless `.allow_sha1(true)`
/// # Ok::<(), postal_hooks::KeyError>(())
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Neither `X-Postal-Signature-256` nor `X-Postal-Signature`: Postal signs every webhook.
    #[error(
        "missing header X-Postal-Signature-256 (and X-Postal-Signature): Postal signs every webhook"
    )]
    MissingSignature,
    /// A signature header that is not standard base64, or too long to be an RSA signature.
    #[error("malformed header {header}: {reason}")]
    MalformedSignature {
        /// The header.
        header: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `X-Postal-Signature-Kid` names no configured key.
    #[error(
        "no configured key has the id in X-Postal-Signature-Kid ({kid}); configured: {}. Has Postal's key changed? {where_to}",
        KidList(.known),
        where_to = WHERE_TO_GET_THE_KEY
    )]
    UnknownKid {
        /// The KID received.
        kid: String,
        /// The KIDs of the configured keys.
        known: Vec<String>,
    },
    /// Only the legacy SHA-1 signature, and SHA-1 is not allowed.
    #[error(
        "the request carries only the legacy SHA-1 signature X-Postal-Signature (Postal before 3.2); upgrade Postal, or accept SHA-1 signatures explicitly: set POSTAL_ALLOW_SHA1=1 for a server configured from the environment, or call `Verifier::allow_sha1(true)`"
    )]
    Sha1NotAllowed,
    /// The signature does not match the body under any candidate key.
    #[error(
        "signature mismatch: {header} does not match the body under {keys_tried} key(s){}",
        prefixed("; ", .hint.as_deref())
    )]
    Mismatch {
        /// The header that was checked.
        header: &'static str,
        /// How many keys were tried.
        keys_tried: usize,
        /// Why the body may have been altered, when it shows signs of it.
        hint: Option<String>,
    },
}

/// The configured KIDs, or `none`.
struct KidList<'a>(&'a [String]);

impl fmt::Display for KidList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => f.write_str("none"),
            kids => f.write_str(&kids.join(", ")),
        }
    }
}

crate::error_report::debug_as_report!(VerifyError);
