//! The embedded inbox: one SQLite database in WAL mode, in a directory of its own, used by
//! one process. Every acknowledgement waits for its transaction's fsync; concurrent
//! deliveries share one (group commit, [`writer`]).

mod leases;
mod schema;
mod store;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use rusqlite::{OptionalExtension, params};

use super::backend::Backend;
use super::error::InboxError;
use super::record::{
    DeadLetter, HandlerFailure, HistoryRow, HistoryState, InboxStats, Job, NewDelivery, Pushed,
    Taken, from_ms, now_ms, to_ms,
};
use super::settings::InboxSettings;
use crate::dedupe::IdempotencyStore;
use crate::handler::BoxFuture;
use crate::shared_error::SharedError;
pub(crate) use schema::FILE_NAME;
use store::SqliteStore;
use writer::{Ctx, Writer, sql_int};

/// How long an idle worker waits before looking again, at most.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The SQLite inbox.
pub(crate) struct SqliteBackend {
    writer: Writer,
    path: PathBuf,
    max_entries: u64,
    max_bytes: u64,
    store: Arc<SqliteStore>,
    leases: Arc<leases::Leases>,
    lease: Duration,
}

impl SqliteBackend {
    /// Opens or creates the inbox in directory `path`.
    pub(crate) fn open(path: &Path, settings: &InboxSettings) -> Result<Self, InboxError> {
        let connection = schema::open(path)?;
        // Done records outlive their delivery by the dedupe retention, so that a Postal
        // retry of a delivery already finished finds them.
        let writer = Writer::start(connection, settings.done_retention).map_err(|error| {
            InboxError::Open {
                path: path.to_owned(),
                source: SharedError::new(error),
            }
        })?;
        Ok(SqliteBackend {
            store: Arc::new(SqliteStore::new(writer.clone())),
            writer,
            path: path.to_owned(),
            max_entries: settings.max_entries,
            max_bytes: settings.max_bytes,
            leases: Arc::default(),
            lease: settings.lease,
        })
    }
}

/// A row id from a [`Job`]'s id.
fn row_id(job: &Job) -> i64 {
    job.id.parse().unwrap_or(-1)
}

fn sqlite_error(error: rusqlite::Error) -> InboxError {
    InboxError::Unavailable(SharedError::new(error))
}

fn errors_json(errors: &[HandlerFailure]) -> String {
    serde_json::to_string(errors).unwrap_or_else(|_| "[]".to_owned())
}

impl SqliteBackend {
    /// Ends a worker's hold on `job` with `write` (one statement), given the successes its
    /// delivery ended with. The lease ends only once that is committed; if the commit
    /// fails, the successes are kept for the delivery's next run (which skips them) and
    /// the lease runs out by itself.
    async fn settle(
        &self,
        job: &Job,
        durable: bool,
        write: impl FnOnce(&mut Ctx<'_>, i64, &[String]) -> Result<(), InboxError> + Send + 'static,
    ) -> Result<(), InboxError> {
        let id = row_id(job);
        let succeeded = self.store.take_finished(&job.uuid);
        let kept = succeeded.clone();
        let result = self
            .writer
            .call(durable, move |ctx: &mut Ctx<'_>| write(ctx, id, &succeeded))
            .await;
        match &result {
            Ok(()) => self.leases.end(id),
            Err(_) => self.store.restore_finished(&job.uuid, kept),
        }
        result
    }
}

impl Backend for SqliteBackend {
    fn push<'a>(&'a self, delivery: NewDelivery<'a>) -> BoxFuture<'a, Result<Pushed, InboxError>> {
        let uuid = delivery.envelope.uuid().to_owned();
        let event = delivery.envelope.event().name().to_owned();
        let body = delivery.body.to_vec();
        let (max_entries, max_bytes) = (self.max_entries, self.max_bytes);
        let (leases, lease) = (self.leases.clone(), to_ms(self.lease));
        // The lease taken in the transaction, so that no worker takes the row from the
        // database before it is handed off; ended again if the commit fails.
        let leased_in_tx = Arc::new(std::sync::Mutex::new(None));
        let leased_out = leased_in_tx.clone();
        let stored = self.writer.call(true, move |ctx: &mut Ctx<'_>| {
            let size = body.len() as u64;
            let counts = *ctx.counts;
            let full = counts.entries >= max_entries || counts.bytes.saturating_add(size) > max_bytes;
            let now = sql_int(now_ms());
            // The common case in one statement: a new uuid, within the bounds.
            let inserted: Option<i64> = if full {
                None
            } else {
                ctx.db
                    .prepare_cached(
                        "INSERT INTO deliveries (uuid, event, body, received_at, since, due_at) VALUES (?1, ?2, ?3, ?4, ?4, ?4) ON CONFLICT (uuid) DO NOTHING RETURNING id",
                    )
                    .and_then(|mut statement| {
                        statement
                            .query_row(params![uuid, event, body, now], |row| row.get(0))
                            .optional()
                    })
                    .map_err(sqlite_error)?
            };
            let fresh = inserted.is_some();
            if !fresh {
                let known: Option<(i64, bool)> = ctx
                    .db
                    .prepare_cached("SELECT id, done_at IS NOT NULL FROM deliveries WHERE uuid = ?1")
                    .and_then(|mut statement| {
                        statement.query_row([&uuid], |row| Ok((row.get(0)?, row.get(1)?)))
                    })
                    .optional()
                    .map_err(sqlite_error)?;
                let handled = match known {
                    Some((_, false)) => return Ok((Pushed::AlreadyQueued, None)),
                    Some((id, true)) if !full => id,
                    _ => {
                        return Err(InboxError::Full {
                            entries: counts.entries,
                            bytes: counts.bytes,
                            max_entries,
                            max_bytes,
                        });
                    }
                };
                // Handled already (Postal did not see our answer): stored again, so the
                // worker checks it against the handlers of today; those done are skipped.
                ctx.db
                    .prepare_cached(
                        "UPDATE deliveries SET body = ?2, received_at = ?3, since = ?3, due_at = ?3, attempts = 0, done_at = NULL, errors = '[]' WHERE id = ?1",
                    )
                    .and_then(|mut statement| statement.execute(params![handled, body, now]))
                    .map_err(sqlite_error)?;
            }
            ctx.counts.entries += 1;
            ctx.counts.bytes += size;
            // A fresh delivery goes to a worker straight from the request, once committed:
            // leased here, inside the transaction, so no worker takes it from the database
            // meanwhile (a lease taken after the commit could come after a worker had taken,
            // run and settled it, and hand it off a second time).
            let handoff = inserted.and_then(|id| {
                let now = now_ms();
                let number = leases.take(id, now.saturating_add(lease), now)?;
                *leased_in_tx.lock().unwrap_or_else(PoisonError::into_inner) = Some(id);
                Some((id, now, number))
            });
            Ok((Pushed::Queued, handoff))
        });
        Box::pin(async move {
            let body = delivery.body;
            let stored = stored.await;
            if stored.is_err() {
                // Not stored: the row id may be used again; its lease must not hold it.
                let leased = *leased_out.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(id) = leased {
                    self.leases.end(id);
                }
            }
            let (pushed, handoff) = match stored? {
                (Pushed::Queued, handoff) => (Pushed::Queued, handoff),
                (other, _) => return Ok(other),
            };
            if let Some((id, now, number)) = handoff {
                let job = Job {
                    id: id.to_string(),
                    uuid: delivery.envelope.uuid().to_owned(),
                    body: body.to_vec(),
                    attempts: 0,
                    since_ms: now,
                    damaged: None,
                    envelope: Some(delivery.envelope),
                };
                self.store.read_ahead(&job.uuid, Vec::new());
                self.leases.hand_off(job, number);
            }
            Ok(pushed)
        })
    }

    fn take<'a>(
        &'a self,
        _worker: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Taken, InboxError>> {
        if let Some(job) = self.leases.next_handed_off(now_ms()) {
            return Box::pin(std::future::ready(Ok(Taken::Job(Box::new(job)))));
        }
        let store = self.store.clone();
        let leases = self.leases.clone();
        Box::pin(self.writer.call(false, move |ctx: &mut Ctx<'_>| {
            let now = now_ms();
            // The first due delivery no worker holds: at most one per lease to skip.
            let limit = sql_int(leases.live(now) as u64 + 1);
            let due: Vec<i64> = ctx
                .db
                .prepare_cached(
                    "SELECT id FROM deliveries WHERE dead_at IS NULL AND done_at IS NULL AND due_at <= ?1 ORDER BY due_at LIMIT ?2",
                )
                .and_then(|mut statement| {
                    statement
                        .query_map(params![sql_int(now), limit], |row| row.get::<_, i64>(0))?
                        .collect()
                })
                .map_err(sqlite_error)?;
            let until = now.saturating_add(to_ms(lease));
            let Some(id) = due.into_iter().find(|&id| leases.take(id, until, now).is_some()) else {
                let next: Option<i64> = ctx
                    .db
                    .prepare_cached("SELECT min(due_at) FROM deliveries WHERE dead_at IS NULL AND done_at IS NULL AND due_at > ?1")
                    .and_then(|mut statement| statement.query_row([sql_int(now)], |row| row.get(0)))
                    .map_err(sqlite_error)?;
                let wait = next.map_or(IDLE_POLL, |due| {
                    Duration::from_millis(u64::try_from(due).unwrap_or(0).saturating_sub(now))
                });
                return Ok(Taken::Idle(wait.clamp(Duration::from_millis(1), IDLE_POLL)));
            };
            let job = read_job(ctx, id)?;
            if job.damaged.is_none() {
                store.read_ahead(&job.uuid, store::done_in(ctx, &job.uuid)?);
            }
            Ok(Taken::Job(Box::new(job)))
        }))
    }

    fn keep_alive<'a>(
        &'a self,
        _worker: &'a str,
        job: &'a Job,
        lease: Duration,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        self.leases
            .renew(row_id(job), now_ms().saturating_add(to_ms(lease)));
        Box::pin(std::future::ready(Ok(())))
    }

    fn ack<'a>(
        &'a self,
        _worker: &'a str,
        job: &'a Job,
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        let size = job.body.len();
        let runs = runs.to_owned();
        // Waited for: a worker takes its next delivery only once this one is recorded, so
        // a crash re-runs at most the one delivery per worker it was running.
        Box::pin(self.settle(job, false, move |ctx, id, succeeded| {
            settle_handled(ctx, (id, size), succeeded, &runs)
        }))
    }

    fn retry<'a>(
        &'a self,
        _worker: &'a str,
        job: &'a Job,
        due_ms: u64,
        errors: &'a [HandlerFailure],
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        let errors = errors_json(errors);
        let runs = runs.to_owned();
        Box::pin(self.settle(job, false, move |ctx, id, succeeded| {
            ctx.db
                .prepare_cached(&format!(
                    "UPDATE deliveries SET done = {}, attempts = attempts + 1, due_at = ?2, errors = ?3, runs = ?5 WHERE id = ?1 AND dead_at IS NULL AND done_at IS NULL",
                    store::APPEND_DONE_4
                ))
                .and_then(|mut statement| {
                    statement.execute(params![id, sql_int(due_ms), errors, store::joined(succeeded), runs])
                })
                .map_err(sqlite_error)?;
            Ok(())
        }))
    }

    fn dead_letter<'a>(
        &'a self,
        _worker: &'a str,
        job: &'a Job,
        reason: &'a str,
        errors: &'a [HandlerFailure],
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        let errors = errors_json(errors);
        let reason = reason.to_owned();
        let runs = runs.to_owned();
        Box::pin(self.settle(job, true, move |ctx, id, succeeded| {
            let changed = ctx
                .db
                .prepare_cached(&format!(
                    "UPDATE deliveries SET done = {}, attempts = attempts + 1, dead_at = ?2, reason = ?3, errors = ?4, runs = ?6 WHERE id = ?1 AND dead_at IS NULL AND done_at IS NULL",
                    store::APPEND_DONE_5
                ))
                .and_then(|mut statement| {
                    statement.execute(params![
                        id,
                        sql_int(now_ms()),
                        reason,
                        errors,
                        store::joined(succeeded),
                        runs
                    ])
                })
                .map_err(sqlite_error)?;
            ctx.counts.dead += changed as u64;
            Ok(())
        }))
    }

    fn release<'a>(
        &'a self,
        _worker: &'a str,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<(), InboxError>> {
        let uuid = job.uuid.clone();
        Box::pin(self.settle(job, false, move |ctx, _id, succeeded| {
            store::record_in(ctx, &uuid, succeeded)
        }))
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, InboxError>> {
        Box::pin(self.writer.call(false, move |ctx: &mut Ctx<'_>| {
            let mut statement = ctx
                .db
                .prepare(
                    "SELECT CAST(uuid AS TEXT), CAST(event AS TEXT), received_at, dead_at, attempts, reason, errors
                     FROM deliveries WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT ?1",
                )
                .map_err(sqlite_error)?;
            let rows = statement
                .query_map([sql_int(limit as u64)], |row| {
                    let errors: Option<String> = row.get(6)?;
                    Ok(DeadLetter {
                        uuid: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        event: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        received_at: from_ms(u64::try_from(row.get::<_, i64>(2).unwrap_or(0)).unwrap_or(0)),
                        dead_at: from_ms(u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0)),
                        attempts: u32::try_from(row.get::<_, i64>(4).unwrap_or(0)).unwrap_or(0),
                        reason: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                        errors: errors
                            .and_then(|json| serde_json::from_str(&json).ok())
                            .unwrap_or_default(),
                    })
                })
                .map_err(sqlite_error)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sqlite_error)
        }))
    }

    fn history(&self, limit: usize) -> BoxFuture<'_, Result<Vec<HistoryRow>, InboxError>> {
        Box::pin(self.writer.call(false, move |ctx: &mut Ctx<'_>| {
            let mut statement = ctx
                .db
                .prepare_cached(
                    "SELECT CAST(uuid AS TEXT), CAST(event AS TEXT), received_at, attempts, dead_at IS NOT NULL, done_at IS NOT NULL, runs
                     FROM deliveries ORDER BY id DESC LIMIT ?1",
                )
                .map_err(sqlite_error)?;
            let rows = statement
                .query_map([sql_int(limit as u64)], |row| {
                    let attempts = u32::try_from(row.get::<_, i64>(3).unwrap_or(0)).unwrap_or(0);
                    let (dead, done): (bool, bool) = (row.get(4)?, row.get(5)?);
                    let state = match (dead, done, attempts) {
                        (true, _, _) => HistoryState::Dead,
                        (_, true, _) => HistoryState::Done,
                        (_, _, 0) => HistoryState::Queued,
                        _ => HistoryState::Retrying,
                    };
                    Ok(HistoryRow {
                        uuid: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        event: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        received_ms: u64::try_from(row.get::<_, i64>(2).unwrap_or(0)).unwrap_or(0),
                        attempts,
                        state,
                        runs: row.get::<_, Option<String>>(6)?.unwrap_or_else(|| "[]".to_owned()),
                    })
                })
                .map_err(sqlite_error)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sqlite_error)
        }))
    }

    fn body<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, InboxError>> {
        let uuid = uuid.to_owned();
        Box::pin(self.writer.call(false, move |ctx: &mut Ctx<'_>| {
            ctx.db
                .prepare_cached("SELECT body FROM deliveries WHERE uuid = ?1 AND done_at IS NULL")
                .and_then(|mut statement| statement.query_row([uuid], |row| row.get(0)).optional())
                .map_err(sqlite_error)
        }))
    }

    fn revive<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, InboxError>> {
        let uuid = uuid.to_owned();
        Box::pin(self.writer.call(true, move |ctx: &mut Ctx<'_>| {
            let now = sql_int(now_ms());
            let changed = ctx
                .db
                .execute(
                    "UPDATE deliveries SET dead_at = NULL, reason = NULL, attempts = 0, since = ?2, due_at = ?2 WHERE uuid = ?1 AND dead_at IS NOT NULL",
                    params![uuid, now],
                )
                .map_err(sqlite_error)?;
            ctx.counts.dead = ctx.counts.dead.saturating_sub(changed as u64);
            Ok(changed > 0)
        }))
    }

    fn discard<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, InboxError>> {
        let uuid = uuid.to_owned();
        Box::pin(self.writer.call(true, move |ctx: &mut Ctx<'_>| {
            let id: Option<i64> = ctx
                .db
                .query_row(
                    "SELECT id FROM deliveries WHERE uuid = ?1 AND dead_at IS NOT NULL",
                    [&uuid],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sqlite_error)?;
            match id {
                Some(id) => {
                    let removed = remove(ctx, id)?;
                    ctx.counts.dead = ctx.counts.dead.saturating_sub(u64::from(removed));
                    Ok(removed)
                }
                None => Ok(false),
            }
        }))
    }

    fn stats(&self) -> BoxFuture<'_, Result<InboxStats, InboxError>> {
        Box::pin(self.writer.call(false, |ctx: &mut Ctx<'_>| {
            let counts = *ctx.counts;
            Ok(InboxStats {
                pending: counts.entries.saturating_sub(counts.dead),
                dead_letters: counts.dead,
                bytes: counts.bytes,
            })
        }))
    }

    fn idempotency_store(&self) -> Arc<dyn IdempotencyStore> {
        self.store.clone()
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.join(FILE_NAME).display())
    }
}

/// Acknowledges row `id`: its successes recorded, its body dropped, kept as handled for
/// the dedupe retention; the counts kept.
fn settle_handled(
    ctx: &mut Ctx<'_>,
    (id, size): (i64, usize),
    succeeded: &[String],
    runs: &str,
) -> Result<(), InboxError> {
    let settled: Option<i64> = ctx
        .db
        .prepare_cached(&format!(
            "UPDATE deliveries SET done = {}, done_at = ?2, body = X'', errors = '[]', runs = ?4, attempts = attempts + 1 WHERE id = ?1 AND done_at IS NULL AND dead_at IS NULL RETURNING id",
            store::APPEND_DONE_3
        ))
        .and_then(|mut statement| {
            statement.query_row(
                params![id, sql_int(now_ms()), store::joined(succeeded), runs],
                |row| row.get(0),
            )
        })
        .optional()
        .map_err(sqlite_error)?;
    if settled.is_some() {
        ctx.counts.entries = ctx.counts.entries.saturating_sub(1);
        ctx.counts.bytes = ctx.counts.bytes.saturating_sub(size as u64);
    }
    Ok(())
}

/// Deletes row `id`, keeping the counts; `true` when there was one.
fn remove(ctx: &mut Ctx<'_>, id: i64) -> Result<bool, InboxError> {
    let size: Option<i64> = ctx
        .db
        .prepare_cached("DELETE FROM deliveries WHERE id = ?1 RETURNING length(body)")
        .and_then(|mut statement| statement.query_row([id], |row| row.get(0)))
        .optional()
        .map_err(sqlite_error)?;
    let Some(size) = size else {
        return Ok(false);
    };
    ctx.counts.entries = ctx.counts.entries.saturating_sub(1);
    ctx.counts.bytes = ctx
        .counts
        .bytes
        .saturating_sub(u64::try_from(size).unwrap_or(0));
    Ok(true)
}

/// Reads row `id` as a job. A column of the wrong type or out of range makes a damaged
/// job, which the worker dead-letters with the reason, instead of an error that would
/// hand out the same row again and again.
fn read_job(ctx: &mut Ctx<'_>, id: i64) -> Result<Job, InboxError> {
    ctx.db
        .prepare_cached("SELECT uuid, body, attempts, since FROM deliveries WHERE id = ?1")
        .and_then(|mut statement| {
            statement.query_row([id], |row| {
                let uuid = row.get::<_, String>(0);
                let body = row.get::<_, Vec<u8>>(1);
                let attempts = row
                    .get::<_, i64>(2)
                    .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
                let since = row
                    .get::<_, i64>(3)
                    .map(|ms| u64::try_from(ms).unwrap_or(0));
                Ok(match (uuid, body, attempts, since) {
                    (Ok(uuid), Ok(body), Ok(attempts), Ok(since_ms)) => Job {
                        id: id.to_string(),
                        uuid,
                        body,
                        attempts,
                        since_ms,
                        damaged: None,
                        envelope: None,
                    },
                    (uuid, body, attempts, since) => {
                        let problem = [
                            uuid.err().map(|error| format!("uuid: {error}")),
                            body.err().map(|error| format!("body: {error}")),
                            attempts.err().map(|error| format!("attempts: {error}")),
                            since.err().map(|error| format!("since: {error}")),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join("; ");
                        Job {
                            id: id.to_string(),
                            uuid: format!("row {id}"),
                            body: Vec::new(),
                            attempts: 0,
                            since_ms: 0,
                            damaged: Some(format!("unreadable record (row {id}): {problem}")),
                            envelope: None,
                        }
                    }
                })
            })
        })
        .map_err(sqlite_error)
}
