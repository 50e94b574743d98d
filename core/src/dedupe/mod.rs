//! Exactly-once handling across Postal's retries: the [`IdempotencyStore`] the dispatcher
//! consults, keyed by the envelope's `uuid`.
//!
//! Postal delivers at least once: it retries any request without a 2xx answer within 5 s,
//! with the same `uuid` and bytes, and a handler that finishes after 5 s gets its request
//! retried although it was handled. With a store, the dispatcher makes each handler run to
//! success **at most once per uuid**:
//!
//! - a delivery first *claims* the uuid for a lease; a second delivery of the same uuid
//!   while the claim is held runs nothing and answers 409, so Postal tries again later;
//! - a handler that succeeds is recorded as done; on a retry it is skipped ("skipped:
//!   already done for this uuid"), and only the handlers that failed or never ran run;
//! - the claim is released when the delivery ends, and kept alive while its handlers run,
//!   however long they take; one held by a crashed worker expires with its lease, so the
//!   event is not stuck;
//! - a store that cannot be reached answers 503 (Postal retries): the check is never
//!   silently skipped;
//! - successes are recorded with the release, in one call at the end of the delivery
//!   ([`IdempotencyStore::finish`]), or earlier, in one call
//!   ([`IdempotencyStore::mark_all_done`]) as soon as a later handler awaits I/O, so that a
//!   process that dies while an async handler waits does not forget the ones before it.
//!   A process that dies between a handler's success and its record runs that handler
//!   again on Postal's retry, as it would had it died inside the handler. Between two
//!   handlers that do not await, that window is the next handler's run: a sync handler
//!   that blocks for seconds widens it (and blocks the async runtime: make it `async`);
//! - a retry of a uuid whose deduplicated handlers are all done takes no claim at all
//!   ([`Claim::AllDone`]): one store call, answered 200, even while the first delivery
//!   still runs its last, opted-out, handlers.
//!
//! [`MemoryStore`] is the default; [`RedisStore`] (feature
//! `redis`) shares the records between replicas.

mod claim;
mod error;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::time::Duration;

pub use claim::{Claim, ClaimToken};
pub use error::StoreError;
pub use memory::{DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, MemoryStore};
#[cfg(feature = "redis")]
pub use redis::RedisStore;

pub use crate::handler::BoxFuture;

/// How long a claim lasts by default: well past Postal's 5 s timeout, and under its first
/// retry (2 minutes later), so a crashed worker's claim is gone when the retry comes.
///
/// ```
/// use postal_hooks::{Dispatcher, dedupe::DEFAULT_LEASE, events::MessageSent};
/// use std::time::Duration;
///
/// assert_eq!(DEFAULT_LEASE, Duration::from_secs(60));
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|sent: &MessageSent| println!("{}", sent.message.id))
///     .lease(DEFAULT_LEASE / 2) // a crashed worker blocks retries for 30 s at most
///     .build()?;
/// # Ok::<(), postal_hooks::BuildError>(())
/// ```
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// How long one delivery may wait on the idempotency store in all its calls (the claim,
/// records made while a handler waits, the final records and release), by default: 3 s, well under Postal's 5 s, leaving time
/// for the answer. The call that runs past it fails; a claim that does answers 503, so
/// Postal retries in time. Set it with
/// [`DispatcherBuilder::store_deadline`](crate::DispatcherBuilder::store_deadline).
///
/// ```
/// use postal_hooks::{Dispatcher, dedupe::DEFAULT_STORE_DEADLINE};
/// use std::time::Duration;
///
/// assert_eq!(DEFAULT_STORE_DEADLINE, Duration::from_secs(3));
/// let dispatcher = Dispatcher::builder()
///     .store_deadline(Duration::from_millis(1500))
///     .allow_no_handlers()
///     .build()?;
/// # Ok::<(), postal_hooks::BuildError>(())
/// ```
pub const DEFAULT_STORE_DEADLINE: Duration = Duration::from_secs(3);

/// How long records are kept by default: 12 hours, the receiver's default
/// [replay window](crate::DEFAULT_REPLAY_WINDOW). Postal's retries span about 36 minutes;
/// a replay of a captured delivery within the window meets its uuid's record, and one
/// after it is refused by the window. Keep a store's retention at least as long as the
/// receiver's window.
///
/// ```
/// use postal_hooks::DEFAULT_REPLAY_WINDOW;
/// use postal_hooks::dedupe::{DEFAULT_RETENTION, MemoryStore};
/// use std::time::Duration;
///
/// assert_eq!(DEFAULT_RETENTION, Duration::from_secs(12 * 60 * 60));
/// assert!(DEFAULT_RETENTION >= DEFAULT_REPLAY_WINDOW);
/// // Remember each uuid for two days instead.
/// let store = MemoryStore::new().with_retention(DEFAULT_RETENTION * 4);
/// assert!(store.is_empty());
/// ```
pub const DEFAULT_RETENTION: Duration = crate::DEFAULT_REPLAY_WINDOW;

/// Where the dispatcher records, per envelope `uuid`, which handlers succeeded and whether
/// a delivery is in progress. Implement it to keep the records elsewhere.
///
/// `claim` (and `claim_unless_done`), `mark_done` and `release` must be atomic with
/// respect to each other for the same `uuid`; a `finish` of your own must record before,
/// or atomically with, the release; `keep_alive`, when provided, renews a claim only while
/// its token holds it.
///
/// ```
/// use postal_hooks::{Dispatcher, Outcome, dedupe::MemoryStore, events::MessageSent};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageSent.json"));
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .idempotency_store(MemoryStore::new()) // or your own `impl IdempotencyStore`
///     .on(|sent: &MessageSent| println!("delivered to {:?}", sent.message.to))
///     .build()?;
/// dispatcher.dispatch_blocking(body)?;
/// let retry = dispatcher.dispatch_blocking(body)?; // Postal retries with the same uuid
/// assert_eq!(retry.runs()[0].outcome(), &Outcome::Skipped);
/// # Ok(()) }
/// ```
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `uuid` for `lease` unless another live claim holds it. On success, gives the
    /// handlers recorded as done for it.
    fn claim<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>>;

    /// Records that `handler` succeeded for `uuid` (kept for the store's retention).
    fn mark_done<'a>(
        &'a self,
        uuid: &'a str,
        handler: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Ends the claim `token` on `uuid`, if it still holds it.
    fn release<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Claims `uuid` for `lease`, unless every handler in `handlers` (their keys) is
    /// already done for it: then answers [`Claim::AllDone`] and takes no claim, since
    /// nothing is left to run. The dispatcher calls this, never [`claim`](Self::claim)
    /// directly, with the keys of the deduplicated handlers routed to the event.
    ///
    /// The default is [`claim`](Self::claim), which never answers `AllDone`. A store that
    /// can check and claim in one step overrides it: [`RedisStore`] does, so a retry of a
    /// fully handled uuid costs one round trip and no release.
    fn claim_unless_done<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
        handlers: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        let _ = handlers;
        self.claim(uuid, lease)
    }

    /// Records each handler in `handlers` as done for `uuid`: [`mark_done`](Self::mark_done)
    /// for several. The dispatcher calls it when a handler awaits I/O, for the successes
    /// before it not yet recorded.
    ///
    /// The default calls `mark_done` for each and gives the first error. A store that can
    /// record them in one step overrides it (`RedisStore`: one round trip).
    fn mark_all_done<'a>(
        &'a self,
        uuid: &'a str,
        handlers: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut first_error = None;
            for handler in handlers {
                if let Err(error) = self.mark_done(uuid, handler).await {
                    first_error.get_or_insert(error);
                }
            }
            first_error.map_or(Ok(()), Err)
        })
    }

    /// Ends a delivery: records each handler in `succeeded` as done for `uuid`, then
    /// releases the claim `token`. The dispatcher records the successes not yet recorded
    /// this way, at the end of each delivery.
    ///
    /// The default calls [`mark_done`](Self::mark_done) for each, then
    /// [`release`](Self::release) whatever they answered, and gives the first error. A
    /// store that can do both in one step overrides it (`RedisStore`: one round trip).
    fn finish<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
        succeeded: &'a [&'a str],
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let recorded = self.mark_all_done(uuid, succeeded).await;
            let released = self.release(uuid, token).await;
            recorded.and(released)
        })
    }

    /// Keeps the claim `token` on `uuid` alive while its delivery runs, so that handlers
    /// slower than the lease are not run a second time, concurrently, by a retry.
    ///
    /// The dispatcher polls the returned future alongside the handlers, and drops it once
    /// the delivery has ended with [`finish`](Self::finish) (or is cancelled). It should renew the claim before
    /// the lease runs out and not complete while the claim is held. The lease still frees
    /// the uuid when the process holding it dies.
    ///
    /// The default, `None`, keeps nothing alive: a claim lasts its lease and no longer.
    fn keep_alive<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
        lease: Duration,
    ) -> Option<BoxFuture<'a, ()>> {
        let _ = (uuid, token, lease);
        None
    }
}
