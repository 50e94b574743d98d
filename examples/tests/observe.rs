//! What every server example shows an operator: one log line per request on stdout
//! (`RUST_LOG`, default `info`), and, with `POSTAL_HOOKS_METRICS=1`, Prometheus text at
//! `GET /metrics` whose counters match what was sent; with the inbox, its gauges.

// Test code: a failed step must stop the test, loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "common/downstream.rs"]
#[allow(dead_code)] // `Mode::Hang` is for the inbox tests
mod downstream;

use std::time::{Duration, Instant};

use common::{SERVER_EXAMPLES, Server, free_port, post, signed};
use downstream::{Downstream, Mode};

async fn metrics(client: &reqwest::Client, server: &Server) -> String {
    let response = client
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the sample `line` (name and labels as Prometheus prints them).
fn value(text: &str, sample: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_logs_each_request_and_counts_it() {
    let client = reqwest::Client::new();
    for name in SERVER_EXAMPLES {
        let crm = Downstream::start(Mode::Up);
        let server = Server::start_with(
            name,
            free_port(),
            &[
                ("POSTAL_HOOKS_METRICS", "1".to_owned()),
                ("POSTAL_HOOKS_EXAMPLE_CRM_URL", crm.url.clone()),
            ],
        );
        let run = format!("{name}-{}", std::process::id());
        const OK: usize = 3;
        for index in 0..OK {
            let (body, headers) = signed(&format!("observe-{run}-ok-{index}"));
            assert_eq!(
                post(&client, &server.url, body, &headers).await,
                200,
                "{name}"
            );
        }
        crm.set(Mode::Down);
        let (body, headers) = signed(&format!("observe-{run}-fails"));
        assert_eq!(
            post(&client, &server.url, body, &headers).await,
            500,
            "{name}"
        );
        let (body, _) = signed(&format!("observe-{run}-forged"));
        let forged = [("content-type", "application/json".to_owned())];
        assert_eq!(
            post(&client, &server.url, body, &forged).await,
            401,
            "{name}"
        );

        let text = metrics(&client, &server).await;
        let count = |sample: &str| {
            value(&text, sample).unwrap_or_else(|| panic!("{name}: no {sample} in\n{text}"))
        };
        assert_eq!(
            count(r#"postal_hooks_deliveries_total{event="MessageSent",status="200"}"#),
            OK as f64
        );
        assert_eq!(
            count(r#"postal_hooks_deliveries_total{event="MessageSent",status="500"}"#),
            1.0
        );
        assert_eq!(
            count(r#"postal_hooks_deliveries_total{event="unknown",status="401"}"#),
            1.0
        );
        assert_eq!(
            count(r#"postal_hooks_refusals_total{reason="unauthorized"}"#),
            1.0
        );
        let crate_name = name;
        let notify = format!("{crate_name}::shared::notify_crm");
        assert_eq!(
            count(&format!(
                r#"postal_hooks_handler_runs_total{{handler="{notify}",outcome="ok"}}"#
            )),
            OK as f64
        );
        assert_eq!(
            count(&format!(
                r#"postal_hooks_handler_runs_total{{handler="{notify}",outcome="error"}}"#
            )),
            1.0
        );
        let track = format!("{crate_name}::shared::track_delivery");
        assert_eq!(
            count(&format!(
                r#"postal_hooks_handler_runs_total{{handler="{track}",outcome="ok"}}"#
            )),
            (OK + 1) as f64
        );
        assert_eq!(
            count(&format!(
                r#"postal_hooks_handler_duration_seconds_count{{handler="{notify}"}}"#
            )),
            (OK + 1) as f64,
            "a histogram, one sample per run"
        );
        assert!(
            text.contains("# TYPE postal_hooks_handler_duration_seconds histogram"),
            "{text}"
        );

        // One INFO line per request, with no payload value.
        let log = server.stop();
        let lines: Vec<&String> = log
            .iter()
            .filter(|line| line.contains("postal webhook "))
            .collect();
        assert_eq!(lines.len(), OK + 2, "{name}: {log:#?}");
        assert!(
            lines.iter().all(|line| line.contains(" INFO ")),
            "{lines:#?}"
        );
        assert_eq!(
            lines
                .iter()
                .filter(|line| line.contains("status=200"))
                .count(),
            OK
        );
        let failed = lines
            .iter()
            .find(|line| line.contains("status=500"))
            .unwrap();
        assert!(failed.contains(&format!("failed=[{notify}]")), "{failed}");
        let refused = lines
            .iter()
            .find(|line| line.contains("status=401"))
            .unwrap();
        assert!(refused.contains(r#"refusal="unauthorized""#), "{refused}");
        for line in &lines {
            assert!(
                !line.contains("jane.doe") && !line.contains("receipt"),
                "a payload value: {line}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_settings_there_is_no_metrics_or_inspector_route() {
    let client = reqwest::Client::new();
    for name in SERVER_EXAMPLES {
        let server = Server::start_with(name, free_port(), &[]);
        for path in [
            "/metrics",
            "/postal/inspector",
            "/postal/inspector/api/deliveries",
        ] {
            let status = client
                .get(format!("http://{}{path}", server.addr))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 404, "{name} {path}");
        }
        drop(server);
    }
    // RUST_LOG chooses what is logged: `warn` hides the per-request line.
    let quiet = Server::start_with(
        "axum_server",
        free_port(),
        &[("RUST_LOG", "warn".to_owned())],
    );
    let (body, headers) = signed(&format!("quiet-{}", std::process::id()));
    assert_eq!(post(&client, &quiet.url, body, &headers).await, 200);
    let log = quiet.stop();
    assert!(
        log.iter().any(|line| line.starts_with("handled ")),
        "{log:#?}"
    );
    assert!(
        !log.iter().any(|line| line.contains("postal webhook ")),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_inbox_the_gauges_show_pending_and_dead_letters() {
    let client = reqwest::Client::new();
    let crm = Downstream::start(Mode::Down);
    let dir = std::env::temp_dir().join(format!("postal-hooks-gauges-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let server = Server::start_with(
        "axum_server",
        free_port(),
        &[
            ("POSTAL_HOOKS_METRICS", "1".to_owned()),
            ("POSTAL_HOOKS_EXAMPLE_CRM_URL", crm.url.clone()),
            ("POSTAL_HOOKS_INBOX", dir.display().to_string()),
            ("POSTAL_HOOKS_RETRY_BACKOFF", "100ms".to_owned()),
            ("POSTAL_HOOKS_RETRY_MAX_AGE", "1s".to_owned()),
        ],
    );
    for index in 0..2 {
        let (body, headers) = signed(&format!("gauges-{}-{index}", std::process::id()));
        assert_eq!(post(&client, &server.url, body, &headers).await, 200);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = metrics(&client, &server).await;
        let dead = value(&text, "postal_hooks_inbox_dead_letters");
        let pending = value(&text, "postal_hooks_inbox_pending");
        if dead == Some(2.0) && pending == Some(0.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "gauges: pending {pending:?}, dead {dead:?}\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
