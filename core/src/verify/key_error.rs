//! [`KeyError`]: why a public key could not be read or used, with the typed cause from
//! the PEM, DER, base64, JSON or RSA library that refused it.

use super::error::WHERE_TO_GET_THE_KEY;
use crate::shared_error::{SharedError, prefixed};

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
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No key at all: a verifier without keys would refuse every request.
    #[error(
        "no Postal public key is configured, so every webhook would be refused: {where_to}",
        where_to = WHERE_TO_GET_THE_KEY
    )]
    NoKeys,
    /// The text is none of the accepted forms.
    #[error(
        "not a public key: expected PEM (`-----BEGIN PUBLIC KEY-----`), a JWKS document (`{{\"keys\":[…]}}`) or Postal's DNS record (`v=DKIM1; t=s; h=sha256; p=…;`); {where_to}",
        where_to = WHERE_TO_GET_THE_KEY
    )]
    NotRecognised,
    /// A public key where a private key is needed: signing (the test
    /// [`Signer`](crate::testing::Signer), `postal-hooks send --key`) needs Postal's
    /// private `signing.key`.
    #[error(
        "this is a public key (`{found}`); signing needs the private key, such as Postal's signing.key (`-----BEGIN RSA PRIVATE KEY-----`)"
    )]
    NotPrivate {
        /// The PEM label found.
        found: String,
    },
    /// A PEM block that cannot be read, or of the wrong kind (RFC 7468).
    #[error("invalid PEM public key: {0}")]
    Pem(#[source] PemError),
    /// DER bytes that are not an RSA public key.
    #[error("invalid RSA public key: {0}")]
    Der(#[source] DerError),
    /// A key for another algorithm than RSA (its OID).
    #[error("the key is not an RSA key (algorithm {algorithm}); Postal signs with RSA")]
    NotRsa {
        /// The algorithm OID found.
        algorithm: String,
    },
    /// An RSA key under 1024 bits.
    #[error("the RSA key has {bits} bits; keys under 1024 bits are refused")]
    TooSmall {
        /// Its size.
        bits: usize,
    },
    /// An RSA key over 8192 bits, which no signature check could use.
    #[error(
        "the RSA key has {bits} bits; keys over 8192 bits are refused, since no signature could be checked with them"
    )]
    TooLarge {
        /// Its size.
        bits: usize,
    },
    /// The RSA backend (aws-lc-rs) rejected the key: its `KeyRejected` is the cause. ring
    /// checks keys only when verifying, so with it this does not happen.
    #[error("the RSA key was rejected: {0}")]
    Rejected(#[source] SharedError),
    /// A JWKS document that cannot be used (RFC 7517).
    #[error("invalid JWKS document: {0}")]
    Jwks(#[source] JwksError),
    /// A DNS record that cannot be used.
    #[error("invalid DNS key record: {0}")]
    DnsRecord(#[source] DnsRecordError),
    /// Postal's DNS record could not be read, or held no usable key (feature `dns`; see
    /// [`Verifier::from_dns`](crate::Verifier::from_dns)).
    #[error("cannot read Postal's key from the DNS record {name}: {cause}")]
    Dns {
        /// The record's name, `postal._domainkey.<domain>.`.
        name: String,
        /// What went wrong.
        #[source]
        cause: DnsLookupError,
    },
    /// Postal's JWKS URL could not be fetched, or did not hold a usable key set (feature
    /// `jwks`; see [`Verifier::from_jwks_url`](crate::Verifier::from_jwks_url)).
    #[error("cannot fetch Postal's keys from {url}: {cause}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        #[source]
        cause: FetchError,
    },
}

/// Why Postal's DNS record gave no key ([`KeyError::Dns`]).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsLookupError {
    /// The lookup failed: no such name, no answer within the timeout, or no resolver.
    #[error("{0}")]
    Lookup(#[source] SharedError),
    /// TXT records were found, but none holds a key (`p=`).
    #[error("{found} TXT record(s), none with a key (`p=…`)")]
    NoKeyRecord {
        /// How many TXT records there were.
        found: usize,
    },
    /// The record's key cannot be used.
    #[error("{0}")]
    Record(#[source] Box<KeyError>),
}

/// Why Postal's JWKS URL gave no key set ([`KeyError::Fetch`]).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Not a URL at all.
    #[error("not a usable URL: {0}")]
    Url(#[source] SharedError),
    /// Not an `https://` URL with a host.
    #[error("not an https:// URL with a host")]
    NotHttps,
    /// `http://` to a host that is not loopback: keys must not travel in clear text.
    #[error("plain http:// is allowed only for a loopback host (local testing); use https://")]
    PlainHttp,
    /// The request failed: DNS, connection, TLS, or the timeout.
    #[error("{0}")]
    Request(#[source] SharedError),
    /// The server answered with a redirect, which is not followed: give the URL it
    /// points to.
    #[error(
        "the server answered HTTP {status}, a redirect{}; redirects are not followed, so give the final URL",
        prefixed(" to ", .location.as_deref())
    )]
    Redirect {
        /// The HTTP status.
        status: u16,
        /// Its `Location` header, if any.
        location: Option<String>,
    },
    /// The server answered with a status other than 2xx.
    #[error("the server answered HTTP {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The document holds no usable key.
    #[error("{0}")]
    Document(#[source] Box<KeyError>),
}

/// What is wrong with a PEM block ([`KeyError::Pem`]).
///
/// ```
/// use postal_hooks::{KeyError, PublicKey, verify::PemError};
///
/// let private = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----";
/// assert_eq!(PublicKey::from_pem(private).unwrap_err(), KeyError::Pem(PemError::PrivateKey));
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// Not RFC 7468 PEM: no `-----BEGIN …-----` line, bad base64, a mismatched end line.
    #[error("{0}")]
    Decode(#[from] pem_rfc7468::Error),
    /// The PEM's line breaks became spaces (a key pasted into a one-line setting).
    #[error(
        "its line breaks became spaces: keep the key on its lines (`-----BEGIN PUBLIC KEY-----`, the base64 lines, `-----END PUBLIC KEY-----`), or give it as a file, POSTAL_PUBLIC_KEY=@path/to/key.pem"
    )]
    LineBreaksBecameSpaces,
    /// The PEM holds a literal `\n` where its line breaks belong.
    #[error(
        "it holds a literal `\\n` where its line breaks belong (an environment variable written with escaped newlines): use real line breaks, or give it as a file, POSTAL_PUBLIC_KEY=@path/to/key.pem"
    )]
    EscapedNewlines,
    /// A private key where the public key belongs.
    #[error(
        "this is a private key: give the receiver only the public key (`openssl rsa -in signing.key -pubout`)"
    )]
    PrivateKey,
    /// A PEM block of another kind.
    #[error("expected {expected}, found `{found}`")]
    Label {
        /// The labels accepted.
        expected: &'static str,
        /// The label found.
        found: String,
    },
}

/// What is wrong with DER bytes ([`KeyError::Der`]).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DerError {
    /// The DER decoder refused the bytes (`der::Error`, or the `pkcs1`/`pkcs8` error of a
    /// private key); reach it with [`SharedError::downcast_ref`].
    #[error("{0}")]
    Decode(#[source] SharedError),
    /// The `SubjectPublicKeyInfo` bit string has unused bits, so it holds no DER key.
    #[error("the public key bit string is not whole bytes")]
    BitStringNotOctets,
}

/// What is wrong with a JWKS document or JWK ([`KeyError::Jwks`], RFC 7517 and RFC 7518
/// §6.3).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// Not JSON of the shape `{"keys":[…]}` or a single JWK; the cause is `serde_json`'s.
    #[error("{0}")]
    Json(#[source] SharedError),
    /// `n` or `e` is not base64url.
    #[error("`{component}` is not base64url: {source}")]
    Base64 {
        /// `n` or `e`.
        component: &'static str,
        /// The decoder's error.
        source: base64::DecodeError,
    },
    /// `n` or `e` does not make a DER integer.
    #[error("{0}")]
    Integer(#[source] SharedError),
    /// An RSA key without `n` or `e`.
    #[error("an RSA key without `n` or `e`")]
    MissingComponents,
    /// No key with `"kty":"RSA"`.
    #[error("the document holds no RSA key")]
    NoRsaKey,
}

/// What is wrong with Postal's DNS record ([`KeyError::DnsRecord`]).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsRecordError {
    /// A tag list (`v=DKIM1; …`) without `p=`.
    #[error("no `p=` tag in the record")]
    NoPublicKeyTag,
    /// `p=` with no value: the key was revoked (RFC 6376 §3.6.1).
    #[error("the `p=` tag is empty (a revoked key)")]
    Revoked,
    /// `p=` is not standard base64.
    #[error("`p=` is not base64: {0}")]
    Base64(#[source] base64::DecodeError),
}

crate::error_report::debug_as_report!(
    KeyError,
    PemError,
    DerError,
    JwksError,
    DnsRecordError,
    FetchError,
    DnsLookupError
);
