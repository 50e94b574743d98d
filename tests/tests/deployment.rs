//! `Deployment`: one call builds the whole receiver from the settings, honouring each one
//! (key, address, SHA-1, replay window, body limit, Redis, the inbox), and stops startup
//! naming a setting it cannot honour.
//!
//! The Redis cases need `POSTAL_HOOKS_TEST_REDIS_URL` (see `redis_support`).

// Test code: a failed step must stop the test, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod dedupe_support;
mod redis_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use postal_hooks::config::{Config, ConfigError};
use postal_hooks::events::MessageSent;
use postal_hooks::testing::{self, Signer};
use postal_hooks::{DeployError, Deployment, Dispatcher};

/// Settings: the test key, plus `settings`.
fn config(settings: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let settings: Vec<(String, String)> = settings
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    Config::from_lookup(move |name| match name {
        "POSTAL_PUBLIC_KEY" => Some(testing::TEST_PUBLIC_KEY_PEM.to_owned()),
        _ => settings
            .iter()
            .find(|(setting, _)| setting == name)
            .map(|(_, value)| value.clone()),
    })
}

async fn deploy(settings: &[(&str, &str)]) -> (Result<Deployment, DeployError>, Arc<AtomicUsize>) {
    let (builder, runs) = common::counting_handlers();
    (
        Deployment::from_config(config(settings).unwrap(), builder).await,
        runs,
    )
}

async fn send(deployment: &Deployment, body: &[u8]) -> u16 {
    let headers = Signer::test_key().sign(body).headers();
    deployment
        .receiver()
        .receive(&headers, body)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_defaults_build_a_verifying_inline_receiver_with_every_setting_applied() {
    let (deployment, runs) = deploy(&[]).await;
    let deployment = deployment.unwrap();
    assert_eq!(deployment.addr().to_string(), "127.0.0.1:3000");
    let receiver = deployment.receiver();
    assert_eq!(
        receiver.replay_window(),
        Some(postal_hooks::DEFAULT_REPLAY_WINDOW)
    );
    assert_eq!(
        receiver.max_body_bytes(),
        postal_hooks::DEFAULT_MAX_BODY_BYTES
    );
    assert!(receiver.inbox().is_none() && deployment.workers().is_none());
    let (fresh, _) = testing::fresh_sample::<MessageSent>();
    assert_eq!(send(&deployment, &fresh).await, 200);
    assert_eq!(send(&deployment, &fresh).await, 200, "Postal's retry");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "deduplicated in memory");
    let summary = deployment.to_string();
    for line in [
        "listen address 127.0.0.1:3000",
        "Postal key ",
        "replay window 12h",
        "body limit 1048576 bytes",
        "idempotency records in memory for 12h (set POSTAL_HOOKS_REDIS_URL to share them)",
        "handlers run inline",
        "registered ",
    ] {
        assert!(summary.contains(line), "{line:?} in\n{summary}");
    }
    deployment.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn address_sha1_window_and_body_limit_are_honoured() {
    let (deployment, runs) = deploy(&[
        ("POSTAL_HOOKS_ADDR", "127.0.0.1:8125"),
        ("POSTAL_ALLOW_SHA1", "1"),
        ("POSTAL_HOOKS_REPLAY_WINDOW", "off"),
        ("POSTAL_HOOKS_MAX_BODY_BYTES", "700"),
    ])
    .await;
    let deployment = deployment.unwrap();
    assert_eq!(deployment.addr().port(), 8125);
    assert!(deployment.receiver().verifier().allows_sha1());
    assert_eq!(deployment.receiver().replay_window(), None);
    assert_eq!(deployment.receiver().max_body_bytes(), 700);
    // A captured 2024 body (window off), SHA-1 only (Postal before 3.2): accepted.
    let captured = testing::sample("MessageSent").unwrap();
    let legacy = Signer::test_key().sign(captured).legacy_headers();
    let reply = deployment.receiver().receive(&legacy, captured).await;
    assert_eq!(reply.status(), 200, "{}", reply.body());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Over the limit: 413.
    let bounce = testing::sample("MessageBounced").unwrap();
    assert!(bounce.len() > 700);
    assert_eq!(send(&deployment, bounce).await, 413);
}

#[tokio::test]
async fn a_longer_window_keeps_the_records_as_long() {
    let (deployment, _) = deploy(&[("POSTAL_HOOKS_REPLAY_WINDOW", "2days")]).await;
    let summary = deployment.unwrap().to_string();
    assert!(summary.contains("replay window 2days"), "{summary}");
    assert!(
        summary.contains("idempotency records in memory for 2days"),
        "{summary}"
    );
}

#[tokio::test]
async fn an_unreachable_redis_stops_startup_naming_the_setting() {
    // Nothing listens on port 1.
    let (deployment, _) = deploy(&[("POSTAL_HOOKS_REDIS_URL", "redis://127.0.0.1:1")]).await;
    let error = deployment.unwrap_err();
    assert!(matches!(error, DeployError::Redis { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("POSTAL_HOOKS_REDIS_URL: cannot reach Redis: "),
        "{message}"
    );
    assert_eq!(
        message.matches("127.0.0.1:1").count(),
        1,
        "the URL, once: {message}"
    );
    assert!(
        message
            .ends_with("or unset POSTAL_HOOKS_REDIS_URL to keep the idempotency records in memory")
    );
    assert_eq!(
        format!("{error:?}"),
        message,
        "returned from main, it prints the sentence"
    );
}

#[tokio::test]
async fn a_redis_password_never_shows() {
    let url = "redis://app:s3cret@127.0.0.1:1/0";
    let (deployment, _) = deploy(&[("POSTAL_HOOKS_REDIS_URL", url)]).await;
    let error = deployment.unwrap_err().to_string();
    assert!(error.contains("redis://app:***@127.0.0.1:1/0"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");
}

#[tokio::test]
async fn an_embedded_inbox_with_a_redis_url_is_refused_since_redis_would_go_unused() {
    let dir = std::env::temp_dir().join(dedupe_support::fresh("postal-hooks-deployment-unused-"));
    let path = dir.to_str().unwrap().to_owned();
    let (deployment, _) = deploy(&[
        ("POSTAL_HOOKS_INBOX", &path),
        ("POSTAL_HOOKS_REDIS_URL", "redis://127.0.0.1:1"),
    ])
    .await;
    let error = deployment.unwrap_err();
    assert!(
        matches!(error, DeployError::RedisUnused { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("Set POSTAL_HOOKS_INBOX=redis to keep the inbox in Redis"),
        "{error}"
    );
    assert!(!dir.exists(), "nothing was created");
}

#[tokio::test]
async fn redis_replaces_no_store_chosen_on_the_builder_only() {
    let builder = Dispatcher::builder().without_dedupe().allow_no_handlers();
    let config = config(&[("POSTAL_HOOKS_REDIS_URL", "redis://127.0.0.1:1")]).unwrap();
    let error = Deployment::from_config(config, builder).await.unwrap_err();
    assert!(
        error.to_string().starts_with(
            "POSTAL_HOOKS_REDIS_URL is set, but the dispatcher builder already chose its idempotency store: none (without_dedupe)."
        ),
        "{error}"
    );
    // Without Redis, the builder's own choice stands.
    let builder = Dispatcher::builder().without_dedupe().allow_no_handlers();
    let deployment = Deployment::from_config(config_without_redis(), builder)
        .await
        .unwrap();
    assert!(
        deployment
            .to_string()
            .contains("idempotency records: none (without_dedupe)")
    );
}

fn config_without_redis() -> Config {
    config(&[]).unwrap()
}

#[tokio::test]
async fn with_redis_two_replicas_share_the_records() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let (first, runs) = deploy(&[("POSTAL_HOOKS_REDIS_URL", &url)]).await;
    let first = first.unwrap();
    let (builder, _) = common::counting_handlers();
    let second = Deployment::from_config(
        config(&[("POSTAL_HOOKS_REDIS_URL", &url)]).unwrap(),
        builder.on(|_: &postal_hooks::events::MessageBounced| {}),
    )
    .await
    .unwrap();
    assert!(
        first
            .to_string()
            .contains(&format!("idempotency records in Redis at {url} for 12h"))
    );
    let (fresh, _) = testing::fresh_sample::<MessageSent>();
    assert_eq!(send(&first, &fresh).await, 200);
    // Postal's retry reaches the other replica: the record is shared, nothing runs again.
    let headers = Signer::test_key().sign(&fresh).headers();
    let reply = second.receiver().receive(&headers, &fresh).await;
    assert_eq!(reply.status(), 200);
    let report = reply.report().unwrap();
    assert!(
        report
            .runs()
            .iter()
            .all(|run| *run.outcome() == postal_hooks::Outcome::Skipped),
        "{}",
        reply.body()
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_inbox_setting_builds_the_inbox_and_starts_its_workers() {
    let dir = std::env::temp_dir().join(dedupe_support::fresh("postal-hooks-deployment-"));
    let path = dir.to_str().unwrap().to_owned();
    let (deployment, runs) = deploy(&[
        ("POSTAL_HOOKS_INBOX", &path),
        ("POSTAL_HOOKS_WORKERS", "3"),
        ("POSTAL_HOOKS_RETRY_BACKOFF", "50ms"),
    ])
    .await;
    let deployment = deployment.unwrap();
    assert_eq!(deployment.workers().unwrap().len(), 3);
    let summary = deployment.to_string();
    assert!(
        summary.contains("inbox ") && summary.contains("3 worker(s)"),
        "{summary}"
    );
    assert!(
        summary.contains("idempotency records in the inbox's file"),
        "{summary}"
    );
    let (fresh, _) = testing::fresh_sample::<MessageSent>();
    let headers = Signer::test_key().sign(&fresh).headers();
    let reply = deployment.receiver().receive(&headers, &fresh).await;
    assert_eq!((reply.status().as_u16(), reply.body()), (200, "ok: queued"));
    let start = std::time::Instant::now();
    while runs.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the worker ran nothing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    deployment.shutdown(Duration::from_secs(5)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unusable_inbox_path_stops_startup() {
    let file = std::env::temp_dir().join(dedupe_support::fresh("postal-hooks-deployment-file-"));
    std::fs::write(&file, b"not a directory").unwrap();
    let under = file.join("inbox");
    let (deployment, _) = deploy(&[("POSTAL_HOOKS_INBOX", under.to_str().unwrap())]).await;
    let error = deployment.unwrap_err();
    assert!(matches!(error, DeployError::Inbox(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("cannot open the inbox at {}", under.display())),
        "{error}"
    );
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn a_dispatcher_that_cannot_be_built_is_a_startup_error_too() {
    let (builder, _) = common::counting_handlers();
    let config = config(&[]).unwrap();
    let error = Deployment::from_config(config, builder.expect_crate("not_linked_anywhere"))
        .await
        .unwrap_err();
    assert!(matches!(error, DeployError::Build(_)), "{error:?}");
    assert!(error.to_string().contains("not_linked_anywhere"), "{error}");
}
