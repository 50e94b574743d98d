//! Stage 1 of the data path: the raw body is checked against Postal's signature before
//! anything reads it. A [`Verifier`] holds the [`PublicKey`]s it trusts.

#[cfg(feature = "dns")]
mod dns;
mod error;
mod key;
mod key_error;
mod pem;
#[cfg(feature = "jwks")]
mod remote;
mod reserialised;

use std::sync::Arc;

use base64::DecodeSliceError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// How long the JWKS URL's key set may stay unrefreshed at least, by default: 30 s
/// (`POSTAL_HOOKS_JWKS_MIN_REFRESH`).
pub const DEFAULT_JWKS_MIN_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);
#[cfg(feature = "dns")]
pub use dns::DEFAULT_DNS_TIMEOUT;
pub use error::VerifyError;
pub(crate) use error::WHERE_TO_GET_THE_KEY;
pub use key::{MAX_KEY_BITS, MIN_KEY_BITS, PublicKey};
pub use key_error::{
    DerError, DnsLookupError, DnsRecordError, FetchError, JwksError, KeyError, PemError,
};
#[cfg(feature = "testing")]
pub(crate) use pem::decode as decode_pem;
#[cfg(feature = "jwks")]
pub use remote::DEFAULT_JWKS_TIMEOUT;

use crate::headers::Headers;
use crate::shared_error::excerpt;

/// The SHA-256 signature header (Postal 3.2+).
///
/// ```
/// use postal_hooks::{SIGNATURE_256, SIGNATURE_KID, Verified, Verifier};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
/// # let signature = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json.sig256")).trim();
/// let verifier = Verifier::from_key_text(key)?;
/// // E.g. a test client, or headers taken from a framework that needs the names.
/// let keys = verifier.keys();
/// let headers = [(SIGNATURE_256, signature), (SIGNATURE_KID, keys[0].kid())];
/// assert!(matches!(verifier.verify(&headers, body)?, Verified::Sha256 { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const SIGNATURE_256: &str = "X-Postal-Signature-256";

/// The legacy SHA-1 signature header (every Postal version since 2017).
///
/// ```
/// use postal_hooks::{Headers, SIGNATURE_256, SIGNATURE_SHA1};
///
/// // A request from Postal before 3.2 carries only this header; see `SIGNATURE_256`.
/// let headers = [("x-postal-signature", "c2lnbmF0dXJl")];
/// assert!(headers.header(SIGNATURE_SHA1).is_some() && headers.header(SIGNATURE_256).is_none());
/// ```
pub const SIGNATURE_SHA1: &str = "X-Postal-Signature";

/// The key id header (Postal 3.2+), spelled as it arrives on the wire.
///
/// ```
/// use postal_hooks::{Headers, SIGNATURE_KID};
///
/// // Names which of Postal's keys signed (see `PublicKey::kid` and `SIGNATURE_256`).
/// let kid = "78d66404005aa63fe93defe2de44269a737a434d6a7c06a8d0f0f4db7da9d7b8";
/// let headers = [("x-postal-signature-kid", kid)]; // any case matches
/// assert_eq!(headers.header(SIGNATURE_KID), Some(kid.as_bytes()));
/// ```
pub const SIGNATURE_KID: &str = "X-Postal-Signature-Kid";

/// Checks Postal's RSA signatures over the raw request body.
///
/// Built from one or more [`PublicKey`]s (several Postal installations, or a key rotation):
/// the `X-Postal-Signature-Kid` header selects the key when present; without it every key
/// is tried in turn. `X-Postal-Signature-256` (RSA PKCS#1 v1.5, SHA-256) decides whenever it
/// is present; the legacy SHA-1 `X-Postal-Signature` alone is accepted only after
/// [`allow_sha1`](Self::allow_sha1) (Postal before 3.2 sends only that one).
///
/// It fails closed: it cannot be built without a key. For local development only,
/// [`Verifier::insecure_accept_unsigned`] accepts everything.
///
/// ```
/// use postal_hooks::Verifier;
///
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC3jpk3/xy+5g3BbVQcBBGsM7hb
/// gEm6eeEeHwkMZMSHwKkW0vVJnNixF87SR9M8jNGTmM7lqOGI4Hisl7tUeNhmo2vH
/// TZskwRw21+iq+oVZN4J9cW/xtcYO7uEb7KpiQ3rGOMb8KRCDn+YU3fZY+S+DPNhi
/// cchJth6t//j1uHpJlQIDAQAB
/// -----END PUBLIC KEY-----";
/// let verifier = Verifier::from_key_text(pem)?;
///
/// let body = br#"{"event":"MessageSent"}"#;
/// let headers = [("X-Postal-Signature-256", "bm90IGEgc2lnbmF0dXJl")];
/// let err = verifier.verify(&headers, body).unwrap_err();
/// assert!(err.to_string().starts_with("signature mismatch"));
/// # Ok::<(), postal_hooks::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Keys,
    allow_sha1: bool,
    insecure: bool,
}

/// Where the trusted keys come from.
#[derive(Clone)]
enum Keys {
    /// Given once.
    Fixed(Arc<[PublicKey]>),
    /// Fetched from Postal's JWKS URL, and fetched again on an unknown KID.
    #[cfg(feature = "jwks")]
    Remote(Arc<remote::Remote>),
}

/// Which check let a request through.
///
/// ```
/// use postal_hooks::{SIGNATURE_256, Verified, Verifier};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
/// # let headers = [(SIGNATURE_256, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json.sig256")).trim())];
/// let verifier = Verifier::from_key_text(key)?;
/// match verifier.verify(&headers, body)? {
///     Verified::Sha256 { kid } => assert_eq!(kid, "78d66404005aa63fe93defe2de44269a737a434d6a7c06a8d0f0f4db7da9d7b8"),
///     Verified::Sha1 { kid } => println!("legacy SHA-1 signature by {kid}: upgrade Postal"),
///     other => panic!("unexpected {other:?}"), // `Unverified`: an insecure verifier
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verified {
    /// `X-Postal-Signature-256` matched the key with this KID.
    Sha256 {
        /// The key's id.
        kid: String,
    },
    /// The legacy `X-Postal-Signature` matched (SHA-1 was allowed).
    Sha1 {
        /// The key's id.
        kid: String,
    },
    /// Nothing was checked: an insecure verifier.
    Unverified,
}

impl Verifier {
    /// Trusts `keys`.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoKeys`] when `keys` is empty: such a verifier would refuse everything,
    /// which is a setup mistake to report at startup.
    pub fn new(keys: impl IntoIterator<Item = PublicKey>) -> Result<Self, KeyError> {
        let keys: Vec<PublicKey> = keys.into_iter().collect();
        if keys.is_empty() {
            return Err(KeyError::NoKeys);
        }
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys: Keys::Fixed(keys.into()),
                allow_sha1: false,
                insecure: false,
            }),
        })
    }

    /// A verifier for keys known to be non-empty.
    #[cfg(feature = "testing")]
    pub(crate) fn from_keys_unchecked(keys: Vec<PublicKey>) -> Self {
        Verifier {
            inner: Arc::new(Inner {
                keys: Keys::Fixed(keys.into()),
                allow_sha1: false,
                insecure: false,
            }),
        }
    }

    /// Trusts every key in `text`: PEM, a JWKS document or Postal's DNS record (see
    /// [`PublicKey::parse_all`]).
    ///
    /// # Errors
    ///
    /// When the text holds no usable key.
    pub fn from_key_text(text: &str) -> Result<Self, KeyError> {
        Self::new(PublicKey::parse_all(text)?)
    }

    /// Trusts the keys served at Postal's JWKS URL,
    /// `https://<postal host>/.well-known/jwks.json` (feature `jwks`). They are fetched
    /// now, within `timeout` ([`DEFAULT_JWKS_TIMEOUT`], 10 s); then, when a request names
    /// a KID the set lacks, fetched again, at most once per `min_refresh`
    /// ([`DEFAULT_JWKS_MIN_REFRESH`], 30 s; `POSTAL_HOOKS_JWKS_MIN_REFRESH`), so a key
    /// rotated on Postal's side is accepted without a restart. A failed refresh keeps the
    /// last good set, and is logged. The request that triggered the refresh waits for it
    /// (inside [`Receiver::receive`](crate::Receiver::receive)), at most 3 s, so that it
    /// is still answered inside Postal's 5 s; other requests with an unknown KID in the
    /// meantime, or within the interval, are refused with 401, and Postal retries them
    /// (its next attempt comes 2 minutes or more later, SPEC §4). `min_refresh` is not
    /// bounded here; the setting refuses less than 1 s
    /// ([`MIN_JWKS_REFRESH`](crate::config::MIN_JWKS_REFRESH)), since a KID is read before
    /// the signature is checked.
    ///
    /// HTTPS goes through rustls with the Mozilla root certificates (`webpki-roots`).
    /// Plain `http://` is allowed only to a loopback host, for local testing. The startup
    /// fetch blocks the calling thread (call it before serving); redirects are not
    /// followed.
    ///
    /// # Errors
    ///
    /// [`KeyError::Fetch`] naming the URL and the cause: not `https://`, the request
    /// failed or timed out, a non-2xx status, or a document without a usable key.
    ///
    /// ```no_run
    /// use postal_hooks::Verifier;
    /// use postal_hooks::verify::{DEFAULT_JWKS_MIN_REFRESH, DEFAULT_JWKS_TIMEOUT};
    ///
    /// let verifier = Verifier::from_jwks_url(
    ///     "https://postal.example.com/.well-known/jwks.json",
    ///     DEFAULT_JWKS_TIMEOUT,
    ///     DEFAULT_JWKS_MIN_REFRESH,
    /// )?;
    /// println!("trusting {}", verifier.keys()[0].kid());
    /// # Ok::<(), postal_hooks::KeyError>(())
    /// ```
    #[cfg(feature = "jwks")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwks")))]
    pub fn from_jwks_url(
        url: &str,
        timeout: std::time::Duration,
        min_refresh: std::time::Duration,
    ) -> Result<Self, KeyError> {
        let remote = remote::Remote::fetch(url, timeout, min_refresh)?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys: Keys::Remote(Arc::new(remote)),
                allow_sha1: false,
                insecure: false,
            }),
        })
    }

    /// Trusts the key in Postal's DNS record for a return-path domain: the TXT record
    /// `postal._domainkey.<domain>` (`v=DKIM1; t=s; h=sha256; p=…;`, SPEC §3), looked up
    /// now with the system's resolver configuration (`/etc/resolv.conf`), or at `server`
    /// when given (`POSTAL_HOOKS_DNS_SERVER`), within `timeout` ([`DEFAULT_DNS_TIMEOUT`],
    /// 5 s). Feature `dns`. The key is read once: after a key rotation on Postal's side,
    /// restart (or use [`from_jwks_url`](Self::from_jwks_url), which refreshes).
    ///
    /// The lookup runs on a thread of its own with its own runtime, so it works inside or
    /// outside an async runtime; it blocks the caller until it ends.
    ///
    /// # Errors
    ///
    /// [`KeyError::Dns`] naming the record and the cause: the lookup failed or timed out,
    /// no TXT record holds a key, or the key cannot be used.
    ///
    /// ```no_run
    /// use postal_hooks::Verifier;
    /// use postal_hooks::verify::DEFAULT_DNS_TIMEOUT;
    ///
    /// let verifier = Verifier::from_dns("rp.example.com", None, DEFAULT_DNS_TIMEOUT)?;
    /// println!("trusting {}", verifier.keys()[0].kid());
    /// # Ok::<(), postal_hooks::KeyError>(())
    /// ```
    #[cfg(feature = "dns")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dns")))]
    pub fn from_dns(
        domain: &str,
        server: Option<std::net::SocketAddr>,
        timeout: std::time::Duration,
    ) -> Result<Self, KeyError> {
        Self::new([dns::lookup(domain, server, timeout)?])
    }

    /// The JWKS URL the keys come from, when they do ([`from_jwks_url`](Self::from_jwks_url)).
    pub fn jwks_url(&self) -> Option<&str> {
        match &self.inner.keys {
            Keys::Fixed(_) => None,
            #[cfg(feature = "jwks")]
            Keys::Remote(remote) => Some(remote.url()),
        }
    }

    /// How many times the JWKS URL was fetched, the startup fetch included (0 for keys
    /// given otherwise).
    pub fn jwks_fetches(&self) -> u64 {
        match &self.inner.keys {
            Keys::Fixed(_) => 0,
            #[cfg(feature = "jwks")]
            Keys::Remote(remote) => remote.fetches(),
        }
    }

    /// The shortest time between two fetches of the JWKS URL, when the keys come from one.
    pub fn jwks_min_refresh(&self) -> Option<std::time::Duration> {
        match &self.inner.keys {
            Keys::Fixed(_) => None,
            #[cfg(feature = "jwks")]
            Keys::Remote(remote) => Some(remote.min_refresh()),
        }
    }

    /// After a request named an unknown KID: fetches the JWKS URL again if the keys come
    /// from one and the refresh interval has passed (the caller then looks the KID up
    /// again, since another request's refresh may have landed meanwhile).
    pub(crate) async fn refresh_keys(&self) {
        match &self.inner.keys {
            Keys::Fixed(_) => {}
            #[cfg(feature = "jwks")]
            Keys::Remote(remote) => remote.refresh().await,
        }
    }

    /// **For local development only:** accepts every request, signed or not. Never deploy
    /// it: anyone could then forge a bounce and empty your mailing list.
    pub fn insecure_accept_unsigned() -> Self {
        Verifier {
            inner: Arc::new(Inner {
                keys: Keys::Fixed(Arc::new([])),
                allow_sha1: true,
                insecure: true,
            }),
        }
    }

    /// Also accepts requests that carry only the legacy SHA-1 signature (Postal before 3.2).
    /// A request with an `X-Postal-Signature-256` is still judged by it alone.
    pub fn allow_sha1(self, allow: bool) -> Self {
        let inner = &self.inner;
        Verifier {
            inner: Arc::new(Inner {
                keys: inner.keys.clone(),
                allow_sha1: allow,
                insecure: inner.insecure,
            }),
        }
    }

    /// The trusted keys: for keys from a JWKS URL, the set as last fetched.
    pub fn keys(&self) -> Arc<[PublicKey]> {
        match &self.inner.keys {
            Keys::Fixed(keys) => Arc::clone(keys),
            #[cfg(feature = "jwks")]
            Keys::Remote(remote) => remote.keys(),
        }
    }

    /// Whether legacy SHA-1 signatures are accepted.
    pub fn allows_sha1(&self) -> bool {
        self.inner.allow_sha1
    }

    /// Whether this verifier checks nothing ([`insecure_accept_unsigned`](Self::insecure_accept_unsigned)).
    pub fn is_insecure(&self) -> bool {
        self.inner.insecure
    }

    /// Checks the request's signature over `body`, the raw bytes exactly as received.
    ///
    /// # Errors
    ///
    /// A [`VerifyError`] naming what is wrong: a missing header, malformed base64, an
    /// unknown KID, a SHA-1-only request when SHA-1 is not allowed, or a mismatch (with a
    /// hint when the body looks re-serialised).
    pub fn verify(&self, headers: &impl Headers, body: &[u8]) -> Result<Verified, VerifyError> {
        self.with_keys(|keys| {
            Ok(match self.check_with(keys, headers, body)? {
                Some((key, Algorithm::Sha256)) => Verified::Sha256 {
                    kid: key.kid().to_owned(),
                },
                Some((key, Algorithm::Sha1)) => Verified::Sha1 {
                    kid: key.kid().to_owned(),
                },
                None => Verified::Unverified,
            })
        })
    }

    /// [`verify`](Self::verify) without allocating on success.
    pub(crate) fn check(&self, headers: &impl Headers, body: &[u8]) -> Result<(), VerifyError> {
        self.with_keys(|keys| self.check_with(keys, headers, body).map(|_| ()))
    }

    /// Runs `f` with the current keys (borrowed when fixed; the set as last fetched
    /// otherwise).
    fn with_keys<R>(&self, f: impl FnOnce(&[PublicKey]) -> R) -> R {
        match &self.inner.keys {
            Keys::Fixed(keys) => f(keys),
            #[cfg(feature = "jwks")]
            Keys::Remote(remote) => f(&remote.keys()),
        }
    }

    /// The key that verified, and how (`None` for an insecure verifier).
    fn check_with<'k>(
        &self,
        keys: &'k [PublicKey],
        headers: &impl Headers,
        body: &[u8],
    ) -> Result<Option<(&'k PublicKey, Algorithm)>, VerifyError> {
        if self.inner.insecure {
            return Ok(None);
        }
        let kid = requested_kid(keys, headers)?;
        // The SHA-256 signature decides whenever it is present: no downgrade to SHA-1.
        let (header, signature, algorithm) = match headers.header(SIGNATURE_256) {
            Some(signature) => (SIGNATURE_256, signature, Algorithm::Sha256),
            None => match headers.header(SIGNATURE_SHA1) {
                Some(_) if !self.inner.allow_sha1 => return Err(VerifyError::Sha1NotAllowed),
                Some(signature) => (SIGNATURE_SHA1, signature, Algorithm::Sha1),
                None => return Err(VerifyError::MissingSignature),
            },
        };
        // An RSA signature is as long as the key's modulus: 1024 bytes for the largest key
        // accepted (8192 bits). Decoded on the stack.
        let mut buffer = [0u8; MAX_SIGNATURE_BYTES];
        let malformed = |reason: String| VerifyError::MalformedSignature { header, reason };
        let length =
            STANDARD
                .decode_slice(signature, &mut buffer)
                .map_err(|error| match error {
                    DecodeSliceError::DecodeError(error) => {
                        malformed(format!("not standard base64 ({error})"))
                    }
                    DecodeSliceError::OutputSliceTooSmall => malformed(format!(
                        "longer than the {MAX_SIGNATURE_BYTES} bytes of the largest RSA signature \
                     accepted (8192-bit key)"
                    )),
                })?;
        let signature = buffer.get(..length).unwrap_or_default();
        let mut keys_tried = 0;
        let candidates = keys
            .iter()
            .filter(|key| kid.is_none_or(|kid| key.kid().eq_ignore_ascii_case(kid)));
        for key in candidates {
            keys_tried += 1;
            let parsed = match algorithm {
                Algorithm::Sha256 => &key.sha256,
                Algorithm::Sha1 => &key.sha1,
            };
            if parsed.verifies(body, signature) {
                return Ok(Some((key, algorithm)));
            }
        }
        Err(VerifyError::Mismatch {
            header,
            keys_tried,
            hint: reserialised::hint(body),
        })
    }
}

/// The KID header, when present, checked against `keys`.
fn requested_kid<'h>(
    keys: &[PublicKey],
    headers: &'h impl Headers,
) -> Result<Option<&'h str>, VerifyError> {
    let Some(raw) = headers.header(SIGNATURE_KID) else {
        return Ok(None);
    };
    let kid = std::str::from_utf8(raw.trim_ascii()).ok();
    match kid {
        Some(kid) if keys.iter().any(|key| key.kid().eq_ignore_ascii_case(kid)) => Ok(Some(kid)),
        _ => Err(VerifyError::UnknownKid {
            kid: excerpt(String::from_utf8_lossy(raw).trim()),
            known: keys.iter().map(|key| key.kid().to_owned()).collect(),
        }),
    }
}

/// Which signature header decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Sha256,
    Sha1,
}

/// The longest signature accepted: that of an 8192-bit key.
const MAX_SIGNATURE_BYTES: usize = 8192 / 8;

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys())
            .field("jwks_url", &self.jwks_url())
            .field("allow_sha1", &self.inner.allow_sha1)
            .field("insecure", &self.inner.insecure)
            .finish()
    }
}
