//! [`PublicKey`]: Postal's signing key, read once from whichever form the user has.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use der::{Decode, Encode};
use pkcs1::RsaPublicKeyRef;
use spki::SubjectPublicKeyInfoRef;

use super::key_error::{DerError, DnsRecordError, JwksError, KeyError, PemError};
use super::pem;
use crate::crypto::{Digest, RsaKey};
use crate::shared_error::SharedError;

/// The smallest RSA modulus accepted: Postal's official installer generates 1024-bit keys.
///
/// ```
/// use postal_hooks::{KeyError, MIN_KEY_BITS, PublicKey};
///
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// assert!(PublicKey::from_pem(pem)?.bits() >= MIN_KEY_BITS);
/// // A 512-bit key (the `p=` value of a DNS record) is refused.
/// let small = "p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANTf3E4R/fUtSx5VIx9VdfUyciU4OiVS/nVDV+oFdvtXJWTSQ1suqm0piWQDCIJ00sZImYV6XfmU2/VZHYYD5UMCAwEAAQ==";
/// assert_eq!(PublicKey::from_dns_record(small).unwrap_err(), KeyError::TooSmall { bits: 512 });
/// # Ok::<(), KeyError>(())
/// ```
pub const MIN_KEY_BITS: usize = 1024;

/// The largest RSA key accepted, in bits: aws-lc-rs verifies signatures of keys up to 8192
/// bits, so a larger key would be accepted at startup and then fail every request.
///
/// ```
/// use postal_hooks::{KeyError, MAX_KEY_BITS, PublicKey};
/// use base64::Engine;
///
/// assert_eq!(MAX_KEY_BITS, 8192);
/// // A 9000-bit modulus from a JWKS document is refused when it is read.
/// let mut n = vec![0xffu8; 9000 / 8];
/// n[0] = 0x80;
/// let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n);
/// assert_eq!(PublicKey::from_jwk_components(&n, "AQAB").unwrap_err(), KeyError::TooLarge { bits: 9000 });
/// ```
pub const MAX_KEY_BITS: usize = 8192;

/// One of Postal's RSA public keys, parsed once and ready to verify signatures.
///
/// Postal has one signing key per installation. Build it from what you have:
///
/// | you have | use |
/// |---|---|
/// | `GET https://<postal>/.well-known/jwks.json` (Postal ≥ 3.2) | [`PublicKey::from_jwks`] |
/// | the DNS TXT record `postal._domainkey.<return-path domain>` | [`PublicKey::from_dns_record`] |
/// | a PEM from your admin (`openssl rsa -in signing.key -pubout`) | [`PublicKey::from_pem`] |
/// | any of these as text (a config value) | [`PublicKey::parse_all`] |
///
/// Keys of 1024 bits (the size Postal's installer generates) to 8192 bits are accepted.
///
/// ```
/// use postal_hooks::PublicKey;
///
/// let record = "v=DKIM1; t=s; h=sha256; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC3jpk3/xy+5g3BbVQcBBGsM7hbgEm6eeEeHwkMZMSHwKkW0vVJnNixF87SR9M8jNGTmM7lqOGI4Hisl7tUeNhmo2vHTZskwRw21+iq+oVZN4J9cW/xtcYO7uEb7KpiQ3rGOMb8KRCDn+YU3fZY+S+DPNhicchJth6t//j1uHpJlQIDAQAB;";
/// let key = PublicKey::from_dns_record(record)?;
/// assert_eq!(key.bits(), 1024);
/// assert_eq!(key.kid(), "f91bbe950ee40f1f05661658251d98ff84bd3537e335a86dd75e0d590ef8aed0");
/// # Ok::<(), postal_hooks::KeyError>(())
/// ```
#[derive(Clone)]
pub struct PublicKey {
    kid: String,
    bits: usize,
    /// The DER `RSAPublicKey` (PKCS#1), for [`to_pem`](Self::to_pem).
    pkcs1: std::sync::Arc<[u8]>,
    pub(crate) sha256: RsaKey,
    pub(crate) sha1: RsaKey,
}

impl PublicKey {
    /// From the DER `RSAPublicKey` (PKCS#1): `SEQUENCE { n, e }`.
    ///
    /// # Errors
    ///
    /// When the bytes are not an RSA public key, or the key is under 1024 bits or over 8192.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = RsaPublicKeyRef::from_der(der).map_err(der_error)?;
        let bits = modulus_bits(key.modulus.as_bytes());
        if bits < MIN_KEY_BITS {
            return Err(KeyError::TooSmall { bits });
        }
        if bits > MAX_KEY_BITS {
            return Err(KeyError::TooLarge { bits });
        }
        let parse = |digest| RsaKey::new(der, digest).map_err(KeyError::Rejected);
        Ok(PublicKey {
            kid: kid_of(der),
            bits,
            pkcs1: der.into(),
            sha256: parse(Digest::Sha256)?,
            sha1: parse(Digest::Sha1)?,
        })
    }

    /// From a DER `SubjectPublicKeyInfo`: a `-----BEGIN PUBLIC KEY-----` body, or the `p=` of
    /// Postal's DNS record, base64-decoded.
    ///
    /// # Errors
    ///
    /// When the bytes are not an RSA `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(der_error)?;
        if spki.algorithm.oid != pkcs1::ALGORITHM_OID {
            return Err(KeyError::NotRsa {
                algorithm: spki.algorithm.oid.to_string(),
            });
        }
        let pkcs1 = spki
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::Der(DerError::BitStringNotOctets))?;
        Self::from_pkcs1_der(pkcs1)
    }

    /// From PEM: `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo, what
    /// `openssl rsa -pubout` writes) or `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1), with
    /// base64 lines of any width, as OpenSSL reads them (RFC 7468 §2).
    ///
    /// # Errors
    ///
    /// When the text is not one PEM block of either kind.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem::decode(pem).map_err(KeyError::Pem)?;
        match label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(&der),
            "RSA PRIVATE KEY" | "PRIVATE KEY" => Err(KeyError::Pem(PemError::PrivateKey)),
            other => Err(KeyError::Pem(PemError::Label {
                expected: "`PUBLIC KEY` or `RSA PUBLIC KEY`",
                found: other.to_owned(),
            })),
        }
    }

    /// From Postal's DNS TXT record, `v=DKIM1; t=s; h=sha256; p=<base64>;`, or just its
    /// `p=` value. A record split into several quoted strings (as DNS returns a 2048-bit
    /// one) is joined first.
    ///
    /// # Errors
    ///
    /// When there is no `p=` value or it is not a base64 RSA key.
    pub fn from_dns_record(record: &str) -> Result<Self, KeyError> {
        let joined: String = record.split('"').collect::<Vec<_>>().concat();
        let joined = joined.trim();
        let value = if is_tag_list(joined) {
            joined
                .split(';')
                .map(str::trim)
                .find_map(|tag| tag.strip_prefix("p="))
                .ok_or(KeyError::DnsRecord(DnsRecordError::NoPublicKeyTag))?
        } else {
            joined
        };
        let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(KeyError::DnsRecord(DnsRecordError::Revoked));
        }
        let der = STANDARD
            .decode(&compact)
            .map_err(|e| KeyError::DnsRecord(DnsRecordError::Base64(e)))?;
        Self::from_spki_der(&der)
    }

    /// From a JWK's `n` and `e` (base64url, as in Postal's `/.well-known/jwks.json`).
    ///
    /// # Errors
    ///
    /// When `n` or `e` is not base64url or does not make an RSA key.
    pub fn from_jwk_components(n: &str, e: &str) -> Result<Self, KeyError> {
        let decode = |component: &'static str, value: &str| {
            URL_SAFE_NO_PAD
                .decode(value.trim_end_matches('='))
                .map_err(|source| KeyError::Jwks(JwksError::Base64 { component, source }))
        };
        let (n, e) = (decode("n", n)?, decode("e", e)?);
        let der = RsaPublicKeyRef {
            modulus: jwk_uint(&n)?,
            public_exponent: jwk_uint(&e)?,
        }
        .to_der()
        .map_err(jwk_integer_error)?;
        Self::from_pkcs1_der(&der)
    }

    /// Every RSA key of a JWKS document (`{"keys":[…]}`, what Postal serves at
    /// `/.well-known/jwks.json`) or of a single JWK object.
    ///
    /// # Errors
    ///
    /// When the JSON is not a JWKS, or holds no usable RSA key.
    pub fn from_jwks(json: &str) -> Result<Vec<Self>, KeyError> {
        #[derive(serde::Deserialize)]
        struct Jwk {
            kty: String,
            n: Option<String>,
            e: Option<String>,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Document {
            Set { keys: Vec<Jwk> },
            Single(Jwk),
        }
        let document: Document = serde_json::from_str(json)
            .map_err(|e| KeyError::Jwks(JwksError::Json(SharedError::new(e))))?;
        let jwks = match document {
            Document::Set { keys } => keys,
            Document::Single(jwk) => vec![jwk],
        };
        let keys = jwks
            .into_iter()
            .filter(|jwk| jwk.kty == "RSA")
            .map(|jwk| match (jwk.n, jwk.e) {
                (Some(n), Some(e)) => Self::from_jwk_components(&n, &e),
                _ => Err(KeyError::Jwks(JwksError::MissingComponents)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(KeyError::Jwks(JwksError::NoRsaKey));
        }
        Ok(keys)
    }

    /// Reads every key in `text`, whatever its form: one or more PEM blocks, a JWKS
    /// document, or Postal's DNS record (or its bare `p=` value).
    ///
    /// ```
    /// # use postal_hooks::PublicKey;
    /// let jwks = r#"{"keys":[{"kty":"RSA","n":"t46ZN_8cvuYNwW1UHAQRrDO4W4BJunnhHh8JDGTEh8CpFtL1SZzYsRfO0kfTPIzRk5jO5ajhiOB4rJe7VHjYZqNrx02bJMEcNtfoqvqFWTeCfXFv8bXGDu7hG-yqYkN6xjjG_CkQg5_mFN32WPkvgzzYYnHISbYerf_49bh6SZU","e":"AQAB","use":"sig","alg":"RS256"}]}"#;
    /// let keys = PublicKey::parse_all(jwks)?;
    /// assert_eq!(keys[0].kid(), "f91bbe950ee40f1f05661658251d98ff84bd3537e335a86dd75e0d590ef8aed0");
    /// # Ok::<(), postal_hooks::KeyError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`KeyError`] saying which form was recognised and what is wrong with it, or, when
    /// none was, which forms are accepted and where to get Postal's key.
    pub fn parse_all(text: &str) -> Result<Vec<Self>, KeyError> {
        let text = text.trim();
        // OpenSSL reads past text before the first block (a note, a heading); so do we.
        if text.contains("-----BEGIN") {
            let keys = pem_blocks(text)
                .map(Self::from_pem)
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                // A block with no `-----END` line: a value cut at its first line, as some
                // `.env` loaders do. Say what is wrong with it, not "no key".
                return Self::from_pem(text).map(|key| vec![key]);
            }
            return Ok(keys);
        }
        if text.starts_with('{') {
            return Self::from_jwks(text);
        }
        if text.contains("p=") || looks_like_bare_base64(text) {
            return Self::from_dns_record(text).map(|key| vec![key]);
        }
        Err(KeyError::NotRecognised)
    }

    /// The key id Postal sends in `X-Postal-Signature-Kid`: lowercase hex SHA-256 of the
    /// DER PKCS#1 `RSAPublicKey`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key as PEM: a `-----BEGIN PUBLIC KEY-----` block (SubjectPublicKeyInfo, RFC
    /// 7468 §13), what `openssl rsa -pubout` writes and [`from_pem`](Self::from_pem) reads.
    ///
    /// ```
    /// use postal_hooks::PublicKey;
    ///
    /// # let jwks = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/jwks.json"));
    /// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
    /// let key = PublicKey::from_jwks(jwks)?.remove(0); // e.g. fetched from Postal
    /// assert!(key.to_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
    /// assert_eq!(key.to_pem().trim(), pem.trim());
    /// assert_eq!(PublicKey::from_pem(&key.to_pem())?, key);
    /// # Ok::<(), postal_hooks::KeyError>(())
    /// ```
    pub fn to_pem(&self) -> String {
        let spki = SubjectPublicKeyInfoRef {
            algorithm: spki::AlgorithmIdentifierRef {
                oid: pkcs1::ALGORITHM_OID,
                parameters: Some(der::asn1::AnyRef::NULL),
            },
            subject_public_key: match der::asn1::BitStringRef::from_bytes(&self.pkcs1) {
                Ok(bits) => bits,
                // Any byte string is a whole-octet bit string.
                Err(_) => return String::new(),
            },
        };
        spki.to_der()
            .ok()
            .and_then(|der| {
                pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &der).ok()
            })
            .unwrap_or_default()
    }

    /// The modulus size in bits (1024 for keys from Postal's installer).
    pub fn bits(&self) -> usize {
        self.bits
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits)
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid
    }
}

impl Eq for PublicKey {}

fn jwk_uint(bytes: &[u8]) -> Result<der::asn1::UintRef<'_>, KeyError> {
    der::asn1::UintRef::new(bytes).map_err(jwk_integer_error)
}

fn jwk_integer_error(error: der::Error) -> KeyError {
    KeyError::Jwks(JwksError::Integer(SharedError::new(error)))
}

fn der_error(error: der::Error) -> KeyError {
    KeyError::Der(DerError::Decode(SharedError::new(error)))
}

/// Lowercase hex SHA-256 of the DER PKCS#1 key, as ruby-jwt computes Postal's KID.
fn kid_of(pkcs1_der: &[u8]) -> String {
    crate::crypto::hex(&crate::crypto::sha256(pkcs1_der))
}

/// Bits in a big-endian unsigned integer.
fn modulus_bits(bytes: &[u8]) -> usize {
    let significant = bytes
        .iter()
        .position(|&byte| byte != 0)
        .map_or(&[][..], |start| bytes.get(start..).unwrap_or_default());
    match significant.first() {
        Some(&top) => significant.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

/// `v=DKIM1; t=s; p=…` or a lone `p=…`: DKIM-style `tag=value` pairs, not bare base64
/// (whose only `=` is padding at the very end).
fn is_tag_list(text: &str) -> bool {
    text.contains(';')
        || text.split_once('=').is_some_and(|(tag, _)| {
            let tag = tag.trim();
            (1..=8).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

fn looks_like_bare_base64(text: &str) -> bool {
    text.len() > 100
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b' ' | b'\n' | b'\r')
        })
}

/// Each `-----BEGIN …-----` … `-----END …-----` block of `text`.
fn pem_blocks(text: &str) -> PemBlocks<'_> {
    PemBlocks { rest: text }
}

struct PemBlocks<'a> {
    rest: &'a str,
}

impl<'a> Iterator for PemBlocks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let start = self.rest.find("-----BEGIN")?;
        let after_start = self.rest.get(start..)?;
        let end_marker = after_start.find("-----END")?;
        let after_end = after_start.get(end_marker + "-----END".len()..)?;
        let close = after_end
            .find("-----")
            .map_or(after_end.len(), |i| i + "-----".len());
        let block_len = end_marker + "-----END".len() + close;
        let block = after_start.get(..block_len)?;
        self.rest = after_start.get(block_len..).unwrap_or_default();
        Some(block)
    }
}
