//! The inbox scenarios, run against the embedded inbox (`inbox.rs`) and the Redis one
//! (`inbox_redis.rs`): handlers that count their runs per uuid, a downstream that can be
//! taken down, and bodies with fresh uuids.
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use postal_hooks::inbox::{Inbox, InboxError, InboxSettings, Pushed};
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Envelope, Event, Meta, Receiver, State, on_event};

/// What the handlers of one test share: their runs, and the downstream's state.
#[derive(Default)]
pub struct Lab {
    runs: Mutex<HashMap<(&'static str, String), usize>>,
    /// `flaky` fails while this is set.
    pub down: AtomicBool,
    /// `slow` waits while this is set.
    pub hold: AtomicBool,
}

impl Lab {
    fn count(&self, handler: &'static str, meta: &Meta) {
        let mut runs = self.runs.lock().unwrap();
        *runs
            .entry((handler, meta.uuid().unwrap_or_default().to_owned()))
            .or_default() += 1;
    }

    /// How many times `handler` ran for `uuid` (`flaky`: succeeded; `flaky-failed`: failed).
    pub fn runs(&self, handler: &str, uuid: &str) -> usize {
        let runs = self.runs.lock().unwrap();
        runs.iter()
            .filter(|((name, seen), _)| *name == handler && seen == uuid)
            .map(|(_, n)| *n)
            .sum()
    }
}

/// Succeeds every time.
#[on_event(*)]
pub fn steady(_event: &Event, meta: &Meta, lab: State<Lab>) {
    lab.count("steady", meta);
}

/// Fails while the downstream is down.
#[on_event(*)]
pub async fn flaky(_event: &Event, meta: &Meta, lab: State<Lab>) -> Result<(), String> {
    tokio::task::yield_now().await;
    if lab.down.load(Ordering::SeqCst) {
        lab.count("flaky-failed", meta);
        return Err("downstream down".into());
    }
    lab.count("flaky", meta);
    Ok(())
}

/// For uuids starting `slow-`: waits while `hold` is set.
#[on_event(*)]
pub async fn slow(_event: &Event, meta: &Meta, lab: State<Lab>) {
    if meta.uuid().is_some_and(|uuid| uuid.starts_with("slow-")) {
        lab.count("slow-started", meta);
        while lab.hold.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        lab.count("slow", meta);
    }
}

/// A dispatcher over the handlers above, with `lab` as their state.
pub fn dispatcher(lab: std::sync::Arc<Lab>) -> Dispatcher {
    Dispatcher::builder().state_arc(lab).build().unwrap()
}

/// The MessageSent sample with `uuid`.
pub fn body(uuid: &str) -> Vec<u8> {
    let sample = postal_hooks::testing::sample("MessageSent").unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(sample).unwrap();
    value["uuid"] = uuid.into();
    serde_json::to_vec(&value).unwrap()
}

/// A uuid no other test uses.
pub fn uuid(test: &str, n: usize) -> String {
    format!("{test}-{}-{n}", super::dedupe_support::fresh(""))
}

pub async fn push(inbox: &Inbox, uuid: &str) -> Result<Pushed, InboxError> {
    let body = body(uuid);
    let envelope = Envelope::parse(&body).unwrap();
    inbox.push(envelope, &body).await
}

/// Polls `check` until it holds, or fails after `limit` naming `what`.
pub async fn eventually<F: Future<Output = bool>>(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) {
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `inbox` has nothing pending, or fails after `limit` naming `what`.
pub async fn drained(inbox: &Inbox, limit: Duration, what: &str) {
    eventually(limit, what, || async {
        inbox.stats().await.unwrap().pending == 0
    })
    .await;
}

/// Quick settings for tests: short backoff, 4 workers.
pub fn quick() -> InboxSettings {
    InboxSettings::default()
        .retry_backoff(Duration::from_millis(20))
        .workers(4)
}

/// Every delivery is acknowledged before any handler runs, each handler runs exactly
/// once, a duplicate push while queued stores nothing, and a repeat of a finished uuid
/// runs nothing again.
pub async fn acknowledged_then_run_once(inbox: Inbox) {
    let lab = std::sync::Arc::new(Lab::default());
    let uuids: Vec<String> = (0..20).map(|n| uuid("once", n)).collect();
    for uuid in &uuids {
        assert_eq!(push(&inbox, uuid).await.unwrap(), Pushed::Queued);
        assert_eq!(push(&inbox, uuid).await.unwrap(), Pushed::AlreadyQueued);
    }
    assert_eq!(inbox.stats().await.unwrap().pending, 20);
    assert_eq!(
        lab.runs("steady", &uuids[0]),
        0,
        "nothing runs before the workers start"
    );
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    drained(&inbox, Duration::from_secs(20), "the inbox to drain").await;
    // Postal retries one whose answer it never saw: stored again, run no more.
    assert_eq!(push(&inbox, &uuids[0]).await.unwrap(), Pushed::Queued);
    drained(&inbox, Duration::from_secs(10), "the repeat to finish").await;
    for uuid in &uuids {
        assert_eq!(lab.runs("steady", uuid), 1, "steady for {uuid}");
        assert_eq!(lab.runs("flaky", uuid), 1, "flaky for {uuid}");
    }
    workers.shutdown(Duration::from_secs(5)).await;
}

/// A failing handler is retried with backoff until it succeeds; the handlers that had
/// succeeded do not run again, and nothing is dead-lettered.
pub async fn failures_retried_exactly_once(inbox: Inbox) {
    let lab = std::sync::Arc::new(Lab::default());
    lab.down.store(true, Ordering::SeqCst);
    let uuids: Vec<String> = (0..5).map(|n| uuid("retry", n)).collect();
    for uuid in &uuids {
        push(&inbox, uuid).await.unwrap();
    }
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    eventually(
        Duration::from_secs(20),
        "three failed attempts each",
        || async { uuids.iter().all(|uuid| lab.runs("flaky-failed", uuid) >= 3) },
    )
    .await;
    lab.down.store(false, Ordering::SeqCst);
    drained(&inbox, Duration::from_secs(20), "the inbox to drain").await;
    for uuid in &uuids {
        assert_eq!(lab.runs("steady", uuid), 1, "steady for {uuid}");
        assert_eq!(lab.runs("flaky", uuid), 1, "flaky for {uuid}");
    }
    assert!(inbox.dead_letters(10).await.unwrap().is_empty());
    workers.shutdown(Duration::from_secs(5)).await;
}

/// Past the maximum age a failing delivery is dead-lettered with its errors; retried from
/// there once the downstream is back, it runs its failed handler exactly once; a discarded
/// one is gone.
pub async fn dead_lettered_then_retried(inbox: Inbox) {
    let lab = std::sync::Arc::new(Lab::default());
    lab.down.store(true, Ordering::SeqCst);
    let uuids: Vec<String> = (0..3).map(|n| uuid("dead", n)).collect();
    for uuid in &uuids {
        push(&inbox, uuid).await.unwrap();
    }
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    eventually(Duration::from_secs(20), "three dead letters", || async {
        inbox.stats().await.unwrap().dead_letters == 3
    })
    .await;
    let dead = inbox.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 3);
    for letter in &dead {
        assert!(uuids.contains(&letter.uuid), "{letter:?}");
        assert_eq!(letter.event, "MessageSent");
        assert!(letter.reason.contains("past the maximum age"), "{letter:?}");
        assert!(letter.attempts >= 2, "{letter:?}");
        assert_eq!(letter.errors.len(), 1, "{letter:?}");
        assert_eq!(letter.errors[0].handler, "flaky");
        assert_eq!(letter.errors[0].error, "downstream down");
    }
    lab.down.store(false, Ordering::SeqCst);
    for uuid in &uuids[..2] {
        assert!(inbox.retry_dead_letter(uuid).await.unwrap());
        assert!(
            !inbox.retry_dead_letter(uuid).await.unwrap(),
            "retried twice"
        );
    }
    assert!(inbox.discard_dead_letter(&uuids[2]).await.unwrap());
    assert!(!inbox.discard_dead_letter(&uuids[2]).await.unwrap());
    eventually(
        Duration::from_secs(20),
        "the retried ones to finish",
        || async {
            let stats = inbox.stats().await.unwrap();
            stats.pending == 0 && stats.dead_letters == 0
        },
    )
    .await;
    for uuid in &uuids[..2] {
        assert_eq!(lab.runs("steady", uuid), 1, "steady for {uuid}");
        assert_eq!(lab.runs("flaky", uuid), 1, "flaky for {uuid}");
    }
    assert_eq!(lab.runs("flaky", &uuids[2]), 0, "the discarded one");
    assert_eq!(inbox.stats().await.unwrap().bytes, 0);
    workers.shutdown(Duration::from_secs(5)).await;
}

/// Settings for [`dead_lettered_then_retried`].
pub fn short_lived() -> InboxSettings {
    quick().retry_max_age(Duration::from_millis(300))
}

/// At its bound the inbox refuses, and the receiver answers 503 so Postal retries.
pub async fn bounded(inbox: Inbox) {
    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .allow_no_handlers()
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, signer.verifier())
        .with_replay_window(None)
        .with_inbox(inbox.clone());
    for n in 0..2 {
        let body = body(&uuid("bounded", n));
        let reply = receiver.receive(&signer.sign(&body).headers(), &body).await;
        assert_eq!((reply.status().as_u16(), reply.body()), (200, "ok: queued"));
    }
    let body = body(&uuid("bounded", 2));
    let reply = receiver.receive(&signer.sign(&body).headers(), &body).await;
    assert_eq!(reply.status(), 503, "{}", reply.body());
    assert!(
        reply
            .body()
            .starts_with("not stored: the inbox is full (2 deliveries"),
        "{}",
        reply.body()
    );
    assert!(matches!(
        reply.error(),
        Some(postal_hooks::ReceiveError::Inbox(InboxError::Full { .. }))
    ));
}

/// Settings for [`bounded`].
pub fn two_entries() -> InboxSettings {
    quick().max_entries(2)
}

/// Settings for [`slow_handler_and_shutdown`]: a delivery given back at shutdown runs
/// again once its uuid's claim is free, at once in memory and after the lease in Redis.
pub fn short_lease() -> InboxSettings {
    quick().lease(Duration::from_millis(500))
}

/// A slow handler delays neither acknowledgements nor other deliveries; on shutdown a
/// delivery still running past the grace is given back, and finishes on the next start.
pub async fn slow_handler_and_shutdown(inbox: Inbox) {
    let lab = std::sync::Arc::new(Lab::default());
    lab.hold.store(true, Ordering::SeqCst);
    let slow = format!("slow-{}", uuid("shutdown", 0));
    push(&inbox, &slow).await.unwrap();
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    eventually(
        Duration::from_secs(10),
        "the slow handler to start",
        || async { lab.runs("slow-started", &slow) == 1 },
    )
    .await;
    let fast: Vec<String> = (1..6).map(|n| uuid("shutdown", n)).collect();
    for uuid in &fast {
        let started = Instant::now();
        push(&inbox, uuid).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "acknowledged at once"
        );
    }
    eventually(Duration::from_secs(10), "the others to finish", || async {
        fast.iter().all(|uuid| lab.runs("steady", uuid) == 1)
    })
    .await;
    assert_eq!(lab.runs("slow", &slow), 0, "still held");
    workers.shutdown(Duration::from_millis(100)).await;
    assert_eq!(
        inbox.stats().await.unwrap().pending,
        1,
        "given back, not lost"
    );
    lab.hold.store(false, Ordering::SeqCst);
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    drained(
        &inbox,
        Duration::from_secs(20),
        "the given-back delivery to finish",
    )
    .await;
    assert_eq!(lab.runs("slow", &slow), 1);
    assert_eq!(
        lab.runs("steady", &slow),
        1,
        "steady ran before the slow one; not again"
    );
    workers.shutdown(Duration::from_secs(5)).await;
}

/// Starts workers on an inbox holding `good` and `damaged` damaged records, waits until
/// the damaged ones are dead letters and the good one ran, and gives each dead letter's
/// reason by uuid.
pub async fn reasons_of_damaged(
    inbox: &Inbox,
    good: &str,
    damaged: u64,
) -> std::collections::HashMap<String, String> {
    let lab = std::sync::Arc::new(Lab::default());
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    eventually(
        Duration::from_secs(10),
        "the damaged records dead-lettered and the good one run",
        || async {
            let stats = inbox.stats().await.unwrap();
            stats.pending == 0 && stats.dead_letters == damaged
        },
    )
    .await;
    assert_eq!(lab.runs("steady", good), 1);
    workers.shutdown(Duration::from_secs(5)).await;
    let dead = inbox.dead_letters(10).await.unwrap();
    dead.into_iter()
        .map(|letter| (letter.uuid, letter.reason))
        .collect()
}

/// With an inbox, the inspector lists the deliveries from the inbox's store, with each
/// handler's latest outcome: a dead letter keeps its failed handler's error; the list
/// outlives the process (`reopen` gives the same store anew); the page's actions retry a
/// dead letter (its failed handler runs once more, and it turns ok) and discard another.
pub async fn inspected_from_the_store<F: Future<Output = Inbox>>(
    inbox: Inbox,
    reopen: impl FnOnce() -> F,
) {
    use super::inspector_support::{TOKEN, act, api};
    let lab = std::sync::Arc::new(Lab::default());
    lab.down.store(true, Ordering::SeqCst);
    let dispatcher = dispatcher(lab.clone());
    let signer = Signer::test_key();
    let inspector = postal_hooks::inspect::Inspector::builder(TOKEN)
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher.clone(), signer.verifier())
        .with_replay_window(None)
        .with_inbox(inbox.clone())
        .with_inspector(&inspector);
    let router = inspector.router();
    let uuids: Vec<String> = (0..2).map(|n| uuid("inspected", n)).collect();
    for uuid in &uuids {
        let body = body(uuid);
        let reply = receiver.receive(&signer.sign(&body).headers(), &body).await;
        assert_eq!(reply.status(), 200);
    }
    let queued = api(&router, "").await;
    let states: Vec<&str> = queued
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["queued", "queued"], "{queued:?}");
    assert_eq!(queued[0]["uuid"], uuids[1].as_str(), "newest first");

    let workers = inbox.start(&dispatcher).unwrap();
    eventually(Duration::from_secs(20), "two dead letters", || async {
        inbox.stats().await.unwrap().dead_letters == 2
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let dead = api(&router, "?status=dead-lettered").await;
    assert_eq!(dead.len(), 2, "{dead:?}");
    for delivery in &dead {
        assert_eq!(delivery["event"], "MessageSent");
        assert_eq!(delivery["status"], 500);
        assert!(delivery["attempts"].as_u64().unwrap() >= 1, "{delivery}");
        let flaky = delivery["handlers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| {
                h["name"]
                    .as_str()
                    .unwrap()
                    .ends_with("inbox_support::flaky")
            })
            .unwrap_or_else(|| panic!("{delivery}"));
        assert_eq!(flaky["outcome"], "error", "{delivery}");
        assert_eq!(flaky["error"], "downstream down", "{delivery}");
    }
    drop((receiver, router, inbox, inspector));

    // A new process: the same store, a new inspector, that lists only the latest
    // delivery, and every dead letter however old.
    let inbox = reopen().await;
    let inspector = postal_hooks::inspect::Inspector::builder(TOKEN)
        .capacity(1)
        .build()
        .unwrap();
    let _receiver = Receiver::new(dispatcher.clone(), signer.verifier())
        .with_replay_window(None)
        .with_inbox(inbox.clone())
        .with_inspector(&inspector);
    let router = inspector.router();
    let kept = api(&router, "").await;
    let kept_uuids: Vec<&str> = kept.iter().map(|d| d["uuid"].as_str().unwrap()).collect();
    assert_eq!(
        kept_uuids,
        [uuids[1].as_str(), uuids[0].as_str()],
        "outlived the restart"
    );
    assert!(
        kept.iter().all(|d| d["state"] == "dead_lettered"),
        "{kept:?}"
    );

    lab.down.store(false, Ordering::SeqCst);
    assert_eq!(act(&router, &uuids[0], "retry").await, 303);
    assert_eq!(act(&router, &uuids[1], "discard").await, 303);
    let workers = inbox.start(&dispatcher).unwrap();
    eventually(
        Duration::from_secs(20),
        "the retried one to be handled",
        || async {
            let listed = api(&router, "").await;
            listed.len() == 1 && listed[0]["state"] == "ok"
        },
    )
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!(
        lab.runs("flaky", &uuids[0]),
        1,
        "the failed handler ran once more"
    );
    assert_eq!(
        lab.runs("steady", &uuids[0]),
        1,
        "the one that had succeeded did not"
    );
    assert_eq!(
        lab.runs("flaky", &uuids[1]),
        0,
        "the discarded one never ran again"
    );
}
