//! The operations every inbox store provides: SQLite (embedded) and Redis (replicas).

use std::sync::Arc;
use std::time::Duration;

use super::error::InboxError;
use super::record::{
    DeadLetter, HandlerFailure, HistoryRow, InboxStats, Job, NewDelivery, Pushed, Taken,
};
use crate::dedupe::IdempotencyStore;
use crate::handler::BoxFuture;

/// An inbox store. Every call is one transaction (SQLite) or one script (Redis).
pub(crate) trait Backend: Send + Sync + 'static {
    /// Stores a delivery durably, unless its uuid is already kept, within the bounds.
    fn push<'a>(&'a self, delivery: NewDelivery<'a>) -> BoxFuture<'a, Result<Pushed, InboxError>>;
    /// Leases the next due delivery to `worker` for `lease`.
    fn take<'a>(
        &'a self,
        worker: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Taken, InboxError>>;
    /// Renews `worker`'s lease on `job`.
    fn keep_alive<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        lease: Duration,
    ) -> BoxFuture<'a, Result<(), InboxError>>;
    /// Every handler succeeded: the delivery is handled. `runs` (JSON) is kept for its
    /// history.
    fn ack<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>>;
    /// Some handler failed: run it again at `due_ms`, with `errors` and `runs` kept.
    fn retry<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        due_ms: u64,
        errors: &'a [HandlerFailure],
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>>;
    /// Moves the delivery to the dead letters with `reason`, `errors` and `runs`.
    fn dead_letter<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
        reason: &'a str,
        errors: &'a [HandlerFailure],
        runs: &'a str,
    ) -> BoxFuture<'a, Result<(), InboxError>>;
    /// The most recent deliveries kept (pending, handled within the dedupe retention, and
    /// dead-lettered), newest first, at most `limit`, without their bodies. Read by the
    /// inspector.
    #[cfg_attr(not(feature = "inspector"), allow(dead_code))]
    fn history(&self, limit: usize) -> BoxFuture<'_, Result<Vec<HistoryRow>, InboxError>>;
    /// The body of delivery `uuid`, while it is kept (pending or dead-lettered).
    #[cfg_attr(not(feature = "inspector"), allow(dead_code))]
    fn body<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, InboxError>>;
    /// Gives the delivery back, due now, with its attempt not counted (shutdown).
    fn release<'a>(
        &'a self,
        worker: &'a str,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<(), InboxError>>;
    /// The most recent dead letters, newest first.
    fn dead_letters(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DeadLetter>, InboxError>>;
    /// Moves a dead letter back to pending, due now, its age reset. `false` when no dead
    /// letter has that uuid.
    fn revive<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, InboxError>>;
    /// Deletes a dead letter. `false` when no dead letter has that uuid.
    fn discard<'a>(&'a self, uuid: &'a str) -> BoxFuture<'a, Result<bool, InboxError>>;
    /// Counts.
    fn stats(&self) -> BoxFuture<'_, Result<InboxStats, InboxError>>;
    /// Where the workers record which handlers succeeded, per uuid: durable like the
    /// inbox itself.
    fn idempotency_store(&self) -> Arc<dyn IdempotencyStore>;
    /// What to call the store in logs: `sqlite:<path>` or `redis`.
    fn describe(&self) -> String;
    /// A worker stopped (shutdown): forget it, if the store keeps track of workers.
    fn worker_stopped<'a>(&'a self, worker: &'a str) -> BoxFuture<'a, ()> {
        let _ = worker;
        Box::pin(std::future::ready(()))
    }
}
