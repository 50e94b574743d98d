//! Exactly-once handling with the embedded in-memory store: retries after success and
//! after partial failure, concurrent duplicates, expired leases, opt-outs, an unreachable
//! store.

mod dedupe_support;

use std::sync::Arc;
use std::time::Duration;

use dedupe_support::{body, check_claim_outlives_lease, fresh, runs};
use postal_hooks::dedupe::{
    BoxFuture, Claim, ClaimToken, IdempotencyStore, MemoryStore, StoreError,
};
use postal_hooks::{Dispatcher, NotRun, Outcome, Report};

fn dispatcher() -> Dispatcher {
    Dispatcher::builder().build().unwrap()
}

fn outcomes(report: &Report) -> Vec<(&str, Outcome)> {
    report
        .runs()
        .iter()
        .map(|run| (run.handler().name(), run.outcome().clone()))
        .collect()
}

#[tokio::test]
async fn a_retry_after_full_success_runs_nothing() {
    let dispatcher = dispatcher();
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

#[tokio::test]
async fn a_retry_after_partial_failure_reruns_only_the_failed_handler() {
    let dispatcher = dispatcher();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_of_one_uuid_run_each_handler_once() {
    let dispatcher = dispatcher();
    let uuid = fresh("slow-");
    let deliveries: Vec<_> = (0..50)
        .map(|_| {
            let dispatcher = dispatcher.clone();
            let body = body(&uuid);
            tokio::spawn(async move { dispatcher.dispatch(&body).await.unwrap().http_status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for delivery in deliveries {
        statuses.push(delivery.await.unwrap());
    }
    let accepted = statuses.iter().filter(|&&status| status == 200).count();
    let conflicts = statuses.iter().filter(|&&status| status == 409).count();
    assert!(accepted >= 1 && accepted + conflicts == 50, "{statuses:?}");
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

#[tokio::test]
async fn an_expired_lease_lets_the_retry_proceed() {
    let store = Arc::new(MemoryStore::new());
    let dispatcher = Dispatcher::builder()
        .idempotency_store_arc(store.clone())
        .build()
        .unwrap();
    let uuid = fresh("crash-");
    // A worker claimed the uuid and crashed: it never released.
    let Claim::Acquired { .. } = store
        .claim(&uuid, Duration::from_millis(100))
        .await
        .unwrap()
    else {
        panic!("expected to claim");
    };
    let blocked = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(blocked.http_status(), 409);
    assert_eq!(blocked.not_run(), Some(&NotRun::InProgress));
    assert!(blocked.runs().is_empty() && runs("counted", &uuid) == 0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    assert_eq!(runs("counted", &uuid), 1);
}

#[tokio::test]
async fn a_handler_slower_than_the_lease_keeps_its_claim() {
    let dispatcher = Dispatcher::builder()
        .lease(Duration::from_millis(100))
        .build()
        .unwrap();
    // Well past the lease, while `slow` still runs: Postal's retry must not run it again.
    check_claim_outlives_lease(&dispatcher, Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_cancelled_delivery_frees_its_claim_at_once() {
    // The default 60 s lease: without the release on cancellation, the retry would wait it out.
    let dispatcher = dispatcher();
    let uuid = fresh("lingering-");
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        dispatcher.dispatch(&body(&uuid)),
    )
    .await;
    assert!(cancelled.is_err(), "the delivery was still running");
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(retry.http_status(), 200, "{retry}");
    // `counted` finished before the cancellation and is skipped; `slow` never finished.
    assert_eq!((runs("counted", &uuid), runs("slow", &uuid)), (1, 1));
    assert!(outcomes(&retry).contains(&("counted", Outcome::Skipped)));
}

#[tokio::test]
async fn opting_out_runs_everything_every_time() {
    let dispatcher = Dispatcher::builder().without_dedupe().build().unwrap();
    let uuid = fresh("off-");
    for _ in 0..3 {
        assert_eq!(
            dispatcher
                .dispatch(&body(&uuid))
                .await
                .unwrap()
                .http_status(),
            200
        );
    }
    assert_eq!(runs("counted", &uuid), 3);
}

#[tokio::test]
async fn a_handler_can_be_exempted_by_path() {
    let dispatcher = Dispatcher::builder()
        .dedupe_exempt("dedupe::dedupe_support::counted")
        .build()
        .unwrap();
    let uuid = fresh("exempt-");
    for _ in 0..2 {
        dispatcher.dispatch(&body(&uuid)).await.unwrap();
    }
    assert_eq!((runs("counted", &uuid), runs("slow", &uuid)), (2, 1));
    let info = dispatcher
        .handlers()
        .find(|h| h.name() == "counted")
        .unwrap();
    assert!(!info.is_deduplicated());
    let error = Dispatcher::builder()
        .dedupe_exempt("no::such::handler")
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`dedupe_exempt(\"no::such::handler\")` names no handler"),
        "{error}"
    );
}

#[tokio::test]
async fn payload_only_dispatches_are_not_deduplicated() {
    let dispatcher = dispatcher();
    let value: serde_json::Value = serde_json::from_slice(&body("x")).unwrap();
    let payload = serde_json::to_vec(&value["payload"]).unwrap();
    for _ in 0..2 {
        let report = dispatcher
            .dispatch_payload("MessageSent", &payload)
            .await
            .unwrap();
        assert!(
            report
                .runs()
                .iter()
                .all(|run| run.outcome() != &Outcome::Skipped)
        );
    }
}

/// A store that is always down.
struct Down;

impl IdempotencyStore for Down {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async { Err(StoreError::new("connection refused")) })
    }
    fn mark_done<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::new("connection refused")) })
    }
    fn release<'a>(
        &'a self,
        _: &'a str,
        _: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::new("connection refused")) })
    }
}

#[tokio::test]
async fn an_unreachable_store_answers_503_and_runs_nothing() {
    let dispatcher = Dispatcher::builder()
        .idempotency_store(Down)
        .build()
        .unwrap();
    let uuid = fresh("down-");
    let report = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(report.http_status(), 503);
    assert!(!report.is_success());
    assert_eq!(
        report.not_run(),
        Some(&NotRun::StoreUnavailable(
            "idempotency store unavailable: connection refused".into()
        ))
    );
    assert_eq!(runs("counted", &uuid), 0);
    assert_eq!(
        report.to_string(),
        format!(
            "MessageSent {uuid}: idempotency store unavailable: connection refused; nothing ran, retry later"
        )
    );
}

#[tokio::test]
async fn the_receiver_answers_409_for_a_delivery_in_progress() {
    use postal_hooks::testing::Signer;
    let store = Arc::new(MemoryStore::new());
    let signer = Signer::test_key();
    let receiver = postal_hooks::Receiver::new(
        Dispatcher::builder()
            .idempotency_store_arc(store.clone())
            .build()
            .unwrap(),
        signer.verifier(),
    );
    let uuid = fresh("busy-");
    store.claim(&uuid, Duration::from_secs(60)).await.unwrap();
    let body = body(&uuid);
    let reply = receiver
        .receive(&signer.sign_sha256(&body).headers(), &body)
        .await;
    assert_eq!(reply.status(), 409);
    assert_eq!(
        reply.body(),
        "another delivery of this uuid is in progress; nothing ran, retry later"
    );
}
