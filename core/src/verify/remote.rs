//! Keys fetched from Postal's JWKS URL (`https://<postal host>/.well-known/jwks.json`,
//! SPEC §3): once at startup, then again when a request names a KID the set lacks, at most
//! once per refresh interval, keeping the last good set when a refresh fails (SPEC §3.5,
//! step 5). Feature `jwks`.
//!
//! The HTTP client is `ureq` over rustls: blocking, so the startup fetch needs no async
//! runtime, and a refresh runs on a thread of its own while the request that asked for it
//! awaits the result without blocking its runtime.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::key::PublicKey;
use super::key_error::{FetchError, KeyError};
use crate::shared_error::SharedError;

/// How long a fetch of the JWKS URL may take: 10 s.
pub const DEFAULT_JWKS_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a refresh may take at most: 3 s, so that the request waiting for it is still
/// answered inside Postal's 5 s.
const REFRESH_TIMEOUT: Duration = Duration::from_secs(3);

/// The largest JWKS document read: 1 MiB (Postal's holds one key, under 1 KiB).
const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024;

/// A key set fetched from a URL, and when it may be fetched again.
pub(crate) struct Remote {
    url: String,
    timeout: Duration,
    min_refresh: Duration,
    keys: RwLock<Arc<[PublicKey]>>,
    /// When the last fetch started (the startup fetch included).
    last_attempt: Mutex<Instant>,
    /// Fetches made, the startup one included.
    fetches: AtomicU64,
}

impl Remote {
    /// Fetches `url` now: the startup fetch.
    pub(crate) fn fetch(
        url: &str,
        timeout: Duration,
        min_refresh: Duration,
    ) -> Result<Remote, KeyError> {
        check_url(url)?;
        let started = Instant::now();
        let keys = download(url, timeout)?;
        Ok(Remote {
            url: url.to_owned(),
            timeout,
            min_refresh,
            keys: RwLock::new(keys.into()),
            last_attempt: Mutex::new(started),
            fetches: AtomicU64::new(1),
        })
    }

    /// The current key set.
    pub(crate) fn keys(&self) -> Arc<[PublicKey]> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn min_refresh(&self) -> Duration {
        self.min_refresh
    }

    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Fetches the key set again, unless the last fetch started less than the refresh
    /// interval ago. A changed set is logged; a failed refresh keeps the last good set
    /// and is logged. The fetch runs on a thread of its own; this only awaits it.
    pub(crate) async fn refresh(self: &Arc<Self>) {
        {
            let mut last = self
                .last_attempt
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.elapsed() < self.min_refresh {
                return;
            }
            *last = Instant::now();
        }
        let (sender, receiver) = futures_channel::oneshot::channel();
        let remote = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("postal-hooks-jwks".to_owned())
            .spawn(move || {
                remote.refresh_now();
                let _ = sender.send(());
            });
        if let Err(error) = spawned {
            tracing::warn!(url = %self.url, %error, "cannot start the JWKS refresh; keeping the last good key set");
            return;
        }
        let _ = receiver.await;
    }

    /// The blocking part of [`refresh`](Self::refresh).
    fn refresh_now(&self) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match download(&self.url, self.timeout.min(REFRESH_TIMEOUT)) {
            Ok(fresh) => {
                let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
                if kids(&keys) != kids(&fresh) {
                    tracing::info!(url = %self.url, kids = ?kids(&fresh), "Postal's key set changed");
                }
                *keys = fresh.into();
            }
            Err(error) => {
                tracing::warn!(url = %self.url, %error, "JWKS refresh failed; keeping the last good key set");
            }
        }
    }
}

fn kids(keys: &[PublicKey]) -> Vec<&str> {
    keys.iter().map(PublicKey::kid).collect()
}

/// `https://` anywhere; `http://` only to a loopback host (local testing).
fn check_url(url: &str) -> Result<(), KeyError> {
    let uri: http::Uri = url.parse().map_err(|error| KeyError::Fetch {
        url: url.to_owned(),
        cause: FetchError::Url(SharedError::new(error)),
    })?;
    let host = uri.host().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if loopback => Ok(()),
        Some("http") => Err(KeyError::Fetch {
            url: url.to_owned(),
            cause: FetchError::PlainHttp,
        }),
        _ => Err(KeyError::Fetch {
            url: url.to_owned(),
            cause: FetchError::NotHttps,
        }),
    }
}

/// GETs `url` within `timeout` and reads the keys in its JWKS document.
fn download(url: &str, timeout: Duration) -> Result<Vec<PublicKey>, KeyError> {
    let failed = |cause| KeyError::Fetch {
        url: url.to_owned(),
        cause,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .header("accept", "application/json")
        .call()
        .map_err(|error| failed(FetchError::Request(SharedError::new(error))))?;
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get("location")
            .and_then(|location| location.to_str().ok())
            .map(str::to_owned);
        return Err(failed(FetchError::Redirect {
            status: status.as_u16(),
            location,
        }));
    }
    if !status.is_success() {
        return Err(failed(FetchError::Status {
            status: status.as_u16(),
        }));
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_DOCUMENT_BYTES)
        .read_to_string()
        .map_err(|error| failed(FetchError::Request(SharedError::new(error))))?;
    PublicKey::from_jwks(&text).map_err(|error| failed(FetchError::Document(Box::new(error))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        for url in [
            "https://postal.example.com/.well-known/jwks.json",
            "http://127.0.0.1:8080/.well-known/jwks.json",
            "http://localhost/.well-known/jwks.json",
            "http://[::1]:9/.well-known/jwks.json",
        ] {
            assert!(check_url(url).is_ok(), "{url}");
        }
        for url in [
            "http://postal.example.com/.well-known/jwks.json",
            "http://10.0.0.1/.well-known/jwks.json",
            "ftp://postal.example.com/jwks.json",
            "https:///jwks.json",
        ] {
            assert!(
                matches!(check_url(url), Err(KeyError::Fetch { .. })),
                "{url}"
            );
        }
    }
}
