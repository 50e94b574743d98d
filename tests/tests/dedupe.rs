//! Exactly-once handling with the embedded in-memory store: the shared store scenarios
//! (retries after success and after partial failure, concurrent duplicates, expired and
//! kept-alive leases), then what only the dispatcher decides: cancellation, opt-outs, an
//! unreachable store, and the receiver's 409.

mod dedupe_support;
mod store_scenarios;

use std::sync::Arc;
use std::time::Duration;

use dedupe_support::{body, fresh, runs};
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
    store_scenarios::a_retry_after_full_success_runs_nothing(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn a_retry_after_partial_failure_reruns_only_the_failed_handler() {
    let store = Arc::new(MemoryStore::new());
    store_scenarios::a_retry_after_partial_failure_reruns_only_the_failed_handler(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_deliveries_of_one_uuid_run_each_handler_once() {
    let store = Arc::new(MemoryStore::new());
    store_scenarios::fifty_concurrent_deliveries_of_one_uuid_run_each_handler_once(store).await;
}

#[tokio::test]
async fn an_expired_lease_lets_the_retry_proceed() {
    let store = Arc::new(MemoryStore::new());
    let (lease, wait) = (Duration::from_millis(100), Duration::from_millis(150));
    store_scenarios::an_expired_lease_lets_the_retry_proceed(&*store, store.clone(), lease, wait)
        .await;
}

#[tokio::test]
async fn a_handler_slower_than_the_lease_keeps_its_claim() {
    // Well past the lease, while `slow` still runs: Postal's retry must not run it again.
    let (lease, retry_after) = (Duration::from_millis(100), Duration::from_millis(300));
    let store = Arc::new(MemoryStore::new());
    store_scenarios::a_handler_slower_than_the_lease_keeps_its_claim(store, lease, retry_after)
        .await;
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
    )
    .with_replay_window(None);
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

/// A store that stops answering (Redis under `kill -STOP`): each call it is given past
/// `answered` waits forever. `answered` = 1 answers the claim and nothing after it.
struct Frozen {
    answered: usize,
    calls: std::sync::atomic::AtomicUsize,
}

impl Frozen {
    fn after(answered: usize) -> Self {
        Frozen {
            answered,
            calls: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn answers(&self) -> bool {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < self.answered
    }
}

impl IdempotencyStore for Frozen {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<Claim, StoreError>> {
        let answers = self.answers();
        Box::pin(async move {
            if !answers {
                std::future::pending::<()>().await;
            }
            Ok(Claim::Acquired {
                token: ClaimToken::new("t"),
                done: Vec::new(),
            })
        })
    }
    fn mark_done<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let answers = self.answers();
        Box::pin(async move {
            if !answers {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    }
    fn release<'a>(
        &'a self,
        _: &'a str,
        _: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let answers = self.answers();
        Box::pin(async move {
            if !answers {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    }
}

/// Issue 11 §3: with Redis frozen, answers took 6 s (503) and 8–12 s (200), past Postal's
/// 5 s, because each store call had its own timeout.
#[tokio::test]
async fn a_store_that_stops_answering_costs_one_deadline_per_delivery() {
    let deadline = Duration::from_millis(300);
    // Frozen from the start: the claim fails at the deadline, 503, nothing runs.
    let dispatcher = Dispatcher::builder()
        .idempotency_store(Frozen::after(0))
        .store_deadline(deadline)
        .build()
        .unwrap();
    let uuid = fresh("frozen-");
    let started = std::time::Instant::now();
    let report = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(report.http_status(), 503, "{report}");
    assert!(
        matches!(report.not_run(), Some(NotRun::StoreUnavailable(why))
            if why.contains("no answer to the claim within the delivery's store deadline of 300ms")),
        "{report}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(runs("counted", &uuid), 0);

    // Frozen after the claim: the handlers run and the delivery is answered 200, its four
    // records and the release sharing the one deadline rather than waiting one each.
    let dispatcher = Dispatcher::builder()
        .idempotency_store(Frozen::after(1))
        .store_deadline(deadline)
        .build()
        .unwrap();
    let uuid = fresh("frozen-later-");
    let started = std::time::Instant::now();
    let report = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(report.http_status(), 200, "{report}");
    assert_eq!((runs("counted", &uuid), runs("slow", &uuid)), (1, 1));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// The deadline's timer needs no async runtime: `dispatch_blocking` keeps it too.
#[test]
fn the_store_deadline_holds_without_a_runtime() {
    check_frozen_store_answers_503_in_time(|dispatcher, body| dispatcher.dispatch_blocking(body));
}

/// A store frozen from the start, with a 200 ms deadline, dispatched by `dispatch`: 503,
/// in time.
fn check_frozen_store_answers_503_in_time(
    dispatch: impl FnOnce(&Dispatcher, &[u8]) -> Result<Report, postal_hooks::ParseError>,
) {
    let dispatcher = Dispatcher::builder()
        .idempotency_store(Frozen::after(0))
        .store_deadline(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let report = dispatch(&dispatcher, &body(&fresh("frozen-timers-"))).unwrap();
    assert_eq!(report.http_status(), 503, "{report}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// On tokio the deadline runs on tokio's timer; a tokio runtime built without timers
/// (`enable_time` not called) cannot give one, and the deadline falls back to
/// `futures-timer`'s instead of failing the delivery.
#[test]
fn the_store_deadline_holds_on_a_tokio_runtime_without_timers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    check_frozen_store_answers_503_in_time(|dispatcher, body| {
        runtime.block_on(dispatcher.dispatch(body))
    });
}

/// `dispatch_blocking` called on a tokio thread blocks that thread's runtime, which then
/// cannot fire a timer of its own: the deadline keeps to `futures-timer` there.
#[test]
fn the_store_deadline_holds_in_dispatch_blocking_on_a_tokio_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    check_frozen_store_answers_503_in_time(|dispatcher, body| {
        runtime.block_on(async { dispatcher.dispatch_blocking(body) })
    });
}
