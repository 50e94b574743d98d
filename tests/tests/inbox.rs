//! The embedded inbox (SQLite): acknowledged deliveries run exactly once, through
//! failures, dead letters, bounds, shutdown, restarts and damaged records.

#[path = "dedupe_support/mod.rs"]
mod dedupe_support;
mod inbox_support;
mod inspector_support;

use std::path::PathBuf;
use std::time::Duration;

use inbox_support::*;
use postal_hooks::inbox::{Inbox, InboxError, InboxSettings};

/// A fresh directory for one test's inbox.
fn dir(test: &str) -> PathBuf {
    std::env::temp_dir().join(dedupe_support::fresh(&format!(
        "postal-hooks-inbox-{test}-"
    )))
}

fn open(test: &str, settings: InboxSettings) -> Inbox {
    Inbox::open(dir(test), settings).unwrap()
}

/// Opens `path` again once the previous `Inbox` on it has let go (its thread ends after
/// the last handle is dropped).
async fn reopen(path: &PathBuf, settings: InboxSettings) -> Inbox {
    let start = std::time::Instant::now();
    loop {
        match Inbox::open(path, settings.clone()) {
            Ok(inbox) => return inbox,
            Err(error) if start.elapsed() < Duration::from_secs(5) => {
                let _ = error;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("cannot reopen: {error}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_deliveries_run_once() {
    acknowledged_then_run_once(open("once", quick())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_until_they_succeed() {
    failures_retried_exactly_once(open("retry", quick())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_age_dead_letters_then_retry_runs_once() {
    dead_lettered_then_retried(open("dead", short_lived())).await;
}

/// `Workers` documents that dropping its handle leaves the workers running: they still
/// take what is pushed afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_workers_handle_leaves_them_running() {
    let inbox = open("dropped", quick());
    let lab = std::sync::Arc::new(Lab::default());
    drop(inbox.start(&dispatcher(lab.clone())).unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let uuid = uuid("dropped", 0);
    push(&inbox, &uuid).await.unwrap();
    eventually(Duration::from_secs(10), "the delivery to run", || async {
        lab.runs("steady", &uuid) == 1
    })
    .await;
}

/// An inbox written by the version before the inspector (schema 1: no `runs` column)
/// opens, gains the column, and keeps its pending delivery, which then runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_of_the_previous_version_is_migrated_and_keeps_its_work() {
    let path = dir("schema1");
    std::fs::create_dir_all(&path).unwrap();
    let db = rusqlite::Connection::open(path.join("inbox.sqlite3")).unwrap();
    db.execute_batch(
        "CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, event TEXT NOT NULL,
            body BLOB NOT NULL, received_at INTEGER NOT NULL, since INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, dead_at INTEGER,
            done_at INTEGER, done TEXT NOT NULL DEFAULT '', reason TEXT,
            errors TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX deliveries_due ON deliveries (due_at) WHERE dead_at IS NULL AND done_at IS NULL;
        CREATE INDEX deliveries_dead ON deliveries (dead_at) WHERE dead_at IS NOT NULL;
        CREATE INDEX deliveries_done ON deliveries (done_at) WHERE done_at IS NOT NULL;
        PRAGMA user_version = 1;",
    )
    .unwrap();
    let uuid = uuid("schema1", 0);
    db.execute(
        "INSERT INTO deliveries (uuid, event, body, received_at, since, due_at) VALUES (?1, 'MessageSent', ?2, 1, 1, 1)",
        rusqlite::params![uuid, body(&uuid)],
    )
    .unwrap();
    drop(db);
    let inbox = Inbox::open(&path, quick()).unwrap();
    assert_eq!(inbox.stats().await.unwrap().pending, 1);
    let lab = std::sync::Arc::new(Lab::default());
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    drained(&inbox, Duration::from_secs(20), "the old delivery to run").await;
    workers.shutdown(Duration::from_secs(5)).await;
    assert_eq!(lab.runs("steady", &uuid), 1);
    drop(inbox);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let db = rusqlite::Connection::open(path.join("inbox.sqlite3")).unwrap();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 2);
    let runs: String = db
        .query_row(
            "SELECT runs FROM deliveries WHERE uuid = ?1",
            [&uuid],
            |row| row.get(0),
        )
        .unwrap();
    assert!(runs.contains("inbox_support::steady"), "{runs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspector_reads_the_store_and_outlives_a_restart() {
    let path = dir("inspected");
    let inbox = Inbox::open(&path, short_lived()).unwrap();
    inspected_from_the_store(inbox, || reopen(&path, short_lived())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_inbox_answers_503() {
    bounded(open("bounded", two_entries())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_handlers_and_shutdown() {
    slow_handler_and_shutdown(open("slow", short_lease())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_work_resumes_after_a_restart() {
    let path = dir("restart");
    let inbox = Inbox::open(&path, quick()).unwrap();
    let uuids: Vec<String> = (0..3).map(|n| uuid("restart", n)).collect();
    for uuid in &uuids {
        push(&inbox, uuid).await.unwrap();
    }
    drop(inbox);
    let inbox = reopen(&path, quick()).await;
    assert_eq!(inbox.stats().await.unwrap().pending, 3);
    let lab = std::sync::Arc::new(Lab::default());
    let workers = inbox.start(&dispatcher(lab.clone())).unwrap();
    drained(&inbox, Duration::from_secs(10), "the resumed deliveries").await;
    for uuid in &uuids {
        assert_eq!(lab.runs("steady", uuid), 1);
    }
    workers.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_second_user_of_the_same_inbox_is_refused() {
    let path = dir("locked");
    let _first = Inbox::open(&path, quick()).unwrap();
    let error = Inbox::open(&path, quick()).unwrap_err();
    assert!(matches!(error, InboxError::Open { .. }));
    let message = error.to_string();
    assert!(
        message.contains("is another process using this inbox?"),
        "{message}"
    );
}

#[tokio::test]
async fn unusable_paths_say_why() {
    // Under a regular file: the directory cannot be created.
    let file = dir("file");
    std::fs::write(&file, b"a file").unwrap();
    let error = Inbox::open(file.join("inbox"), quick()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("cannot open the inbox at "),
        "{message}"
    );
    assert!(message.contains("Not a directory"), "{message}");

    // A file in place of the database that is not SQLite.
    let garbage = dir("garbage");
    std::fs::create_dir_all(&garbage).unwrap();
    std::fs::write(garbage.join("inbox.sqlite3"), vec![0x5a; 4096]).unwrap();
    let message = Inbox::open(&garbage, quick()).unwrap_err().to_string();
    assert!(message.contains("file is not a database"), "{message}");

    // A SQLite database that holds something else.
    let other = dir("other");
    std::fs::create_dir_all(&other).unwrap();
    let db = rusqlite::Connection::open(other.join("inbox.sqlite3")).unwrap();
    db.execute_batch("CREATE TABLE customers (id INTEGER)")
        .unwrap();
    drop(db);
    let message = Inbox::open(&other, quick()).unwrap_err().to_string();
    assert!(
        message.contains("it is not a postal-hooks inbox"),
        "{message}"
    );
}

#[tokio::test]
async fn an_inbox_from_another_version_opens_or_says_why() {
    let path = dir("version");
    drop(Inbox::open(&path, quick()).unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // This version's own file opens again (above, `reopen`); a newer one is refused.
    let db = rusqlite::Connection::open(path.join("inbox.sqlite3")).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let error = Inbox::open(&path, quick()).unwrap_err();
    assert!(
        matches!(
            error,
            InboxError::Schema {
                found: 99,
                expected: 2,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("schema version 99"), "{message}");
    assert!(
        message.contains("written by a newer postal-hooks"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_records_are_dead_lettered_with_their_reason() {
    let path = dir("damaged");
    let inbox = Inbox::open(&path, quick()).unwrap();
    let good = uuid("damaged", 0);
    let (not_json, wrong_type) = (uuid("damaged", 1), uuid("damaged", 2));
    for uuid in [&good, &not_json, &wrong_type] {
        push(&inbox, uuid).await.unwrap();
    }
    drop(inbox);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let db = rusqlite::Connection::open(path.join("inbox.sqlite3")).unwrap();
    db.execute(
        "UPDATE deliveries SET body = X'7B6E6F' WHERE uuid = ?1",
        [&not_json],
    )
    .unwrap();
    db.execute(
        "UPDATE deliveries SET body = 42 WHERE uuid = ?1",
        [&wrong_type],
    )
    .unwrap();
    drop(db);

    let inbox = reopen(&path, quick()).await;
    let reasons = reasons_of_damaged(&inbox, &good, 2).await;
    let reason = |uuid: &str| reasons.get(uuid).cloned().unwrap_or_default();
    assert!(
        reason(&not_json).starts_with("unreadable record: the stored body does not parse"),
        "{reasons:?}"
    );
    assert!(
        reason(&wrong_type).starts_with("unreadable record (row ")
            && reason(&wrong_type).contains("body"),
        "{reasons:?}"
    );
}
