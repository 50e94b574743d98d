//! The Redis inbox, shared by replicas: the same scenarios as the embedded one (`inbox.rs`),
//! plus Redis being unreachable. Needs `POSTAL_HOOKS_TEST_REDIS_URL` (see `redis_support`).

#[path = "dedupe_support/mod.rs"]
mod dedupe_support;
mod inbox_support;
mod inspector_support;
mod redis_support;

use std::time::{Duration, Instant};

use inbox_support::*;
use postal_hooks::inbox::{Inbox, InboxError, InboxSettings};
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};

/// The inbox on the test Redis under a prefix of its own; `None` (skip) without one.
async fn open(test: &str, settings: InboxSettings) -> Option<Inbox> {
    let url = redis_support::url()?;
    let prefix = dedupe_support::fresh(&format!("test:inbox:{test}:"));
    Some(
        Inbox::connect_redis(&url, settings.key_prefix(prefix))
            .await
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_deliveries_run_once() {
    if let Some(inbox) = open("once", quick()).await {
        acknowledged_then_run_once(inbox).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_until_they_succeed() {
    if let Some(inbox) = open("retry", quick()).await {
        failures_retried_exactly_once(inbox).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_age_dead_letters_then_retry_runs_once() {
    if let Some(inbox) = open("dead", short_lived()).await {
        dead_lettered_then_retried(inbox).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_reads_the_store_and_outlives_a_restart() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let prefix = dedupe_support::fresh("test:inbox:inspected:");
    let settings = short_lived().key_prefix(prefix);
    let inbox = Inbox::connect_redis(&url, settings.clone()).await.unwrap();
    let reopen = || async move { Inbox::connect_redis(&url, settings).await.unwrap() };
    inspected_from_the_store(inbox, reopen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_inbox_answers_503() {
    if let Some(inbox) = open("bounded", two_entries()).await {
        bounded(inbox).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handlers_and_shutdown() {
    if let Some(inbox) = open("slow", short_lease()).await {
        slow_handler_and_shutdown(inbox).await;
    }
}

/// A worker of a replica that died holds its delivery until the lease runs out; then
/// another replica's worker takes it over (`XAUTOCLAIM`) and runs it exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_takes_over_after_the_lease() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let prefix = dedupe_support::fresh("test:inbox:takeover:");
    let settings = quick().lease(Duration::from_millis(500)).key_prefix(prefix);
    let first = Inbox::connect_redis(&url, settings.clone()).await.unwrap();
    let lab = std::sync::Arc::new(Lab::default());
    lab.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    let slow = format!("slow-{}", uuid("takeover", 0));
    push(&first, &slow).await.unwrap();
    // The first replica's workers run on a runtime of their own, dropped (killed) below.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dying = {
        let _guard = runtime.enter();
        first.start(&dispatcher(lab.clone())).unwrap()
    };
    eventually(
        Duration::from_secs(10),
        "the first replica to start it",
        || async { lab.runs("slow-started", &slow) == 1 },
    )
    .await;
    std::mem::forget(dying);
    runtime.shutdown_background(); // the replica dies inside the handler

    let second = Inbox::connect_redis(&url, settings).await.unwrap();
    let started = Instant::now();
    lab.hold.store(false, std::sync::atomic::Ordering::SeqCst);
    let workers = second.start(&dispatcher(lab.clone())).unwrap();
    drained(
        &second,
        Duration::from_secs(20),
        "the second replica to finish it",
    )
    .await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "not before the lease"
    );
    assert_eq!(
        lab.runs("slow", &slow),
        1,
        "finished once, by the second replica"
    );
    assert_eq!(
        lab.runs("steady", &slow),
        1,
        "recorded by the first; not run again"
    );
    workers.shutdown(Duration::from_secs(5)).await;
}

/// Redis down: startup fails with the cause; a Redis that stops answering gets 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_redis_answers_503() {
    if redis_support::url().is_none() {
        return;
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let error = Inbox::connect_redis(&format!("redis://127.0.0.1:{port}"), quick())
        .await
        .unwrap_err();
    assert!(matches!(error, InboxError::Unavailable(_)), "{error:?}");

    let redis = redis_support::PrivateRedis::start();
    let inbox = Inbox::connect_redis(&redis.url(), quick()).await.unwrap();
    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .allow_no_handlers()
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, signer.verifier())
        .with_replay_window(None)
        .with_inbox(inbox);
    redis.freeze();
    let body = body(&uuid("frozen", 0));
    let started = Instant::now();
    let reply = receiver.receive(&signer.sign(&body).headers(), &body).await;
    redis.thaw();
    assert_eq!(reply.status(), 503, "{}", reply.body());
    assert!(
        reply
            .body()
            .starts_with("not stored: the inbox is unavailable"),
        "{}",
        reply.body()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered before Postal's timeout"
    );
}

/// A stored record that cannot be read (a body that does not parse, or none) is
/// dead-lettered with its reason; the good ones beside it run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_records_are_dead_lettered_with_their_reason() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let prefix = dedupe_support::fresh("test:inbox:damaged:");
    let inbox = Inbox::connect_redis(&url, quick().key_prefix(prefix.clone()))
        .await
        .unwrap();
    let (good, not_json, no_body) = (uuid("damaged", 0), uuid("damaged", 1), uuid("damaged", 2));
    for uuid in [&good, &not_json, &no_body] {
        push(&inbox, uuid).await.unwrap();
    }
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("HSET")
        .arg(format!("{prefix}:d:{not_json}"))
        .arg("body")
        .arg("{no")
        .query_async(&mut connection)
        .await
        .unwrap();
    let _: () = redis::cmd("HDEL")
        .arg(format!("{prefix}:d:{no_body}"))
        .arg("body")
        .query_async(&mut connection)
        .await
        .unwrap();

    let reasons = reasons_of_damaged(&inbox, &good, 2).await;
    let reason = |uuid: &str| reasons.get(uuid).cloned().unwrap_or_default();
    assert!(
        reason(&not_json).starts_with("unreadable record: the stored body does not parse"),
        "{reasons:?}"
    );
    assert!(
        reason(&no_body).starts_with("unreadable record: no stored body"),
        "{reasons:?}"
    );
}
