//! [`Config`]: a deployment's settings from the environment, checked at startup.

use std::net::SocketAddr;

use crate::shared_error::SharedError;
use crate::verify::{KeyError, Verifier, WHERE_TO_GET_THE_KEY};

/// Listen address variable; default `127.0.0.1:3000`.
///
/// ```
/// use postal_hooks::config::{ADDR_VAR, Config, PUBLIC_KEY_VAR};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let config = Config::from_lookup(|name| match name {
///     ADDR_VAR => Some("0.0.0.0:8080".into()), // every interface, port 8080
///     PUBLIC_KEY_VAR => Some(key.into()),
///     _ => None,
/// })?;
/// assert_eq!(config.addr.port(), 8080);
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const ADDR_VAR: &str = "POSTAL_HOOKS_ADDR";

/// Postal's public key: PEM, a JWKS document or the DNS record, inline or as `@path`.
///
/// ```
/// use postal_hooks::config::{Config, PUBLIC_KEY_VAR};
///
/// // `@path` reads the key from a file (e.g. a mounted secret).
/// let key_file = concat!("@", env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem");
/// let config = Config::from_lookup(|name| (name == PUBLIC_KEY_VAR).then(|| key_file.to_owned()))?;
/// assert_eq!(config.verifier.keys()[0].bits(), 2048);
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const PUBLIC_KEY_VAR: &str = "POSTAL_PUBLIC_KEY";

/// `1` to accept legacy SHA-1-only signatures (Postal before 3.2).
///
/// ```
/// use postal_hooks::config::{ALLOW_SHA1_VAR, Config, PUBLIC_KEY_VAR};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let config = Config::from_lookup(|name| match name {
///     PUBLIC_KEY_VAR => Some(key.into()),
///     ALLOW_SHA1_VAR => Some("1".into()),
///     _ => None,
/// })?;
/// assert!(config.verifier.allows_sha1());
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const ALLOW_SHA1_VAR: &str = "POSTAL_ALLOW_SHA1";

/// A Redis URL to share idempotency records between replicas (in memory otherwise).
///
/// ```
/// use postal_hooks::config::{Config, PUBLIC_KEY_VAR, REDIS_URL_VAR};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let config = Config::from_lookup(|name| match name {
///     PUBLIC_KEY_VAR => Some(key.into()),
///     REDIS_URL_VAR => Some("redis://redis.internal:6379/0".into()),
///     _ => None,
/// })?;
/// assert_eq!(config.redis_url.as_deref(), Some("redis://redis.internal:6379/0"));
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const REDIS_URL_VAR: &str = "POSTAL_HOOKS_REDIS_URL";

/// The default listen address.
///
/// ```
/// use postal_hooks::config::{Config, DEFAULT_ADDR, PUBLIC_KEY_VAR};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// // Without `POSTAL_HOOKS_ADDR`: loopback only.
/// let config = Config::from_lookup(|name| (name == PUBLIC_KEY_VAR).then(|| key.to_owned()))?;
/// assert_eq!(config.addr.to_string(), DEFAULT_ADDR);
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// A receiver's settings as a deployment gives them, from environment variables:
///
/// | variable | meaning |
/// |---|---|
/// | `POSTAL_HOOKS_ADDR` | listen address, default `127.0.0.1:3000` |
/// | `POSTAL_PUBLIC_KEY` | Postal's public key: PEM, JWKS document or DNS record value, inline or `@path/to/file` (required) |
/// | `POSTAL_ALLOW_SHA1` | `1` to accept SHA-1-only signatures from Postal before 3.2 |
/// | `POSTAL_HOOKS_REDIS_URL` | Redis for idempotency records shared by replicas (feature `redis`; in memory when unset) |
///
/// ```
/// use postal_hooks::config::Config;
///
/// let config = Config::from_lookup(|name| match name {
///     "POSTAL_PUBLIC_KEY" => Some("v=DKIM1; t=s; h=sha256; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC3jpk3/xy+5g3BbVQcBBGsM7hbgEm6eeEeHwkMZMSHwKkW0vVJnNixF87SR9M8jNGTmM7lqOGI4Hisl7tUeNhmo2vHTZskwRw21+iq+oVZN4J9cW/xtcYO7uEb7KpiQ3rGOMb8KRCDn+YU3fZY+S+DPNhicchJth6t//j1uHpJlQIDAQAB;".into()),
///     _ => None,
/// })?;
/// assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
/// assert!(!config.verifier.allows_sha1());
///
/// let missing = Config::from_lookup(|_| None).unwrap_err();
/// assert!(missing.to_string().starts_with("POSTAL_PUBLIC_KEY is not set"));
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The verifier for Postal's key.
    pub verifier: Verifier,
    /// Where to keep idempotency records, if not in memory.
    pub redis_url: Option<String>,
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] that names the variable and says how to fix it; without a key,
    /// where to get Postal's.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (for tests, or another source than the environment).
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let addr_text = lookup(ADDR_VAR).unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr = addr_text.trim().parse().map_err(|_| ConfigError::Addr {
            value: addr_text.clone(),
        })?;
        let key_text = match lookup(PUBLIC_KEY_VAR) {
            None => return Err(ConfigError::MissingKey),
            Some(value) if value.trim().is_empty() => return Err(ConfigError::MissingKey),
            Some(value) => match value.trim().strip_prefix('@') {
                Some(path) => {
                    std::fs::read_to_string(path).map_err(|error| ConfigError::KeyFile {
                        path: path.to_owned(),
                        source: SharedError::new(error),
                    })?
                }
                None => value,
            },
        };
        let allow_sha1 = match lookup(ALLOW_SHA1_VAR).as_deref().map(str::trim) {
            None | Some("" | "0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => {
                return Err(ConfigError::AllowSha1 {
                    value: other.to_owned(),
                });
            }
        };
        let verifier = Verifier::from_key_text(&key_text)
            .map_err(ConfigError::Key)?
            .allow_sha1(allow_sha1);
        let redis_url = lookup(REDIS_URL_VAR)
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty());
        Ok(Config {
            addr,
            verifier,
            redis_url,
        })
    }
}

/// A setting that is missing or wrong.
///
/// ```
/// use postal_hooks::config::{ALLOW_SHA1_VAR, Config, ConfigError, PUBLIC_KEY_VAR};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let err = Config::from_lookup(|name| match name {
///     PUBLIC_KEY_VAR => Some(key.into()),
///     ALLOW_SHA1_VAR => Some("yes".into()),
///     _ => None,
/// })
/// .unwrap_err();
/// assert_eq!(err, ConfigError::AllowSha1 { value: "yes".into() });
/// assert_eq!(err.to_string(), r#"POSTAL_ALLOW_SHA1="yes": use 1 or 0"#); // print it and exit
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `POSTAL_PUBLIC_KEY` is not set.
    #[error(
        "{PUBLIC_KEY_VAR} is not set, and webhooks cannot be verified without Postal's public key. Set it to the key (PEM, JWKS document or DNS record value) or to @path/to/file; {where_to}",
        PUBLIC_KEY_VAR = PUBLIC_KEY_VAR,
        where_to = WHERE_TO_GET_THE_KEY
    )]
    MissingKey,
    /// `POSTAL_PUBLIC_KEY=@path` names a file that cannot be read.
    #[error("{PUBLIC_KEY_VAR}: cannot read {path}: {source}", PUBLIC_KEY_VAR = PUBLIC_KEY_VAR)]
    KeyFile {
        /// The path.
        path: String,
        /// Why it cannot be read: the `std::io::Error`.
        source: SharedError,
    },
    /// `POSTAL_PUBLIC_KEY` holds no usable key.
    #[error("{PUBLIC_KEY_VAR}: {0}", PUBLIC_KEY_VAR = PUBLIC_KEY_VAR)]
    Key(#[source] KeyError),
    /// `POSTAL_HOOKS_ADDR` is not `host:port`.
    #[error(
        "{ADDR_VAR}={value:?} is not an address like {DEFAULT_ADDR}",
        ADDR_VAR = ADDR_VAR,
        DEFAULT_ADDR = DEFAULT_ADDR
    )]
    Addr {
        /// The value given.
        value: String,
    },
    /// `POSTAL_ALLOW_SHA1` is not `1`, `0`, `true` or `false`.
    #[error("{ALLOW_SHA1_VAR}={value:?}: use 1 or 0", ALLOW_SHA1_VAR = ALLOW_SHA1_VAR)]
    AllowSha1 {
        /// The value given.
        value: String,
    },
}
