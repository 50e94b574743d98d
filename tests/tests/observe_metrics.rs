//! The metrics, by their fixed names: N signed deliveries (one handler failing) and one
//! forged request are counted by event and status, per handler and outcome, and by refusal.

mod common;

use std::collections::HashMap;

use metrics_util::CompositeKey;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use postal_hooks::events::{MessageBounced, MessageSent};
use postal_hooks::observe;
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};

fn bounce_fails(_: &MessageBounced) -> Result<(), String> {
    Err("suppression list down".into())
}

fn sent_ok(_: &MessageSent) {}

/// `name{label=value,…}` (labels sorted) to its value, for every metric recorded.
fn snapshot(recorder: &DebuggingRecorder) -> HashMap<String, DebugValue> {
    recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value): (CompositeKey, _, _, DebugValue)| {
            let mut labels: Vec<String> = key
                .key()
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            labels.sort();
            (
                format!("{}{{{}}}", key.key().name(), labels.join(",")),
                value,
            )
        })
        .collect()
}

fn counter(metrics: &HashMap<String, DebugValue>, key: &str) -> u64 {
    match metrics.get(key) {
        Some(DebugValue::Counter(value)) => *value,
        other => panic!(
            "{key}: {other:?}\nall: {:#?}",
            metrics.keys().collect::<Vec<_>>()
        ),
    }
}

#[test]
fn counters_equal_the_deliveries_by_event_and_status_plus_failures_and_refusals() {
    const SENT: usize = 5;
    const BOUNCED: usize = 3;
    let recorder = DebuggingRecorder::new();
    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(sent_ok)
        .on(bounce_fails)
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher.clone(), signer.verifier()).with_replay_window(None);
    let paths: Vec<String> = dispatcher
        .handlers()
        .map(|handler| handler.path())
        .collect();
    let (sent_path, bounce_path) = (&paths[0], &paths[1]);

    metrics::with_local_recorder(&recorder, || {
        for index in 0..SENT {
            let body =
                common::payload_with_uuid("MessageSent.json", &format!("metrics-sent-{index}"));
            let reply = receiver.receive_blocking(&signer.sign(&body).headers(), &body);
            assert_eq!(reply.status(), 200);
        }
        for index in 0..BOUNCED {
            let body = common::payload_with_uuid(
                "MessageBounced.json",
                &format!("metrics-bounce-{index}"),
            );
            let reply = receiver.receive_blocking(&signer.sign(&body).headers(), &body);
            assert_eq!(reply.status(), 500);
        }
        let body = common::payload("MessageSent.json");
        let forged = receiver.receive_blocking(&signer.sign(b"other").headers(), &body);
        assert_eq!(forged.status(), 401);
    });

    let metrics = snapshot(&recorder);
    let deliveries = observe::DELIVERIES_TOTAL;
    assert_eq!(deliveries, "postal_hooks_deliveries_total");
    assert_eq!(
        counter(
            &metrics,
            &format!("{deliveries}{{event=MessageSent,status=200}}")
        ),
        SENT as u64
    );
    assert_eq!(
        counter(
            &metrics,
            &format!("{deliveries}{{event=MessageBounced,status=500}}")
        ),
        BOUNCED as u64
    );
    assert_eq!(
        counter(
            &metrics,
            &format!("{deliveries}{{event=unknown,status=401}}")
        ),
        1
    );
    let runs = "postal_hooks_handler_runs_total";
    assert_eq!(
        counter(
            &metrics,
            &format!("{runs}{{handler={sent_path},outcome=ok}}")
        ),
        SENT as u64
    );
    assert_eq!(
        counter(
            &metrics,
            &format!("{runs}{{handler={bounce_path},outcome=error}}")
        ),
        BOUNCED as u64
    );
    assert_eq!(
        counter(&metrics, "postal_hooks_refusals_total{reason=unauthorized}"),
        1
    );
    let deliveries_counted: u64 = metrics
        .iter()
        .filter(|(key, _)| key.starts_with("postal_hooks_deliveries_total{"))
        .map(|(key, _)| counter(&metrics, key))
        .sum();
    assert_eq!(deliveries_counted, (SENT + BOUNCED + 1) as u64);
    match metrics.get(&format!(
        "postal_hooks_handler_duration_seconds{{handler={sent_path}}}"
    )) {
        Some(DebugValue::Histogram(samples)) => assert_eq!(samples.len(), SENT),
        other => panic!("{other:?}"),
    }
    // A retry of a handled delivery counts the skip.
    metrics::with_local_recorder(&recorder, || {
        let body = common::payload_with_uuid("MessageSent.json", "metrics-sent-0");
        receiver.receive_blocking(&signer.sign(&body).headers(), &body);
    });
    let metrics = snapshot(&recorder);
    assert_eq!(
        counter(
            &metrics,
            &format!("{runs}{{handler={sent_path},outcome=skipped}}")
        ),
        1
    );
}
