//! [`KeyError`] (a key cannot be used) and [`VerifyError`] (a request is not from Postal).

use std::fmt;

/// Where to find Postal's public key, for errors about missing or unreadable keys.
pub(crate) const WHERE_TO_GET_THE_KEY: &str = "get Postal's public key from \
    https://<your postal host>/.well-known/jwks.json (Postal 3.2+), from the DNS TXT record \
    postal._domainkey.<your return-path domain> (`postal default-dkim-record` prints it), \
    or as PEM with `openssl rsa -in signing.key -pubout`";

/// Why a public key could not be read or used.
///
/// ```
/// use postal_hooks::{KeyError, PublicKey, Verifier};
///
/// assert_eq!(Verifier::new(Vec::<PublicKey>::new()).unwrap_err(), KeyError::NoKeys);
/// let err = PublicKey::parse_all("not a key").unwrap_err();
/// assert_eq!(err, KeyError::NotRecognised);
/// // Fail at startup with the message: it says which forms work and where to get Postal's key.
/// assert!(err.to_string().contains("/.well-known/jwks.json"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// No key at all: a verifier without keys would refuse every request.
    NoKeys,
    /// The text is none of the accepted forms.
    NotRecognised,
    /// A PEM block that cannot be read, or of the wrong kind.
    Pem(String),
    /// DER bytes that are not an RSA public key.
    Der(String),
    /// A key for another algorithm than RSA (its OID).
    NotRsa {
        /// The algorithm OID found.
        algorithm: String,
    },
    /// An RSA key under 1024 bits.
    TooSmall {
        /// Its size.
        bits: usize,
    },
    /// The RSA implementation rejected the key.
    Rejected(String),
    /// A JWKS document that cannot be used.
    Jwks(String),
    /// A DNS record that cannot be used.
    DnsRecord(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::NoKeys => write!(
                f,
                "no Postal public key is configured, so every webhook would be refused: {WHERE_TO_GET_THE_KEY}"
            ),
            KeyError::NotRecognised => write!(
                f,
                "not a public key: expected PEM (`-----BEGIN PUBLIC KEY-----`), a JWKS document \
                 (`{{\"keys\":[…]}}`) or Postal's DNS record (`v=DKIM1; t=s; h=sha256; p=…;`); {WHERE_TO_GET_THE_KEY}"
            ),
            KeyError::Pem(reason) => write!(f, "invalid PEM public key: {reason}"),
            KeyError::Der(reason) => write!(f, "invalid RSA public key: {reason}"),
            KeyError::NotRsa { algorithm } => {
                write!(
                    f,
                    "the key is not an RSA key (algorithm {algorithm}); Postal signs with RSA"
                )
            }
            KeyError::TooSmall { bits } => {
                write!(
                    f,
                    "the RSA key has {bits} bits; keys under 1024 bits are refused"
                )
            }
            KeyError::Rejected(reason) => write!(f, "the RSA key was rejected: {reason}"),
            KeyError::Jwks(reason) => write!(f, "invalid JWKS document: {reason}"),
            KeyError::DnsRecord(reason) => write!(f, "invalid DNS key record: {reason}"),
        }
    }
}

impl std::error::Error for KeyError {}

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
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Neither `X-Postal-Signature-256` nor `X-Postal-Signature`: Postal signs every webhook.
    MissingSignature,
    /// A signature header that is not standard base64, or too long to be an RSA signature.
    MalformedSignature {
        /// The header.
        header: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `X-Postal-Signature-Kid` names no configured key.
    UnknownKid {
        /// The KID received.
        kid: String,
        /// The KIDs of the configured keys.
        known: Vec<String>,
    },
    /// Only the legacy SHA-1 signature, and SHA-1 is not allowed.
    Sha1NotAllowed,
    /// The signature does not match the body under any candidate key.
    Mismatch {
        /// The header that was checked.
        header: &'static str,
        /// How many keys were tried.
        keys_tried: usize,
        /// Why the body may have been altered, when it shows signs of it.
        hint: Option<String>,
    },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingSignature => f.write_str(
                "missing header X-Postal-Signature-256 (and X-Postal-Signature): Postal signs every webhook",
            ),
            VerifyError::MalformedSignature { header, reason } => {
                write!(f, "malformed header {header}: {reason}")
            }
            VerifyError::UnknownKid { kid, known } => write!(
                f,
                "no configured key has the id in X-Postal-Signature-Kid ({kid}); configured: {}. \
                 Has Postal's key changed? {WHERE_TO_GET_THE_KEY}",
                if known.is_empty() { "none".to_owned() } else { known.join(", ") }
            ),
            VerifyError::Sha1NotAllowed => f.write_str(
                "the request carries only the legacy SHA-1 signature X-Postal-Signature (Postal before 3.2); \
                 upgrade Postal, or accept SHA-1 signatures explicitly (`allow_sha1`)",
            ),
            VerifyError::Mismatch { header, keys_tried, hint } => {
                write!(f, "signature mismatch: {header} does not match the body under {keys_tried} key(s)")?;
                if let Some(hint) = hint {
                    write!(f, "; {hint}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for VerifyError {}
