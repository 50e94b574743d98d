//! Answer Postal as soon as a delivery is stored durably, then run the handlers in
//! background workers, with retries and dead letters (feature `inbox`).
//!
//! Postal waits 5 s for an answer, retries a failed delivery 6 times over about 36
//! minutes, then drops it for good (SPEC: delivery and retries). With handlers run inside
//! the request (the default), a handler slower than 5 s makes Postal retry, and a
//! downstream down for an hour loses every event of that hour. With an inbox:
//!
//! - the receiver verifies and parses the request first (nothing unverified is stored),
//!   then stores the raw body and answers `200` once the write is durable: fsynced for
//!   the embedded inbox, in Redis for `redis` (see below);
//! - workers ([`Inbox::start`]) take stored deliveries and run the same dispatcher, with
//!   the same per-handler exactly-once through an idempotency store as durable as the
//!   inbox;
//! - a failed handler is retried with exponential backoff and jitter
//!   ([`InboxSettings::retry_backoff`], 1 s doubling up to 10 minutes), until the
//!   delivery is [`retry_max_age`](InboxSettings::retry_max_age) old (72 h); then it is
//!   dead-lettered with each handler's last error, to be retried or discarded
//!   ([`Inbox::retry_dead_letter`], [`Inbox::discard_dead_letter`]);
//! - a worker holds a delivery under a lease, renewed while the handlers run; a process
//!   that dies leaves it to be taken again after the lease (the embedded inbox gives it
//!   back at once on restart, since only one process uses it);
//! - the inbox is bounded ([`InboxSettings::max_entries`], [`max_bytes`](InboxSettings::max_bytes)):
//!   when full, deliveries are answered 503 and Postal retries them.
//!
//! **What "acknowledged" means.** Inline (no inbox), a `200` means every handler
//! succeeded. With an inbox, it means the delivery is stored: the handlers run later, and
//! a failure is retried by us for days instead of by Postal for 36 minutes.
//!
//! **Exactly once, up to a crash.** A handler that succeeded is recorded as done for its
//! uuid, and is not run again for it: not on a retry of the delivery, not on Postal's
//! retry of it, not after a restart. The record is written when the delivery is settled
//! (acknowledged, retried or dead-lettered), or earlier, as soon as a later handler
//! awaits I/O; it survives a crash of the process (the embedded inbox writes it to
//! SQLite's WAL without waiting for the fsync, so a power loss may lose it). A process
//! killed between a handler's return and that record runs the handler again on restart:
//! at most the one delivery each worker was running. Exactly once for a side effect
//! across `kill -9` needs the downstream's help: keep handlers idempotent where it
//! allows (Postal's uuid is a natural idempotency key).
//!
//! **Where it lives.**
//! - A directory ([`Inbox::open`], `POSTAL_HOOKS_INBOX=/var/lib/app/inbox`): one SQLite
//!   database in WAL mode, with no server to run, for one process (a second process on
//!   the same path fails to open it). A burst of deliveries shares one fsync (group
//!   commit).
//! - Redis ([`Inbox::connect_redis`], `POSTAL_HOOKS_INBOX=redis`, feature `redis`),
//!   shared by replicas: a stream with a consumer group; a replica that dies leaves its
//!   pending entries to be claimed by another after the lease (`XPENDING … IDLE` and
//!   `XCLAIM`); retries wait in a sorted set; each operation is one Lua script. It needs
//!   Redis 6.2 or newer, and one Redis (not a Cluster). A delivery is acknowledged once
//!   Redis has it; for it to survive a crash of Redis itself, run Redis with
//!   `appendonly yes` and `appendfsync always`.
//!
//! ```
//! use postal_hooks::inbox::{Inbox, InboxSettings};
//! use postal_hooks::{Dispatcher, Receiver, Verifier, events::MessageBounced};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
//! # let body: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
//! # let headers = [("Content-Type", "application/json"), ("X-Postal-Signature-256", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json.sig256")).trim())];
//! # let dir = std::env::temp_dir().join(format!("postal-hooks-doc-inbox-{}", std::process::id()));
//! let dispatcher = Dispatcher::builder()
//!     .without_registered_handlers()
//!     .on(|bounce: &MessageBounced| println!("suppress {:?}", bounce.original_message.to))
//!     .build()?;
//! let inbox = Inbox::open(&dir, InboxSettings::default())?; // created if missing
//! let workers = inbox.start(&dispatcher)?;
//! let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?).with_inbox(inbox.clone());
//! # let receiver = receiver.with_replay_window(None); // the captured sample dates from 2024
//!
//! let reply = receiver.receive(&headers, body).await;
//! assert_eq!((reply.status().as_u16(), reply.body()), (200, "ok: queued"));
//! # while inbox.stats().await?.pending > 0 { tokio::time::sleep(Duration::from_millis(5)).await; }
//! workers.shutdown(Duration::from_secs(10)).await; // on SIGTERM
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

mod backend;
mod error;
mod gauges;
mod record;
#[cfg(feature = "redis")]
mod redis;
mod settings;
mod sqlite;
mod worker;
mod workers;

use std::path::Path;
use std::sync::Arc;

use tokio::sync::Notify;

use backend::Backend;
pub use error::InboxError;
pub use record::{DeadLetter, HandlerFailure, InboxStats, Pushed};
#[cfg(feature = "inspector")]
pub(crate) use record::{HistoryRow, HistoryState};
pub use settings::{
    DEFAULT_KEY_PREFIX, DEFAULT_LEASE, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES,
    DEFAULT_RETRY_BACKOFF, DEFAULT_RETRY_MAX_AGE, DEFAULT_WORKERS, InboxSettings,
    MAX_RETRY_BACKOFF,
};
pub use workers::Workers;

use crate::dispatch::Dispatcher;
use crate::parse::Envelope;
use crate::shared_error::SharedError;

/// The durable inbox: where a [`Receiver`](crate::Receiver) stores deliveries
/// ([`Receiver::with_inbox`](crate::Receiver::with_inbox)) and workers take them from.
/// Cheap to clone. See the [module docs](self).
#[derive(Clone)]
pub struct Inbox {
    backend: Arc<dyn Backend>,
    settings: InboxSettings,
    wake: Arc<Notify>,
}

impl Inbox {
    fn with_backend(backend: Arc<dyn Backend>, settings: InboxSettings) -> Self {
        Inbox {
            backend,
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Opens the embedded inbox in directory `path` (created if missing): a SQLite
    /// database, `inbox.sqlite3`, in WAL mode. Deliveries left by an earlier run, and
    /// those its workers held when it stopped, are due at once.
    ///
    /// # Errors
    ///
    /// [`InboxError::Open`] when the directory cannot be created or written (a read-only
    /// path, a full disk), the file is not an inbox, or another process has it open;
    /// [`InboxError::Schema`] when it was written by a newer postal-hooks.
    pub fn open(path: impl AsRef<Path>, settings: InboxSettings) -> Result<Inbox, InboxError> {
        let backend = sqlite::SqliteBackend::open(path.as_ref(), &settings)?;
        Ok(Inbox::with_backend(Arc::new(backend), settings))
    }

    /// Connects to the inbox in the Redis at `url`, shared by every replica that uses
    /// the same Redis (feature `redis`). Checks the connection now.
    ///
    /// # Errors
    ///
    /// [`InboxError::Unavailable`] when the URL is invalid, Redis does not answer, or it
    /// is older than 6.2.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub async fn connect_redis(url: &str, settings: InboxSettings) -> Result<Inbox, InboxError> {
        let backend = redis::RedisBackend::connect(url, &settings).await?;
        Ok(Inbox::with_backend(Arc::new(backend), settings))
    }

    /// Stores a verified delivery: `envelope`, and `body`, the raw bytes it was parsed
    /// from ([`Receiver::with_inbox`](crate::Receiver::with_inbox) does both). Returns once
    /// the write is durable. `envelope` must be `body` parsed: a worker may run either.
    ///
    /// # Errors
    ///
    /// [`InboxError::Full`] at the bounds; [`InboxError::Unavailable`] when the storage
    /// fails; [`InboxError::Closed`] when the embedded inbox's database thread has
    /// stopped. Answer each with 503, so Postal retries.
    pub async fn push(&self, envelope: Envelope, body: &[u8]) -> Result<Pushed, InboxError> {
        let pushed = self
            .backend
            .push(record::NewDelivery { envelope, body })
            .await?;
        if pushed == Pushed::Queued {
            // One worker per delivery; a permit waits for the next if none is idle.
            self.wake.notify_one();
        }
        Ok(pushed)
    }

    /// Starts [`InboxSettings::workers`] workers that run `dispatcher`'s handlers on the
    /// stored deliveries: on the current tokio runtime when there is one, else on a
    /// runtime of their own.
    ///
    /// The workers use the dispatcher's handlers, state and store deadline, with this
    /// inbox's idempotency store (the embedded inbox's own done records, or Redis) and
    /// [`lease`](InboxSettings::lease), whatever store the dispatcher was built with.
    ///
    /// # Errors
    ///
    /// [`InboxError::Unavailable`] when a runtime of their own cannot be started.
    pub fn start(&self, dispatcher: &Dispatcher) -> Result<Workers, InboxError> {
        let dispatcher =
            dispatcher.with_store(self.backend.idempotency_store(), self.settings.lease);
        Workers::spawn(self.settings.workers, |stopping, grace| worker::Shared {
            backend: self.backend.clone(),
            dispatcher,
            settings: self.settings.clone(),
            wake: self.wake.clone(),
            stopping,
            grace,
        })
        .map_err(|error| InboxError::Unavailable(SharedError::new(error)))
    }

    /// The most recent deliveries kept, newest first, as the inspector lists them: at
    /// most `latest` of the latest, and the newest `dead` dead letters however old, so that
    /// each can still be retried or discarded. Without bodies.
    #[cfg(feature = "inspector")]
    pub(crate) async fn history(
        &self,
        latest: usize,
        dead: usize,
    ) -> Result<Vec<crate::inspect::DeliveryRecord>, InboxError> {
        let mut records: Vec<crate::inspect::DeliveryRecord> = self
            .backend
            .history(latest)
            .await?
            .into_iter()
            .map(crate::inspect::DeliveryRecord::from_history)
            .collect();
        let listed: std::collections::HashSet<String> =
            records.iter().map(|record| record.id.clone()).collect();
        for letter in self.backend.dead_letters(dead).await? {
            if !listed.contains(&letter.uuid) {
                records.push(crate::inspect::DeliveryRecord::from_dead_letter(letter));
            }
        }
        records.sort_by_key(|record| std::cmp::Reverse(record.received_at));
        Ok(records)
    }

    /// The body of delivery `uuid` while it is kept (pending or dead-lettered).
    #[cfg(feature = "inspector")]
    pub(crate) async fn body(&self, uuid: &str) -> Result<Option<Vec<u8>>, InboxError> {
        self.backend.body(uuid).await
    }

    /// The most recent dead letters, newest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// [`InboxError::Unavailable`] when the storage fails.
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, InboxError> {
        self.backend.dead_letters(limit).await
    }

    /// Moves the dead letter `uuid` back to pending, due now, with its age reset, so its
    /// failed handlers run again (those that succeeded stay done). `false` when no dead
    /// letter has that uuid.
    ///
    /// # Errors
    ///
    /// [`InboxError::Unavailable`] when the storage fails.
    pub async fn retry_dead_letter(&self, uuid: &str) -> Result<bool, InboxError> {
        let revived = self.backend.revive(uuid).await?;
        if revived {
            self.wake.notify_one();
        }
        Ok(revived)
    }

    /// Deletes the dead letter `uuid` for good. `false` when no dead letter has that uuid.
    ///
    /// # Errors
    ///
    /// [`InboxError::Unavailable`] when the storage fails.
    pub async fn discard_dead_letter(&self, uuid: &str) -> Result<bool, InboxError> {
        self.backend.discard(uuid).await
    }

    /// Pending deliveries, dead letters and bytes kept.
    ///
    /// # Errors
    ///
    /// [`InboxError::Unavailable`] when the storage fails.
    pub async fn stats(&self) -> Result<InboxStats, InboxError> {
        self.backend.stats().await
    }

    /// The settings it was opened with.
    pub fn settings(&self) -> &InboxSettings {
        &self.settings
    }
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("store", &self.backend.describe())
            .field("settings", &self.settings)
            .finish()
    }
}
