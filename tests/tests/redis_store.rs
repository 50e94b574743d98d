//! Exactly-once handling with a real Redis shared by replicas: the shared store scenarios
//! (retries, concurrent duplicates, expired and kept-alive leases), then what only Redis
//! brings: two replicas, a startup check, and Redis going down mid-test.
//!
//! Needs `POSTAL_HOOKS_TEST_REDIS_URL` (see `redis_support`); `.ci/run` provides it.

mod dedupe_support;
mod redis_support;
mod store_scenarios;

use std::sync::Arc;
use std::time::Duration;

use dedupe_support::{body, fresh, runs};
use postal_hooks::dedupe::RedisStore;
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver};

fn dispatcher(store: RedisStore) -> Dispatcher {
    Dispatcher::builder()
        .idempotency_store(store)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_retry_after_full_success_runs_nothing() {
    if let Some(store) = redis_support::shared_store("retries").await {
        store_scenarios::a_retry_after_full_success_runs_nothing(store).await;
    }
}

#[tokio::test]
async fn a_retry_after_partial_failure_reruns_only_the_failed_handler() {
    if let Some(store) = redis_support::shared_store("partial").await {
        store_scenarios::a_retry_after_partial_failure_reruns_only_the_failed_handler(store).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_of_one_uuid_run_each_handler_once() {
    if let Some(store) = redis_support::shared_store("fifty").await {
        store_scenarios::fifty_concurrent_deliveries_of_one_uuid_run_each_handler_once(store).await;
    }
}

#[tokio::test]
async fn an_expired_lease_lets_the_retry_proceed() {
    let Some(url) = redis_support::url() else {
        return;
    };
    // Two connections on the same records: the crashed worker's, and the live dispatcher's.
    let prefix = fresh("test:lease:");
    let connect = || async { RedisStore::connect(&url).await.unwrap() };
    let crashed = connect().await.with_prefix(prefix.clone());
    let store = Arc::new(connect().await.with_prefix(prefix));
    let (lease, wait) = (Duration::from_millis(200), Duration::from_millis(300));
    store_scenarios::an_expired_lease_lets_the_retry_proceed(&crashed, store, lease, wait).await;
}

#[tokio::test]
async fn a_handler_slower_than_the_lease_keeps_its_claim() {
    let Some(store) = redis_support::shared_store("keep-alive").await else {
        return;
    };
    // Past the 300 ms lease, while `slow` still runs (600 ms): the renewed claim holds.
    let (lease, retry_after) = (Duration::from_millis(300), Duration::from_millis(450));
    store_scenarios::a_handler_slower_than_the_lease_keeps_its_claim(store, lease, retry_after)
        .await;
}

/// Delivers `body` through `receiver` until it is acknowledged, as Postal retries (with a
/// deadline far beyond what a loaded machine needs).
async fn deliver_until_acknowledged(receiver: &Receiver, signer: &Signer, body: &[u8]) -> usize {
    let headers = signer.sign_sha256(body).headers();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for attempt in 1.. {
        let reply = receiver.receive(&headers, body).await;
        match reply.status().as_u16() {
            200 => return attempt,
            409 | 500 | 503 => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "never acknowledged; last: {}",
                    reply.body()
                );
                tokio::time::sleep(Duration::from_millis(5 * attempt.min(20) as u64)).await;
            }
            other => panic!("unexpected {other}: {}", reply.body()),
        }
    }
    unreachable!()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_sharing_redis_run_each_handler_once_per_event() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let prefix = fresh("test:replicas:");
    let signer = Signer::test_key();
    let replica = |store: RedisStore| {
        Receiver::new(
            dispatcher(store.with_prefix(prefix.clone())),
            signer.verifier(),
        )
        .with_replay_window(None)
    };
    let replicas = Arc::new([
        replica(RedisStore::connect(&url).await.unwrap()),
        replica(RedisStore::connect(&url).await.unwrap()),
    ]);
    let uuids: Vec<String> = (0..200)
        .map(|i| fresh(if i % 4 == 0 { "slow-" } else { "r-" }))
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for uuid in &uuids {
        // Three concurrent deliveries of each event, spread over both replicas.
        for copy in 0..3 {
            let (replicas, signer, body) = (replicas.clone(), signer.clone(), body(uuid));
            tasks.spawn(async move {
                let receiver = &replicas[copy % 2];
                deliver_until_acknowledged(receiver, &signer, &body).await
            });
        }
    }
    let mut deliveries = 0;
    while let Some(attempts) = tasks.join_next().await {
        deliveries += attempts.unwrap();
    }
    assert!(deliveries >= 600);
    for uuid in &uuids {
        assert_eq!(
            (
                runs("counted", uuid),
                runs("slow", uuid),
                runs("flaky", uuid)
            ),
            (1, 1, 1),
            "{uuid}"
        );
        assert_eq!(
            runs("every_delivery", uuid),
            3,
            "{uuid}: the opted-out handler runs per acknowledged delivery"
        );
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_a_clear_startup_error() {
    let Some(_) = redis_support::url() else {
        return;
    };
    let error = RedisStore::connect("redis://127.0.0.1:1")
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("idempotency store unavailable: Redis"),
        "{error}"
    );
    assert!(RedisStore::new("not a url").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_test_gives_503_and_loses_nothing_once_back() {
    let Some(_) = redis_support::url() else {
        return;
    };
    let mut redis = redis_support::PrivateRedis::start();
    let signer = Signer::test_key();
    let receiver = Receiver::new(
        dispatcher(RedisStore::connect(&redis.url()).await.unwrap()),
        signer.verifier(),
    )
    .with_replay_window(None);
    let before: Vec<String> = (0..5).map(|_| fresh("before-")).collect();
    let during: Vec<String> = (0..5).map(|_| fresh("during-")).collect();
    for uuid in &before {
        let body = body(uuid);
        assert_eq!(
            receiver
                .receive(&signer.sign_sha256(&body).headers(), &body)
                .await
                .status(),
            200
        );
    }

    redis.stop();
    for uuid in before.iter().chain(&during) {
        let body = body(uuid);
        let reply = receiver
            .receive(&signer.sign_sha256(&body).headers(), &body)
            .await;
        assert_eq!(reply.status(), 503, "{uuid}: {}", reply.body());
        assert!(
            reply.body().starts_with("idempotency store unavailable"),
            "{}",
            reply.body()
        );
    }
    for uuid in &during {
        assert_eq!(
            runs("counted", uuid),
            0,
            "nothing runs without the duplicate check"
        );
    }

    redis.restart();
    // Postal retries everything that got a 503; the connection is made again.
    for uuid in before.iter().chain(&during) {
        deliver_until_acknowledged(&receiver, &signer, &body(uuid)).await;
    }
    for uuid in before.iter().chain(&during) {
        assert_eq!(
            (
                runs("counted", uuid),
                runs("slow", uuid),
                runs("flaky", uuid)
            ),
            (1, 1, 1),
            "{uuid}"
        );
    }
}

/// Issue 11 §3: with Redis frozen (`kill -STOP`) while 30 deliveries are in flight, every
/// one is answered inside Postal's 5 s: one deadline across each delivery's store calls,
/// not a timeout per call. Nothing runs twice once Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_costs_each_delivery_one_deadline_not_one_per_call() {
    let Some(_) = redis_support::url() else {
        return;
    };
    let redis = redis_support::PrivateRedis::start();
    let dispatcher = Dispatcher::builder()
        .idempotency_store(RedisStore::connect(&redis.url()).await.unwrap())
        .store_deadline(Duration::from_millis(1500))
        // The claims the frozen Redis still holds in its socket run when it thaws; nobody
        // releases them, so they last their lease (Postal's first retry comes after 2 min).
        .lease(Duration::from_secs(1))
        .build()
        .unwrap();
    let uuids: Vec<String> = (0..30).map(|_| fresh("frozen-")).collect();
    redis.freeze();
    let deliveries = spawn_timed(&dispatcher, &uuids);
    for delivery in deliveries {
        let (status, took) = delivery.await.unwrap();
        assert_eq!(status, 503);
        assert!(took < Duration::from_secs(5), "answered after {took:?}");
    }
    redis.thaw();
    for uuid in &uuids {
        assert_eq!(retry_until_accepted(&dispatcher, uuid).await, 200, "{uuid}");
        assert_eq!(
            (runs("counted", uuid), runs("slow", uuid)),
            (1, 1),
            "{uuid}"
        );
    }

    // Frozen while 30 deliveries are in flight: claimed, their handlers running (600 ms).
    // Each is answered 200 inside Postal's 5 s, its records and release sharing the one
    // deadline, so Postal has no reason to retry. What was recorded before the freeze
    // (`counted`) is never run again; `slow` finished while Redis was frozen, so its record
    // was given up at the deadline, and only a retry Postal has no reason to send would run
    // it again (the trade `store_deadline` documents).
    let uuids: Vec<String> = (0..30).map(|_| fresh("lingering-")).collect();
    let deliveries = spawn_timed(&dispatcher, &uuids);
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.freeze();
    for delivery in deliveries {
        let (status, took) = delivery.await.unwrap();
        assert_eq!(status, 200);
        assert!(took < Duration::from_secs(5), "answered after {took:?}");
    }
    redis.thaw();
    tokio::time::sleep(Duration::from_millis(1500)).await; // the leases run out
    for uuid in &uuids {
        assert_eq!(retry_until_accepted(&dispatcher, uuid).await, 200, "{uuid}");
        assert_eq!(
            runs("counted", uuid),
            1,
            "{uuid}: recorded, so never run twice"
        );
    }
}

/// Dispatches each uuid's body in a task of its own: its status and how long it took.
fn spawn_timed(
    dispatcher: &Dispatcher,
    uuids: &[String],
) -> Vec<tokio::task::JoinHandle<(u16, Duration)>> {
    uuids
        .iter()
        .map(|uuid| {
            let (dispatcher, body) = (dispatcher.clone(), body(uuid));
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let report = dispatcher.dispatch(&body).await.unwrap();
                (report.http_status().as_u16(), started.elapsed())
            })
        })
        .collect()
}

/// Retries `uuid`'s delivery every 100 ms, as Postal would, until it gets 200 (10 s at
/// most): its last status.
async fn retry_until_accepted(dispatcher: &Dispatcher, uuid: &str) -> u16 {
    let mut status = 0;
    for _ in 0..100 {
        status = dispatcher
            .dispatch(&body(uuid))
            .await
            .unwrap()
            .http_status()
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    status
}

/// A store made on one tokio runtime and used on another after the first is gone (a test
/// harness, or a startup check on a runtime of its own): its connection and pipeline,
/// whose tasks died with the first runtime, are made anew on the second.
#[test]
fn a_store_outlives_the_runtime_that_connected_it() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    };
    let first = runtime();
    let store = first.block_on(redis_support::store(&url, "outlived"));
    let dispatcher = dispatcher(store);
    let before = fresh("outlived-");
    let report = first.block_on(dispatcher.dispatch(&body(&before))).unwrap();
    assert_eq!(report.http_status(), 200, "{report}");
    drop(first);

    let second = runtime();
    let after = fresh("outlived-");
    let report = second.block_on(dispatcher.dispatch(&body(&after))).unwrap();
    assert_eq!(report.http_status(), 200, "{report}");
    assert_eq!(runs("counted", &after), 1);
    let retry = second
        .block_on(dispatcher.dispatch(&body(&before)))
        .unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(
        runs("counted", &before),
        1,
        "the record made on the first runtime holds"
    );
}
