//! The exactly-once scenarios, written once, generic over the [`IdempotencyStore`]:
//! `tests/dedupe.rs` runs them against the in-memory store and `tests/redis_store.rs`
//! against Redis. Each takes the store (or two handles on the same records) and, where
//! time matters, the lease and waits that suit that store.
#![allow(dead_code)] // each suite uses the scenarios that apply to it

use std::sync::Arc;
use std::time::Duration;

use postal_hooks::dedupe::{Claim, IdempotencyStore};
use postal_hooks::{Dispatcher, NotRun, Outcome, Report};

use super::dedupe_support::{body, check_claim_outlives_lease, fresh, runs};

/// Every `#[on_event]` handler of `dedupe_support`, deduplicated with `store`.
pub fn dispatcher<S: IdempotencyStore>(store: Arc<S>) -> Dispatcher {
    Dispatcher::builder()
        .idempotency_store_arc(store)
        .build()
        .unwrap()
}

fn outcomes(report: &Report) -> Vec<(&str, Outcome)> {
    report
        .runs()
        .iter()
        .map(|run| (run.handler().name(), run.outcome().clone()))
        .collect()
}

/// A retry of a fully handled uuid runs only the opted-out handler.
pub async fn a_retry_after_full_success_runs_nothing<S: IdempotencyStore>(store: Arc<S>) {
    let dispatcher = dispatcher(store);
    let uuid = fresh("ok-");
    let first = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(first.http_status(), 200, "{first}");
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(
        outcomes(&retry),
        [
            ("counted", Outcome::Skipped),
            ("every_delivery", Outcome::Ok),
            ("flaky", Outcome::Skipped),
            ("slow", Outcome::Skipped)
        ]
    );
    let skipped: Vec<_> = retry
        .runs()
        .iter()
        .filter(|r| r.outcome() == &Outcome::Skipped)
        .map(|r| r.handler().name())
        .collect();
    assert_eq!(skipped, ["counted", "flaky", "slow"]);
    assert!(
        retry
            .to_string()
            .contains("skipped: already done for this uuid"),
        "{retry}"
    );
    assert_eq!(
        (
            runs("counted", &uuid),
            runs("slow", &uuid),
            runs("flaky", &uuid)
        ),
        (1, 1, 1)
    );
    assert_eq!(
        runs("every_delivery", &uuid),
        2,
        "the opted-out handler runs on every delivery"
    );
}

/// After a partial failure, the retry runs only the handler that failed.
pub async fn a_retry_after_partial_failure_reruns_only_the_failed_handler<S: IdempotencyStore>(
    store: Arc<S>,
) {
    let dispatcher = dispatcher(store);
    let uuid = fresh("flaky-");
    let first = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(first.http_status(), 500);
    assert_eq!(
        first
            .failures()
            .map(|run| run.handler().name())
            .collect::<Vec<_>>(),
        ["flaky"]
    );
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(
        outcomes(&retry),
        [
            ("counted", Outcome::Skipped),
            ("every_delivery", Outcome::Ok),
            ("flaky", Outcome::Ok),
            ("slow", Outcome::Skipped)
        ]
    );
    assert_eq!(
        (
            runs("counted", &uuid),
            runs("slow", &uuid),
            runs("flaky", &uuid)
        ),
        (1, 1, 2)
    );
    // A third delivery runs nothing deduplicated.
    dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!((runs("counted", &uuid), runs("flaky", &uuid)), (1, 2));
}

/// Fifty deliveries of one uuid at once: each is answered 200 or 409, and each handler runs
/// once. Needs a multi-threaded runtime.
pub async fn fifty_concurrent_deliveries_of_one_uuid_run_each_handler_once<S: IdempotencyStore>(
    store: Arc<S>,
) {
    let dispatcher = dispatcher(store);
    let uuid = fresh("slow-");
    let deliveries: Vec<_> = (0..50)
        .map(|_| {
            let (dispatcher, body) = (dispatcher.clone(), body(&uuid));
            tokio::spawn(async move { dispatcher.dispatch(&body).await.unwrap().http_status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for delivery in deliveries {
        statuses.push(delivery.await.unwrap());
    }
    for status in &statuses {
        match status.as_u16() {
            200 | 409 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    let accepted = statuses.iter().filter(|&&status| status == 200).count();
    let conflicts = statuses.iter().filter(|&&status| status == 409).count();
    assert!(accepted >= 1 && accepted + conflicts == 50, "{statuses:?}");
    assert!(conflicts < 50);
    // As Postal would: retry every 409 until it is acknowledged.
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

/// A worker claimed a uuid for `lease` and crashed without releasing it: deliveries get
/// 409 until the lease runs out, and the retry after `wait` (past the lease) runs.
/// `crashed` and `store` are two handles on the same records.
pub async fn an_expired_lease_lets_the_retry_proceed<S: IdempotencyStore>(
    crashed: &S,
    store: Arc<S>,
    lease: Duration,
    wait: Duration,
) {
    let dispatcher = dispatcher(store);
    let uuid = fresh("crash-");
    let Claim::Acquired { .. } = crashed.claim(&uuid, lease).await.unwrap() else {
        panic!("expected to claim");
    };
    let blocked = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(blocked.http_status(), 409);
    assert_eq!(blocked.not_run(), Some(&NotRun::InProgress));
    assert_eq!(
        (blocked.http_status().as_u16(), blocked.not_run()),
        (409, Some(&NotRun::InProgress))
    );
    assert!(blocked.runs().is_empty() && runs("counted", &uuid) == 0);
    tokio::time::sleep(wait).await;
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(runs("counted", &uuid), 1);
}

/// A handler slower than the lease keeps its claim alive: a retry at `retry_after` (past
/// `lease`, while `slow` still runs) gets 409 and runs nothing a second time.
pub async fn a_handler_slower_than_the_lease_keeps_its_claim<S: IdempotencyStore>(
    store: Arc<S>,
    lease: Duration,
    retry_after: Duration,
) {
    let dispatcher = Dispatcher::builder()
        .idempotency_store_arc(store)
        .lease(lease)
        .build()
        .unwrap();
    check_claim_outlives_lease(&dispatcher, retry_after).await;
}
