//! The embedded inbox's file: where it lives, its pragmas, its tables, and their version.

use std::path::Path;

use rusqlite::Connection;

use super::super::error::InboxError;
use crate::shared_error::SharedError;

/// The schema this version writes and reads, kept in SQLite's `user_version`. A new
/// version adds a migration from the previous one in [`open`], so older inboxes open.
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// The database's file name inside the inbox directory.
pub(crate) const FILE_NAME: &str = "inbox.sqlite3";

/// `deliveries` holds every delivery: pending (`done_at` and `dead_at` NULL), dead-lettered
/// (`dead_at` set), or handled (`done_at` set: a tombstone without its body, kept for the
/// dedupe retention so a Postal retry of it runs nothing again). `done` lists the handlers
/// that succeeded, one per line: in the row itself, so recording them and acknowledging
/// the delivery write the same page. `runs` is the latest run's handlers (JSON), for the
/// inspector's history (version 2).
const CREATE: &str = "
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    since INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    dead_at INTEGER,
    done_at INTEGER,
    done TEXT NOT NULL DEFAULT '',
    reason TEXT,
    errors TEXT NOT NULL DEFAULT '[]',
    runs TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE dead_at IS NULL AND done_at IS NULL;
CREATE INDEX deliveries_dead ON deliveries (dead_at) WHERE dead_at IS NOT NULL;
CREATE INDEX deliveries_done ON deliveries (done_at) WHERE done_at IS NOT NULL;
";

/// Opens (creating if missing) the inbox in directory `dir`, for this process alone:
/// WAL journal, `synchronous = FULL`, and SQLite's exclusive locking mode, so a second
/// process fails here instead of sharing the file. Leases live in this process's memory
/// (no other process can hold one), so what a process that died was running is due at
/// once on the next start.
pub(crate) fn open(dir: &Path) -> Result<Connection, InboxError> {
    let failed = |source: SharedError| InboxError::Open {
        path: dir.to_owned(),
        source,
    };
    let sqlite = |error: rusqlite::Error| failed(SharedError::new(error));
    std::fs::create_dir_all(dir).map_err(|error| failed(SharedError::new(error)))?;
    let connection = Connection::open(dir.join(FILE_NAME)).map_err(sqlite)?;
    connection
        .pragma_update(None, "locking_mode", "EXCLUSIVE")
        .map_err(sqlite)?;
    // The first write takes the exclusive lock; it fails at once if another process has it.
    connection
        .execute_batch("BEGIN IMMEDIATE; COMMIT;")
        .map_err(|error| match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                failed(SharedError::new(Locked(error)))
            }
            _ => sqlite(error),
        })?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(failed(SharedError::new(std::io::Error::other(format!(
            "SQLite refused WAL mode (journal mode {mode})"
        )))));
    }
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite)?;
    // Checkpoints (copying the WAL into the database, with an fsync) every 16 MiB of WAL
    // rather than 4: fewer stalls of the connection's one thread.
    connection
        .pragma_update(None, "wal_autocheckpoint", 4000)
        .map_err(sqlite)?;
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sqlite)?;
    match version {
        0 => {
            let tables: i64 = connection
                .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
                .map_err(sqlite)?;
            if tables != 0 {
                return Err(failed(SharedError::new(std::io::Error::other(
                    "the file holds other tables: it is not a postal-hooks inbox",
                ))));
            }
            connection
                .execute_batch(&format!(
                    "BEGIN; {CREATE} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(sqlite)?;
        }
        // Version 1 (postal-hooks before the inspector): the latest run's handlers added.
        1 => connection
            .execute_batch(&format!(
                "BEGIN; ALTER TABLE deliveries ADD COLUMN runs TEXT NOT NULL DEFAULT '[]'; PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(sqlite)?,
        SCHEMA_VERSION => {}
        found => {
            return Err(InboxError::Schema {
                path: dir.to_owned(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
    }
    Ok(connection)
}

/// A lock refused at open: most often another process using the same inbox.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} (is another process using this inbox? each process needs its own path, or use POSTAL_HOOKS_INBOX=redis for replicas)"
)]
struct Locked(#[source] rusqlite::Error);
