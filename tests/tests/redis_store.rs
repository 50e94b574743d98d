//! Exactly-once handling with a real Redis shared by replicas: retries, concurrent
//! duplicates across two receivers, expired leases, and Redis going down mid-test.
//!
//! Needs `POSTAL_HOOKS_TEST_REDIS_URL` (see `redis_support`); `.ci/run` provides it.

mod dedupe_support;
mod redis_support;

use std::sync::Arc;
use std::time::Duration;

use dedupe_support::{body, check_claim_outlives_lease, fresh, runs};
use postal_hooks::dedupe::{Claim, IdempotencyStore, RedisStore};
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, NotRun, Outcome, Receiver};

fn dispatcher(store: RedisStore) -> Dispatcher {
    Dispatcher::builder()
        .idempotency_store(store)
        .build()
        .unwrap()
}

#[tokio::test]
async fn retries_after_success_and_after_partial_failure() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let dispatcher = dispatcher(redis_support::store(&url, "retries").await);

    let uuid = fresh("ok-");
    assert_eq!(
        dispatcher
            .dispatch(&body(&uuid))
            .await
            .unwrap()
            .http_status(),
        200
    );
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200);
    let skipped: Vec<_> = retry
        .runs()
        .iter()
        .filter(|r| r.outcome() == &Outcome::Skipped)
        .map(|r| r.handler().name())
        .collect();
    assert_eq!(skipped, ["counted", "flaky", "slow"]);
    assert_eq!(
        (runs("counted", &uuid), runs("every_delivery", &uuid)),
        (1, 2)
    );

    let uuid = fresh("flaky-");
    assert_eq!(
        dispatcher
            .dispatch(&body(&uuid))
            .await
            .unwrap()
            .http_status(),
        500
    );
    assert_eq!(
        dispatcher
            .dispatch(&body(&uuid))
            .await
            .unwrap()
            .http_status(),
        200
    );
    assert_eq!(
        (
            runs("counted", &uuid),
            runs("slow", &uuid),
            runs("flaky", &uuid)
        ),
        (1, 1, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_of_one_uuid_run_each_handler_once() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let dispatcher = dispatcher(redis_support::store(&url, "fifty").await);
    let uuid = fresh("slow-");
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (dispatcher, body) = (dispatcher.clone(), body(&uuid));
            tokio::spawn(async move { dispatcher.dispatch(&body).await.unwrap().http_status() })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            200 => {}
            409 => conflicts += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(conflicts < 50);
    for _ in 0..conflicts {
        assert_eq!(
            dispatcher
                .dispatch(&body(&uuid))
                .await
                .unwrap()
                .http_status(),
            200
        );
    }
    assert_eq!(
        (
            runs("counted", &uuid),
            runs("slow", &uuid),
            runs("flaky", &uuid)
        ),
        (1, 1, 1)
    );
}

/// Delivers `body` through `receiver` until it is acknowledged, as Postal retries (with a
/// deadline far beyond what a loaded machine needs).
async fn deliver_until_acknowledged(receiver: &Receiver, signer: &Signer, body: &[u8]) -> usize {
    let headers = signer.sign_sha256(body).headers();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    for attempt in 1.. {
        let reply = receiver.receive(&headers, body).await;
        match reply.status() {
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
async fn an_expired_lease_lets_the_retry_proceed() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let prefix = fresh("test:lease:");
    let crashed = RedisStore::connect(&url)
        .await
        .unwrap()
        .with_prefix(prefix.clone());
    let dispatcher = dispatcher(RedisStore::connect(&url).await.unwrap().with_prefix(prefix));
    let uuid = fresh("crash-");
    let Claim::Acquired { .. } = crashed
        .claim(&uuid, Duration::from_millis(200))
        .await
        .unwrap()
    else {
        panic!("expected to claim");
    };
    let blocked = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(
        (blocked.http_status(), blocked.not_run()),
        (409, Some(&NotRun::InProgress))
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        dispatcher
            .dispatch(&body(&uuid))
            .await
            .unwrap()
            .http_status(),
        200
    );
    assert_eq!(runs("counted", &uuid), 1);
}

#[tokio::test]
async fn a_handler_slower_than_the_lease_keeps_its_claim() {
    let Some(url) = redis_support::url() else {
        return;
    };
    let store = redis_support::store(&url, "keep-alive").await;
    let dispatcher = Dispatcher::builder()
        .idempotency_store(store)
        .lease(Duration::from_millis(300))
        .build()
        .unwrap();
    // Past the 300 ms lease, while `slow` still runs (600 ms): the renewed claim holds.
    check_claim_outlives_lease(&dispatcher, Duration::from_millis(450)).await;
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
    );
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
    // Postal retries everything that got a 503; the pool reconnects.
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
