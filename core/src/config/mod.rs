//! [`Config`]: a deployment's settings from the environment, checked at startup.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::shared_error::SharedError;
use crate::verify::{KeyError, Verifier, WHERE_TO_GET_THE_KEY};

mod key_source;

pub use key_source::{dns_server, key_source_verifier};

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

/// Postal's public key: PEM, a JWKS document or the DNS record, inline or as `@path`; or
/// Postal's JWKS URL, `https://<postal host>/.well-known/jwks.json`, fetched at startup
/// and again when a request names an unknown KID (feature `jwks`; see
/// [`Verifier::from_jwks_url`](crate::Verifier::from_jwks_url)); or `dns:<return-path
/// domain>`, the TXT record `postal._domainkey.<domain>` read at startup (feature `dns`;
/// see [`Verifier::from_dns`](crate::Verifier::from_dns)).
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

/// With `POSTAL_PUBLIC_KEY=dns:<domain>`: the DNS server to ask, `ip:port`, instead of the
/// system's resolver configuration (split DNS, or a test). Feature `dns`.
pub const DNS_SERVER_VAR: &str = "POSTAL_HOOKS_DNS_SERVER";

/// With `POSTAL_PUBLIC_KEY` set to a JWKS URL: the shortest time between two fetches
/// that an unknown KID triggers, humantime. Default `30s`.
pub const JWKS_MIN_REFRESH_VAR: &str = "POSTAL_HOOKS_JWKS_MIN_REFRESH";

pub use crate::verify::DEFAULT_JWKS_MIN_REFRESH;

/// The shortest `POSTAL_HOOKS_JWKS_MIN_REFRESH` accepted: 1 s. A request's KID is read
/// before its signature is checked, so a shorter interval would let every forged request
/// with a random KID start a fetch.
pub const MIN_JWKS_REFRESH: Duration = Duration::from_secs(1);

/// The shortest `POSTAL_HOOKS_REPLAY_WINDOW` accepted: 40 minutes, Postal's full retry
/// span with its polling and timeouts (SPEC §3.5, step 6). A shorter window refuses
/// Postal's own retries; `0` would refuse everything (write `off` for no window).
pub const MIN_REPLAY_WINDOW: Duration = Duration::from_secs(40 * 60);

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

/// Where deliveries are stored before their handlers run: unset for none (handlers run
/// inline, in the request), a directory path for the embedded inbox (created if missing),
/// or `redis` for the inbox in the Redis at `POSTAL_HOOKS_REDIS_URL` (see
/// [`inbox`](crate::inbox); feature `inbox`).
///
/// ```
/// use postal_hooks::config::{Config, INBOX_VAR, InboxLocation, PUBLIC_KEY_VAR, RETRY_BACKOFF_VAR};
/// use std::time::Duration;
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let config = Config::from_lookup(|name| match name {
///     PUBLIC_KEY_VAR => Some(key.into()),
///     INBOX_VAR => Some("/var/lib/receiver/inbox".into()),
///     RETRY_BACKOFF_VAR => Some("200ms".into()),
///     _ => None,
/// })?;
/// assert_eq!(config.inbox, Some(InboxLocation::Path("/var/lib/receiver/inbox".into())));
/// assert_eq!(config.retry_backoff, Duration::from_millis(200));
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const INBOX_VAR: &str = "POSTAL_HOOKS_INBOX";

/// The first retry delay of the inbox, in humantime (`1s`, `200ms`); it doubles per
/// retry, with jitter, up to 10 minutes. Default `1s`.
pub const RETRY_BACKOFF_VAR: &str = "POSTAL_HOOKS_RETRY_BACKOFF";

/// How long the inbox retries a delivery before dead-lettering it, in humantime (`72h`,
/// `30s`). Default `72h`.
pub const RETRY_MAX_AGE_VAR: &str = "POSTAL_HOOKS_RETRY_MAX_AGE";

/// The number of inbox workers per process. Default 8.
pub const WORKERS_VAR: &str = "POSTAL_HOOKS_WORKERS";

/// How long an inbox worker holds a delivery without renewing it, in humantime. Default
/// `60s`: a replica that dies leaves its deliveries to the others this long after.
pub const INBOX_LEASE_VAR: &str = "POSTAL_HOOKS_INBOX_LEASE";

/// Inbox workers per process when `POSTAL_HOOKS_WORKERS` is unset: 8. Handlers mostly
/// wait on I/O, so this is not tied to the number of cores.
pub const DEFAULT_WORKERS: usize = 8;

/// The inbox's first retry delay when `POSTAL_HOOKS_RETRY_BACKOFF` is unset: 1 s.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_secs(1);

/// How long the inbox retries a delivery when `POSTAL_HOOKS_RETRY_MAX_AGE` is unset: 72
/// hours, much longer than Postal's own 36 minutes.
pub const DEFAULT_RETRY_MAX_AGE: Duration = Duration::from_secs(72 * 60 * 60);

/// How long an inbox worker holds a delivery without renewing it when
/// `POSTAL_HOOKS_INBOX_LEASE` is unset: 60 s. A worker renews it every third of that while
/// the handlers run; one that dies leaves the delivery to another after this long.
pub const DEFAULT_INBOX_LEASE: Duration = Duration::from_secs(60);

/// The Redis inbox's key prefix, default `postal-hooks:inbox`: receivers with different
/// handlers that share a Redis each need their own.
pub const INBOX_PREFIX_VAR: &str = "POSTAL_HOOKS_INBOX_PREFIX";

/// How old a delivery's signed envelope `timestamp` may be: humantime (`12h`, `90m`), or
/// `off` for no limit (tests and tools that replay old signed fixtures). Default `12h`
/// ([`DEFAULT_REPLAY_WINDOW`](crate::DEFAULT_REPLAY_WINDOW)); see
/// [`Receiver::with_replay_window`](crate::Receiver::with_replay_window).
///
/// ```
/// use postal_hooks::config::{Config, PUBLIC_KEY_VAR, REPLAY_WINDOW_VAR};
/// use std::time::Duration;
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let with = |window: &'static str| Config::from_lookup(move |name| match name {
///     PUBLIC_KEY_VAR => Some(key.into()),
///     REPLAY_WINDOW_VAR => Some(window.into()),
///     _ => None,
/// });
/// assert_eq!(with("6h")?.replay_window, Some(Duration::from_secs(6 * 3600)));
/// assert_eq!(with("off")?.replay_window, None);
/// let err = with("soon").unwrap_err();
/// assert!(err.to_string().starts_with(r#"POSTAL_HOOKS_REPLAY_WINDOW="soon" is neither a duration"#));
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const REPLAY_WINDOW_VAR: &str = "POSTAL_HOOKS_REPLAY_WINDOW";

/// The largest request body accepted, in bytes (`413` above it). Default 1 MiB
/// ([`DEFAULT_MAX_BODY_BYTES`](crate::DEFAULT_MAX_BODY_BYTES)); Postal's bodies are a few
/// KiB.
///
/// ```
/// use postal_hooks::config::{Config, MAX_BODY_BYTES_VAR, PUBLIC_KEY_VAR};
///
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let config = Config::from_lookup(|name| match name {
///     PUBLIC_KEY_VAR => Some(key.into()),
///     MAX_BODY_BYTES_VAR => Some("65536".into()),
///     _ => None,
/// })?;
/// assert_eq!(config.max_body_bytes, 64 * 1024);
/// # Ok::<(), postal_hooks::config::ConfigError>(())
/// ```
pub const MAX_BODY_BYTES_VAR: &str = "POSTAL_HOOKS_MAX_BODY_BYTES";

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
/// | `POSTAL_PUBLIC_KEY` | Postal's public key: PEM, JWKS document or DNS record value, inline or `@path/to/file`; or the JWKS URL `https://<postal host>/.well-known/jwks.json` (feature `jwks`) (required) |
/// | `POSTAL_HOOKS_DNS_SERVER` | with `POSTAL_PUBLIC_KEY=dns:<domain>`: the DNS server to ask, `ip:port` (feature `dns`; the system's resolver otherwise) |
/// | `POSTAL_HOOKS_JWKS_MIN_REFRESH` | with a JWKS URL: the shortest time between two fetches an unknown KID triggers, humantime, default `30s` |
/// | `POSTAL_ALLOW_SHA1` | `1` to accept SHA-1-only signatures from Postal before 3.2 |
/// | `POSTAL_HOOKS_REPLAY_WINDOW` | how old a delivery's signed `timestamp` may be, humantime, default `12h`; `off` for no limit |
/// | `POSTAL_HOOKS_MAX_BODY_BYTES` | the largest body accepted, in bytes, default 1048576 (1 MiB) |
/// | `POSTAL_HOOKS_REDIS_URL` | Redis for idempotency records shared by replicas (feature `redis`; in memory when unset) |
/// | `POSTAL_HOOKS_INBOX` | unset: handlers run inline; a directory: the embedded durable inbox there; `redis`: the inbox in `POSTAL_HOOKS_REDIS_URL` (feature `inbox`) |
/// | `POSTAL_HOOKS_RETRY_BACKOFF` | the inbox's first retry delay, humantime, default `1s` (doubling, with jitter, up to 10 min) |
/// | `POSTAL_HOOKS_RETRY_MAX_AGE` | how long the inbox retries before dead-lettering, humantime, default `72h` |
/// | `POSTAL_HOOKS_WORKERS` | inbox workers per process, default 8 |
/// | `POSTAL_HOOKS_INBOX_LEASE` | how long a worker holds a delivery without renewing it, humantime, default `60s` |
/// | `POSTAL_HOOKS_INBOX_PREFIX` | the Redis inbox's key prefix, default `postal-hooks:inbox` |
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
    /// How old a delivery's signed `timestamp` may be (`None`: no limit).
    pub replay_window: Option<Duration>,
    /// The largest body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Where to keep idempotency records, if not in memory.
    pub redis_url: Option<String>,
    /// Where the inbox lives, if deliveries are stored before their handlers run.
    pub inbox: Option<InboxLocation>,
    /// The inbox's first retry delay.
    pub retry_backoff: Duration,
    /// How long the inbox retries a delivery.
    pub retry_max_age: Duration,
    /// Inbox workers per process.
    pub workers: usize,
    /// The inbox lease.
    pub inbox_lease: Duration,
    /// The Redis inbox's key prefix, when set.
    pub inbox_prefix: Option<String>,
}

/// Where `POSTAL_HOOKS_INBOX` puts the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboxLocation {
    /// The embedded inbox in this directory.
    Path(PathBuf),
    /// The inbox in the Redis at `POSTAL_HOOKS_REDIS_URL`.
    Redis,
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
        let redis_url = lookup(REDIS_URL_VAR)
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty());
        let inbox = match lookup(INBOX_VAR).as_deref().map(str::trim) {
            None | Some("") => None,
            Some("redis") if redis_url.is_none() => return Err(ConfigError::InboxWithoutRedis),
            Some("redis") => Some(InboxLocation::Redis),
            Some(path) => Some(InboxLocation::Path(PathBuf::from(path))),
        };
        let duration = |name: &'static str, default: Duration| match lookup(name) {
            None => Ok(default),
            Some(text) if text.trim().is_empty() => Ok(default),
            Some(text) => {
                humantime::parse_duration(text.trim()).map_err(|source| ConfigError::Duration {
                    name,
                    value: text.clone(),
                    source: SharedError::new(source),
                })
            }
        };
        let replay_window = match lookup(REPLAY_WINDOW_VAR) {
            Some(text) if text.trim().eq_ignore_ascii_case("off") => None,
            Some(text) if !text.trim().is_empty() => {
                let window = humantime::parse_duration(text.trim()).map_err(|source| {
                    ConfigError::ReplayWindow {
                        value: text.clone(),
                        source: SharedError::new(source),
                    }
                })?;
                // 0 would refuse every genuine delivery; people write it to mean "off".
                if window < MIN_REPLAY_WINDOW {
                    return Err(ConfigError::TooShort {
                        name: REPLAY_WINDOW_VAR,
                        value: text,
                        minimum: MIN_REPLAY_WINDOW,
                    });
                }
                Some(window)
            }
            _ => Some(crate::DEFAULT_REPLAY_WINDOW),
        };
        let min_refresh = duration(JWKS_MIN_REFRESH_VAR, DEFAULT_JWKS_MIN_REFRESH)?;
        // Under a second, every forged request with a random KID would start a fetch.
        if min_refresh < MIN_JWKS_REFRESH {
            return Err(ConfigError::TooShort {
                name: JWKS_MIN_REFRESH_VAR,
                value: lookup(JWKS_MIN_REFRESH_VAR).unwrap_or_default(),
                minimum: MIN_JWKS_REFRESH,
            });
        }
        let dns_server = dns_server(lookup(DNS_SERVER_VAR).as_deref())?;
        let verifier =
            key_source_verifier(&key_text, min_refresh, dns_server)?.allow_sha1(allow_sha1);
        let retry_backoff = duration(RETRY_BACKOFF_VAR, DEFAULT_RETRY_BACKOFF)?;
        let retry_max_age = duration(RETRY_MAX_AGE_VAR, DEFAULT_RETRY_MAX_AGE)?;
        let inbox_lease = duration(INBOX_LEASE_VAR, DEFAULT_INBOX_LEASE)?;
        let max_body_bytes = match lookup(MAX_BODY_BYTES_VAR) {
            None => crate::DEFAULT_MAX_BODY_BYTES,
            Some(text) if text.trim().is_empty() => crate::DEFAULT_MAX_BODY_BYTES,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(bytes) if bytes > 0 => bytes,
                _ => return Err(ConfigError::MaxBodyBytes { value: text }),
            },
        };
        let workers = match lookup(WORKERS_VAR) {
            None => DEFAULT_WORKERS,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(workers) if workers > 0 => workers,
                _ => return Err(ConfigError::Workers { value: text }),
            },
        };
        Ok(Config {
            addr,
            verifier,
            replay_window,
            max_body_bytes,
            redis_url,
            inbox,
            retry_backoff,
            retry_max_age,
            workers,
            inbox_lease,
            inbox_prefix: lookup(INBOX_PREFIX_VAR)
                .map(|prefix| prefix.trim().to_owned())
                .filter(|prefix| !prefix.is_empty()),
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
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
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
    /// `POSTAL_PUBLIC_KEY` is a JWKS URL or `dns:<domain>`, but this build lacks the
    /// feature that reads it (`jwks` or `dns`).
    #[error(
        "{PUBLIC_KEY_VAR}={value:?} needs postal-hooks' `{feature}` feature, which this build lacks: add it to the postal-hooks dependency (features = [\"{feature}\"]), or paste the key itself (PEM, JWKS document or DNS record value)",
        PUBLIC_KEY_VAR = PUBLIC_KEY_VAR
    )]
    KeySourceNeedsFeature {
        /// The value given.
        value: String,
        /// The cargo feature it needs.
        feature: &'static str,
    },
    /// `POSTAL_HOOKS_DNS_SERVER` is not `ip:port`.
    #[error(
        "{DNS_SERVER_VAR}={value:?} is not an address like 127.0.0.1:53",
        DNS_SERVER_VAR = DNS_SERVER_VAR
    )]
    DnsServer {
        /// The value given.
        value: String,
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
    /// `POSTAL_HOOKS_INBOX=redis` without `POSTAL_HOOKS_REDIS_URL`.
    #[error(
        "{INBOX_VAR}=redis needs {REDIS_URL_VAR}, the Redis to keep the inbox in",
        INBOX_VAR = INBOX_VAR,
        REDIS_URL_VAR = REDIS_URL_VAR
    )]
    InboxWithoutRedis,
    /// A duration setting is not in humantime format.
    #[error("{name}={value:?} is not a duration such as 1s, 200ms or 72h: {source}")]
    Duration {
        /// The variable.
        name: &'static str,
        /// The value given.
        value: String,
        /// humantime's reason.
        source: SharedError,
    },
    /// `POSTAL_HOOKS_REPLAY_WINDOW` is neither a humantime duration nor `off`.
    #[error(
        "{REPLAY_WINDOW_VAR}={value:?} is neither a duration such as 12h or 90m nor off: {source}",
        REPLAY_WINDOW_VAR = REPLAY_WINDOW_VAR
    )]
    ReplayWindow {
        /// The value given.
        value: String,
        /// humantime's reason.
        source: SharedError,
    },
    /// A duration setting shorter than it may be.
    #[error("{name}={value:?} is shorter than the minimum of {}{}", humantime::format_duration(*.minimum), if *.name == REPLAY_WINDOW_VAR { " (Postal retries for about 36 minutes; write off for no window)" } else { "" })]
    TooShort {
        /// The variable.
        name: &'static str,
        /// The value given.
        value: String,
        /// The shortest value accepted.
        minimum: Duration,
    },
    /// `POSTAL_HOOKS_MAX_BODY_BYTES` is not a positive whole number of bytes.
    #[error(
        "{MAX_BODY_BYTES_VAR}={value:?} is not a number of bytes (1 or more, such as 1048576)",
        MAX_BODY_BYTES_VAR = MAX_BODY_BYTES_VAR
    )]
    MaxBodyBytes {
        /// The value given.
        value: String,
    },
    /// `POSTAL_HOOKS_WORKERS` is not a positive whole number.
    #[error("{WORKERS_VAR}={value:?} is not a number of workers (1 or more)", WORKERS_VAR = WORKERS_VAR)]
    Workers {
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

crate::error_report::debug_as_report!(ConfigError);
