//! Keys straight from Postal: `POSTAL_PUBLIC_KEY` (and `Verifier::from_jwks_url`) takes
//! Postal's JWKS URL. It is fetched at startup, fetched again when a request names an
//! unknown KID (at most once per `POSTAL_HOOKS_JWKS_MIN_REFRESH`), and the last good set is
//! kept when a refresh fails. A JWKS server on loopback rotates its key while the receiver
//! runs.

// Test code: a failed step must stop the test, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod jwks_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jwks_support::JwksServer;
use postal_hooks::config::{Config, ConfigError, JWKS_MIN_REFRESH_VAR, PUBLIC_KEY_VAR};
use postal_hooks::events::MessageSent;
use postal_hooks::testing::{self, Signer};
use postal_hooks::verify::{DEFAULT_JWKS_TIMEOUT, FetchError};
use postal_hooks::{KeyError, Receiver, Verifier};

/// The 1024-bit test key's JWKS, as Postal serves it.
const JWKS_1024: &str = include_str!("../../core/samples/keys/rsa1024/jwks.json");

fn receiver(verifier: Verifier) -> (Receiver, Arc<AtomicUsize>) {
    let (handlers, runs) = common::counting_handlers();
    (Receiver::new(handlers.build().unwrap(), verifier), runs)
}

/// A fresh MessageSent signed by `signer`.
fn signed(signer: &Signer) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let (body, _) = testing::fresh_sample::<MessageSent>();
    let headers = signer.sign(&body).headers();
    (body, headers)
}

async fn send(
    receiver: &Receiver,
    (body, headers): &(Vec<u8>, Vec<(&'static str, String)>),
) -> u16 {
    receiver.receive(headers, body).await.status().as_u16()
}

async fn deliver(receiver: &Receiver, signer: &Signer) -> u16 {
    send(receiver, &signed(signer)).await
}

#[tokio::test]
async fn a_rotated_key_is_accepted_once_the_refresh_interval_has_passed() {
    let server = JwksServer::start(testing::TEST_JWKS);
    let old = Signer::test_key();
    let new = Signer::test_key_1024();
    // Signed beforehand: inside the interval, only the receiver's own work is timed.
    let (by_old, by_new) = (signed(&old), signed(&new));
    let min_refresh = Duration::from_secs(2);
    let verifier = Verifier::from_jwks_url(&server.url, DEFAULT_JWKS_TIMEOUT, min_refresh).unwrap();
    let started = Instant::now();
    assert_eq!(verifier.jwks_url(), Some(server.url.as_str()));
    assert_eq!(verifier.keys()[0].kid(), old.kid());
    let (receiver, runs) = receiver(verifier);
    assert_eq!(send(&receiver, &by_old).await, 200);
    assert_eq!(server.hits(), 1, "fetched once, at startup");

    // Postal rotates its key.
    server.serve(200, JWKS_1024);
    // Within the interval: the unknown KID is refused (Postal retries), nothing fetched.
    assert_eq!(send(&receiver, &by_new).await, 401);
    assert!(
        started.elapsed() < min_refresh,
        "the machine was too slow to check this"
    );
    assert_eq!(server.hits(), 1);

    // Once the interval has passed, the unknown KID fetches the set again: accepted.
    tokio::time::sleep(min_refresh).await;
    assert_eq!(send(&receiver, &by_new).await, 200);
    assert_eq!(server.hits(), 2);
    assert_eq!(receiver.verifier().jwks_fetches(), 2);
    assert_eq!(receiver.verifier().keys()[0].kid(), new.kid());
    // The old key is gone from the set, and many unknown KIDs fetch nothing more.
    for _ in 0..5 {
        assert_eq!(deliver(&receiver, &old).await, 401);
    }
    assert_eq!(server.hits(), 2, "at most once per interval");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_good_key_set() {
    let server = JwksServer::start(testing::TEST_JWKS);
    let verifier =
        Verifier::from_jwks_url(&server.url, DEFAULT_JWKS_TIMEOUT, Duration::from_millis(50))
            .unwrap();
    let (receiver, _) = receiver(verifier);
    let signer = Signer::test_key();
    let other = Signer::test_key_1024();
    for (status, document) in [(500, "oops"), (200, "{\"keys\":[]}"), (200, "not json")] {
        server.serve(status, document);
        tokio::time::sleep(Duration::from_millis(60)).await;
        let before = server.hits();
        assert_eq!(deliver(&receiver, &other).await, 401, "unknown KID");
        assert_eq!(server.hits(), before + 1, "the refresh was tried");
        assert_eq!(
            deliver(&receiver, &signer).await,
            200,
            "the last good set is kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_setting_takes_the_url_and_its_refresh_interval() {
    let server = JwksServer::start(testing::TEST_JWKS);
    let url = server.url.clone();
    // The settings: the URL, and the refresh interval when given.
    let with = |refresh: Option<&str>| {
        let refresh = refresh.map(str::to_owned);
        Config::from_lookup(|name| match name {
            PUBLIC_KEY_VAR => Some(url.clone()),
            JWKS_MIN_REFRESH_VAR => refresh.clone(),
            _ => None,
        })
    };
    let config = with(Some("2m")).unwrap();
    assert_eq!(config.verifier.jwks_url(), Some(server.url.as_str()));
    assert_eq!(
        config.verifier.jwks_min_refresh(),
        Some(Duration::from_secs(120))
    );
    assert_eq!(config.verifier.keys()[0].kid(), Signer::test_key().kid());
    let default = with(None).unwrap();
    assert_eq!(
        default.verifier.jwks_min_refresh(),
        Some(Duration::from_secs(30))
    );
    // Under a second, every forged request with a random KID would start a fetch.
    let error = with(Some("100ms")).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"POSTAL_HOOKS_JWKS_MIN_REFRESH="100ms" is shorter than the minimum of 1s"#
    );
}

#[test]
fn fetch_errors_name_the_url_and_the_cause() {
    // Nothing listens on port 1.
    let refused = "http://127.0.0.1:1/.well-known/jwks.json";
    let error = Verifier::from_jwks_url(refused, Duration::from_secs(2), Duration::from_secs(30))
        .unwrap_err();
    assert!(
        matches!(&error, KeyError::Fetch { url, cause: FetchError::Request(_) } if url == refused),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(
            "cannot fetch Postal's keys from http://127.0.0.1:1/.well-known/jwks.json: "
        ),
        "{error}"
    );

    let clear = "http://postal.example.com/.well-known/jwks.json";
    let error =
        Verifier::from_jwks_url(clear, DEFAULT_JWKS_TIMEOUT, Duration::from_secs(30)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot fetch Postal's keys from http://postal.example.com/.well-known/jwks.json: plain http:// is allowed only for a loopback host (local testing); use https://"
    );

    let server = JwksServer::start("gone");
    server.serve(404, "not found");
    let error = Verifier::from_jwks_url(&server.url, DEFAULT_JWKS_TIMEOUT, Duration::from_secs(30))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with(": the server answered HTTP 404"),
        "{error}"
    );

    server.serve(301, "moved");
    let error = Verifier::from_jwks_url(&server.url, DEFAULT_JWKS_TIMEOUT, Duration::from_secs(30))
        .unwrap_err();
    assert!(
        error.to_string().ends_with(
            ": the server answered HTTP 301, a redirect; redirects are not followed, so give the final URL"
        ),
        "{error}"
    );

    server.serve(200, "{\"keys\":[]}");
    let error = Verifier::from_jwks_url(&server.url, DEFAULT_JWKS_TIMEOUT, Duration::from_secs(30))
        .unwrap_err();
    assert!(
        matches!(
            &error,
            KeyError::Fetch {
                cause: FetchError::Document(_),
                ..
            }
        ),
        "{error:?}"
    );

    // Through the setting, the error names it too.
    let error =
        Config::from_lookup(|name| (name == PUBLIC_KEY_VAR).then(|| clear.to_owned())).unwrap_err();
    assert!(matches!(error, ConfigError::Key(KeyError::Fetch { .. })));
    assert!(
        error
            .to_string()
            .starts_with("POSTAL_PUBLIC_KEY: cannot fetch Postal's keys from ")
    );
}

#[tokio::test]
async fn a_timeout_is_a_fetch_error() {
    // A listener that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        silent.local_addr().unwrap()
    );
    let started = Instant::now();
    let error = Verifier::from_jwks_url(&url, Duration::from_millis(300), Duration::from_secs(30))
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            &error,
            KeyError::Fetch {
                cause: FetchError::Request(_),
                ..
            }
        ),
        "{error:?}"
    );
    drop(silent);
}
