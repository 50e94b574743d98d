//! The embedded inbox's idempotency store: which handlers succeeded per uuid, in each
//! delivery's own row, so it outlives a crash like the delivery does. Claims (which delivery
//! runs a uuid now) stay in memory: only this process uses the inbox.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{OptionalExtension, params};

use super::super::error::InboxError;
use super::sqlite_error;
use super::writer::{Ctx, Writer};
use crate::dedupe::{Claim, ClaimToken, IdempotencyStore, MemoryStore, StoreError};
use crate::handler::BoxFuture;

/// At most this many done sets read ahead and not yet claimed are kept.
const MAX_READ_AHEAD: usize = 4096;

/// Done records in SQLite, claims in a [`MemoryStore`].
pub(super) struct SqliteStore {
    writer: Writer,
    claims: MemoryStore,
    /// Done sets read with the delivery when a worker took it, for the claim that
    /// follows: one trip to the database thread fewer per delivery.
    read_ahead: Mutex<HashMap<String, Vec<String>>>,
    /// The successes a delivery ended with ([`IdempotencyStore::finish`]), recorded in
    /// the transaction that acknowledges, retries or dead-letters it: atomically with
    /// it, and one trip fewer.
    finished: Mutex<HashMap<String, Vec<String>>>,
}

impl SqliteStore {
    pub(super) fn new(writer: Writer) -> Self {
        SqliteStore {
            writer,
            claims: MemoryStore::new(),
            read_ahead: Mutex::new(HashMap::new()),
            finished: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps successes for the transaction that settles `uuid`'s delivery: from
    /// [`IdempotencyStore::finish`], or put back after that transaction failed.
    pub(super) fn restore_finished(&self, uuid: &str, succeeded: Vec<String>) {
        if !succeeded.is_empty() {
            self.finished
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(uuid.to_owned())
                .or_default()
                .extend(succeeded);
        }
    }

    /// The successes `uuid`'s delivery ended with, for the transaction that settles it.
    pub(super) fn take_finished(&self, uuid: &str) -> Vec<String> {
        self.finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uuid)
            .unwrap_or_default()
    }

    /// Keeps `done`, read in the same transaction that leased `uuid`'s delivery to a
    /// worker (so nobody else recorded anything since), for its claim.
    pub(super) fn read_ahead(&self, uuid: &str, done: Vec<String>) {
        let mut read_ahead = self
            .read_ahead
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if read_ahead.len() >= MAX_READ_AHEAD {
            read_ahead.clear();
        }
        read_ahead.insert(uuid.to_owned(), done);
    }

    /// The handlers recorded as done for `uuid` (read ahead, or read now), and those
    /// whose record is still to be written.
    async fn done(&self, uuid: &str) -> Result<Vec<String>, StoreError> {
        let mut done = self.recorded(uuid).await?;
        if let Some(pending) = self
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(uuid)
        {
            done.extend(pending.iter().cloned());
        }
        Ok(done)
    }

    /// The handlers recorded as done for `uuid` in the database.
    async fn recorded(&self, uuid: &str) -> Result<Vec<String>, StoreError> {
        let ahead = self
            .read_ahead
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uuid);
        if let Some(done) = ahead {
            return Ok(done);
        }
        let uuid = uuid.to_owned();
        self.writer
            .call(false, move |ctx: &mut Ctx<'_>| done_in(ctx, &uuid))
            .await
            .map_err(unavailable)
    }

    /// Records `handlers` as done for `uuid`. Committed without waiting for the fsync:
    /// the record survives a crash of this process once this returns.
    async fn record(&self, uuid: &str, handlers: &[&str]) -> Result<(), StoreError> {
        if handlers.is_empty() {
            return Ok(());
        }
        let uuid = uuid.to_owned();
        let handlers: Vec<String> = handlers.iter().map(|&handler| handler.to_owned()).collect();
        self.writer
            .call(false, move |ctx: &mut Ctx<'_>| {
                record_in(ctx, &uuid, &handlers)
            })
            .await
            .map_err(unavailable)
    }
}

/// The SQL that appends the handler keys in parameter `?N` (one per line, or NULL for
/// none) to a row's `done`: one statement, so a request never writes twice.
macro_rules! append_done {
    ($n:literal) => {
        concat!(
            "CASE WHEN ?",
            $n,
            " IS NULL THEN done WHEN done = '' THEN ?",
            $n,
            " ELSE done || char(10) || ?",
            $n,
            " END"
        )
    };
}
pub(super) const APPEND_DONE_2: &str = append_done!("2");
pub(super) const APPEND_DONE_3: &str = append_done!("3");
pub(super) const APPEND_DONE_4: &str = append_done!("4");
pub(super) const APPEND_DONE_5: &str = append_done!("5");

/// Handler keys as [`append_done`] takes them. The dispatcher reports each success once,
/// and never one already done, so no key is appended twice.
pub(super) fn joined(handlers: &[String]) -> Option<String> {
    (!handlers.is_empty()).then(|| handlers.join("\n"))
}

/// Records `handlers` as done for `uuid`, in the open transaction: in its row.
pub(super) fn record_in(ctx: &Ctx<'_>, uuid: &str, handlers: &[String]) -> Result<(), InboxError> {
    let Some(joined) = joined(handlers) else {
        return Ok(());
    };
    ctx.db
        .prepare_cached(&format!(
            "UPDATE deliveries SET done = {APPEND_DONE_2} WHERE uuid = ?1"
        ))
        .and_then(|mut statement| statement.execute(params![uuid, joined]))
        .map_err(sqlite_error)?;
    Ok(())
}

/// The handlers recorded as done for `uuid`, in the open transaction.
pub(super) fn done_in(ctx: &Ctx<'_>, uuid: &str) -> Result<Vec<String>, InboxError> {
    let done: Option<String> = ctx
        .db
        .prepare_cached("SELECT done FROM deliveries WHERE uuid = ?1")
        .and_then(|mut statement| statement.query_row([uuid], |row| row.get(0)))
        .optional()
        .map_err(sqlite_error)?;
    Ok(done
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

fn unavailable(error: InboxError) -> StoreError {
    StoreError::with_source("inbox done records", error)
}

impl IdempotencyStore for SqliteStore {
    fn claim<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        self.claim_unless_done(uuid, lease, &[])
    }

    fn claim_unless_done<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
        handlers: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            let token = match self.claims.claim(uuid, lease).await? {
                Claim::Acquired { token, .. } => token,
                other => return Ok(other),
            };
            let done = match self.done(uuid).await {
                Ok(done) => done,
                Err(error) => {
                    self.claims.release(uuid, &token).await?;
                    return Err(error);
                }
            };
            let all_done = !handlers.is_empty()
                && handlers
                    .iter()
                    .all(|handler| done.iter().any(|d| d == handler));
            if all_done {
                self.claims.release(uuid, &token).await?;
                return Ok(Claim::AllDone);
            }
            Ok(Claim::Acquired { token, done })
        })
    }

    fn mark_done<'a>(
        &'a self,
        uuid: &'a str,
        handler: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.record(uuid, &[handler]).await })
    }

    fn mark_all_done<'a>(
        &'a self,
        uuid: &'a str,
        handlers: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.record(uuid, handlers))
    }

    fn release<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.claims.release(uuid, token)
    }

    fn finish<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
        succeeded: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Kept for the worker's next call, which settles the delivery (acknowledges,
        // retries or dead-letters it) and records these in the same transaction.
        self.restore_finished(uuid, succeeded.iter().map(|&h| h.to_owned()).collect());
        self.claims.release(uuid, token)
    }

    fn keep_alive<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
        lease: Duration,
    ) -> Option<BoxFuture<'a, ()>> {
        self.claims.keep_alive(uuid, token, lease)
    }
}
