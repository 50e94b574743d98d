//! The server examples, run as the programs they are: each started on a free loopback
//! port with the test key, fed every sample (each delivered three times at once) plus an
//! unsigned request, then stopped. Their logs must show each handler run exactly once
//! per event (the log lines carry the uuid). With `POSTAL_HOOKS_TEST_REDIS_URL`, two
//! replicas of the axum server share Redis.
//!
//! The example binaries are built by `cargo test` (all examples of this package).

// Test code: a failed step must stop the test, loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::time::Duration;

use postal_hooks::testing::{SAMPLES, Signer};

mod common;
use common::{SERVER_EXAMPLES, Server, example, free_port, post};

/// Every sample under a fresh uuid (so shared Redis state from earlier runs cannot matter).
fn fresh_samples() -> Vec<(String, Vec<u8>)> {
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    SAMPLES
        .iter()
        .enumerate()
        .map(|(i, (_, body))| {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap();
            let old = value["uuid"].as_str().unwrap();
            let uuid = format!("{run:x}-{i}");
            (
                uuid.clone(),
                String::from_utf8_lossy(body)
                    .replace(old, &uuid)
                    .into_bytes(),
            )
        })
        .collect()
}

/// Delivers every sample to `urls` three times at once (Postal's retry racing a slow first
/// attempt, across replicas when there are several), retrying 409s as Postal would.
async fn deliver(urls: &[String]) -> Vec<String> {
    let signer = Signer::test_key();
    let client = reqwest::Client::new();
    let samples = fresh_samples();
    for (i, (_, body)) in samples.iter().enumerate() {
        let headers = signer.sign_sha256(body).headers();
        let url = &urls[i % urls.len()];
        let second = &urls[(i + 1) % urls.len()];
        let (a, b, c) = tokio::join!(
            post(&client, url, body.to_vec(), &headers),
            post(&client, second, body.to_vec(), &headers),
            post(&client, url, body.to_vec(), &headers)
        );
        for mut status in [a, b, c] {
            while status == 409 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                status = post(&client, url, body.to_vec(), &headers).await;
            }
            assert_eq!(status, 200);
        }
    }
    let unsigned = [("Content-Type", "application/json".to_owned())];
    assert_eq!(
        post(&client, &urls[0], samples[0].1.clone(), &unsigned).await,
        401
    );
    samples.into_iter().map(|(uuid, _)| uuid).collect()
}

/// Lines `handled … uuid=<uuid> handler=log_event` must appear exactly once per event.
fn assert_once_per_event(logs: &[String], uuids: &[String], label: &str) {
    for uuid in uuids {
        let count = logs
            .iter()
            .filter(|line| line.contains(&format!("uuid={uuid} handler=log_event")))
            .count();
        assert_eq!(
            count,
            1,
            "{label}: {uuid} ran {count} times\n{}",
            logs.join("\n")
        );
    }
}

#[tokio::test]
async fn every_server_example_handles_each_event_once() {
    for name in SERVER_EXAMPLES {
        let server = Server::start(name, None);
        let uuids = deliver(std::slice::from_ref(&server.url)).await;
        let logs = server.stop();
        assert!(
            logs.iter()
                .any(|line| line.contains("idempotency records in memory")),
            "{name}"
        );
        assert_once_per_event(&logs, &uuids, name);
    }
}

#[tokio::test]
async fn two_axum_replicas_share_redis() {
    let Ok(redis_url) = std::env::var("POSTAL_HOOKS_TEST_REDIS_URL") else {
        assert_ne!(
            std::env::var("POSTAL_HOOKS_REQUIRE_REDIS").as_deref(),
            Ok("1"),
            "POSTAL_HOOKS_TEST_REDIS_URL is required"
        );
        eprintln!("skipped: set POSTAL_HOOKS_TEST_REDIS_URL to run the replicas test");
        return;
    };
    let replicas = [
        Server::start("axum_server", Some(&redis_url)),
        Server::start("axum_server", Some(&redis_url)),
    ];
    let urls: Vec<String> = replicas.iter().map(|server| server.url.clone()).collect();
    let uuids = deliver(&urls).await;
    let logs: Vec<String> = replicas.into_iter().flat_map(Server::stop).collect();
    assert!(
        logs.iter()
            .any(|line| line.contains("idempotency records in Redis"))
    );
    assert_once_per_event(&logs, &uuids, "two replicas");
}

/// With `POSTAL_HOOKS_REPLAY_WINDOW` left at its default (12 hours), every server refuses
/// a captured 2024 delivery with 400 and logs it as `stale`, and accepts the same event
/// queued just now.
#[tokio::test]
async fn every_server_refuses_a_replay_past_the_window_by_default() {
    let signer = Signer::test_key();
    let client = reqwest::Client::new();
    let captured = postal_hooks::testing::sample("MessageSent").unwrap();
    for name in SERVER_EXAMPLES {
        // Empty is the default, as unset (the tests' own default is `off`).
        let window = [("POSTAL_HOOKS_REPLAY_WINDOW", String::new())];
        let server = Server::start_with(name, free_port(), &window);
        let headers = signer.sign_sha256(captured).headers();
        let status = post(&client, &server.url, captured.to_vec(), &headers).await;
        assert_eq!(status, 400, "{name}: the captured delivery");
        let (fresh, uuid) = postal_hooks::testing::fresh(captured);
        let headers = signer.sign_sha256(&fresh).headers();
        assert_eq!(
            post(&client, &server.url, fresh, &headers).await,
            200,
            "{name}"
        );
        let log = server.stop().join("\n");
        assert!(
            log.contains(
                r#"event="MessageSent" uuid="0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20" status=400"#
            ) && log.contains(r#"refusal="stale""#),
            "{name}: {log}"
        );
        assert!(
            log.contains(&format!("uuid={uuid} handler=log_event")),
            "{name}: {log}"
        );
    }
}

#[test]
fn a_server_without_a_key_refuses_to_start_and_says_where_to_get_one() {
    let output = Command::new(example("axum_server"))
        .env_remove("POSTAL_PUBLIC_KEY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("POSTAL_PUBLIC_KEY is not set"), "{stderr}");
    assert!(
        stderr.contains("/.well-known/jwks.json") && stderr.contains("postal._domainkey"),
        "{stderr}"
    );
}
