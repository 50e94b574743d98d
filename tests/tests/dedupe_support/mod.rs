//! Handlers that count their runs per envelope uuid, for the exactly-once tests
//! (`dedupe.rs`, `redis_store.rs`, `load.rs`). Each test uses its own uuids.
#![allow(dead_code)] // each test crate uses a different subset

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use postal_hooks::{Dispatcher, Event, Meta, NotRun, on_event};

static RUNS: Mutex<Option<HashMap<(&'static str, String), usize>>> = Mutex::new(None);

fn count(handler: &'static str, meta: &Meta) -> usize {
    let mut runs = RUNS.lock().unwrap_or_else(|e| e.into_inner());
    let counter = runs
        .get_or_insert_with(HashMap::new)
        .entry((handler, meta.uuid().unwrap_or_default().to_owned()))
        .or_default();
    *counter += 1;
    *counter
}

/// How many times `handler` ran for `uuid` (successful or not).
pub fn runs(handler: &str, uuid: &str) -> usize {
    let runs = RUNS.lock().unwrap_or_else(|e| e.into_inner());
    runs.as_ref().map_or(0, |runs| {
        runs.iter()
            .filter(|((name, seen), _)| *name == handler && seen == uuid)
            .map(|(_, n)| *n)
            .sum()
    })
}

/// Runs once per delivery it is given.
#[on_event(*)]
pub fn counted(_event: &Event, meta: &Meta) {
    count("counted", meta);
}

/// Holds the claim a while for uuids starting `slow-`, so duplicates really overlap, and
/// for 600 ms (longer than the short leases of the keep-alive tests) for `lingering-`.
#[on_event(*)]
pub async fn slow(_event: &Event, meta: &Meta) {
    let uuid = meta.uuid().unwrap_or_default();
    if uuid.starts_with("slow-") {
        tokio::time::sleep(Duration::from_millis(50)).await;
    } else if uuid.starts_with("lingering-") {
        tokio::time::sleep(LINGERING).await;
    }
    count("slow", meta);
}

/// How long `slow` runs for a `lingering-` uuid.
pub const LINGERING: Duration = Duration::from_millis(600);

/// Fails its first run for uuids starting `flaky-`, succeeds after.
#[on_event(*)]
pub fn flaky(_event: &Event, meta: &Meta) -> Result<(), String> {
    let attempt = count("flaky", meta);
    if meta.uuid().is_some_and(|uuid| uuid.starts_with("flaky-")) && attempt == 1 {
        return Err("first attempt fails".into());
    }
    Ok(())
}

/// Naturally idempotent: opted out, runs on every delivery.
#[on_event(*, dedupe = false)]
pub fn every_delivery(_event: &Event, meta: &Meta) {
    count("every_delivery", meta);
}

/// The MessageSent sample with `uuid` as its envelope uuid.
pub fn body(uuid: &str) -> Vec<u8> {
    let sample = postal_hooks::testing::sample("MessageSent").unwrap_or_default();
    String::from_utf8_lossy(sample)
        .replace("0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20", uuid)
        .into_bytes()
}

/// A uuid no other test or run uses.
pub fn fresh(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{prefix}{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A delivery whose `slow` handler outlives the dispatcher's lease: a retry at
/// `retry_after` (past the lease) must get 409, not run the handlers a second time.
pub async fn check_claim_outlives_lease(dispatcher: &Dispatcher, retry_after: Duration) {
    let uuid = fresh("lingering-");
    let first = tokio::spawn({
        let (dispatcher, body) = (dispatcher.clone(), body(&uuid));
        async move { dispatcher.dispatch(&body).await.unwrap() }
    });
    tokio::time::sleep(retry_after).await;
    let retry = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(
        (retry.http_status().as_u16(), retry.not_run()),
        (409, Some(&NotRun::InProgress)),
        "{retry}"
    );
    let first = first.await.unwrap();
    assert_eq!(first.http_status(), 200, "{first}");
    let later = dispatcher.dispatch(&body(&uuid)).await.unwrap();
    assert_eq!(later.http_status(), 200, "{later}");
    assert_eq!((runs("slow", &uuid), runs("counted", &uuid)), (1, 1));
}
