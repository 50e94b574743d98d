//! [`MemoryStore`]: the embedded default, bounded in entries and in time.

use std::collections::{HashMap, VecDeque};
use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::claim::{Claim, ClaimToken};
use super::error::StoreError;
use super::{DEFAULT_RETENTION, IdempotencyStore};
use crate::handler::BoxFuture;

/// Records in this process's memory: right for a single instance. Bounded: at most
/// `max_entries` uuids and about `max_bytes` bytes of records, each kept for `retention`
/// (12 hours by default, the receiver's replay window; Postal's retries span ≈ 36
/// minutes); under a flood of distinct uuids the oldest go first, even inside the window
/// (100 000 uuids in 12 hours is 2.3 deliveries a second: above that, raise
/// `max_entries`, or use a shared store).
///
/// ```
/// use postal_hooks::{Dispatcher, dedupe::MemoryStore};
/// use std::time::Duration;
///
/// let store = MemoryStore::new().with_max_entries(50_000).with_retention(Duration::from_secs(3600));
/// let dispatcher = Dispatcher::builder()
///     .idempotency_store(store)
///     .allow_no_handlers()
///     .without_registered_handlers()
///     .build()?;
/// # Ok::<(), postal_hooks::BuildError>(())
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Claim tokens: unique within this store, which is all a store in one process needs.
    next_token: AtomicU64,
    bounds: Bounds,
    retention: Duration,
}

/// How much the store may hold before the oldest finished records go.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    entries: usize,
    bytes: usize,
}

/// The default bound on remembered uuids.
///
/// ```
/// use postal_hooks::dedupe::{DEFAULT_MAX_ENTRIES, MemoryStore};
///
/// assert_eq!(DEFAULT_MAX_ENTRIES, 100_000);
/// // A smaller bound for a small deployment: the oldest finished uuids go first.
/// let store = MemoryStore::new().with_max_entries(DEFAULT_MAX_ENTRIES / 10);
/// # let _ = store;
/// ```
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// The default bound on the bytes the records take: 64 MiB, counted as each uuid's and
/// handler key's length plus a fixed overhead per record ([`MemoryStore::bytes`]).
///
/// ```
/// use postal_hooks::dedupe::{DEFAULT_MAX_BYTES, MemoryStore};
///
/// assert_eq!(DEFAULT_MAX_BYTES, 64 * 1024 * 1024);
/// let store = MemoryStore::new().with_max_bytes(8 * 1024 * 1024);
/// assert_eq!(store.bytes(), 0);
/// ```
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a record costs beyond its text: the map and queue slots, the `Arc` and the `Vec`.
const ENTRY_OVERHEAD: usize = 128;
/// What a handler's done mark costs beyond its key.
const DONE_OVERHEAD: usize = 24;
/// The smallest byte bound [`MemoryStore::with_max_bytes`] takes.
const MIN_MAX_BYTES: usize = 4096;

#[derive(Debug, Default)]
struct State {
    /// Keyed by uuid; the key is shared with `order`, so a uuid is stored once.
    entries: HashMap<Arc<str>, Entry>,
    /// uuids in the order their entries were created, for expiry and eviction.
    order: VecDeque<(Instant, Arc<str>)>,
    /// What the entries take, as [`Entry::cost`] counts it.
    bytes: usize,
}

#[derive(Debug)]
struct Entry {
    created: Instant,
    done: Vec<String>,
    lease: Option<Lease>,
}

/// A delivery's claim on a uuid.
#[derive(Debug)]
struct Lease {
    token: ClaimToken,
    /// `None`: never runs out, because the delivery holding it keeps it alive (or the
    /// lease was too long to represent).
    expires: Option<Instant>,
}

impl Entry {
    /// The bytes this entry takes under `uuid`.
    fn cost(&self, uuid: &str) -> usize {
        let done: usize = self.done.iter().map(|key| key.len() + DONE_OVERHEAD).sum();
        ENTRY_OVERHEAD + uuid.len() + done
    }

    fn is_claimed(&self, now: Instant) -> bool {
        self.lease
            .as_ref()
            .is_some_and(|lease| lease.expires.is_none_or(|expires| expires > now))
    }

    /// The lease, if `token` holds it.
    fn lease_of(&mut self, token: &ClaimToken) -> Option<&mut Lease> {
        self.lease.as_mut().filter(|lease| lease.token == *token)
    }
}

impl MemoryStore {
    /// A store with the default bounds (100 000 uuids, 64 MiB, 12 hours).
    pub fn new() -> Self {
        MemoryStore {
            state: Mutex::new(State::default()),
            next_token: AtomicU64::new(0),
            bounds: Bounds {
                entries: DEFAULT_MAX_ENTRIES,
                bytes: DEFAULT_MAX_BYTES,
            },
            retention: DEFAULT_RETENTION,
        }
    }

    /// Remembers at most `max` uuids (at least 1), finished ones evicted oldest first. A uuid
    /// whose delivery is in progress is never evicted, so while more than `max` deliveries
    /// run at once the store briefly holds more.
    #[must_use]
    pub fn with_max_entries(mut self, max: usize) -> Self {
        self.bounds.entries = max.max(1);
        self
    }

    /// Keeps the records under about `max` bytes (at least 4 KiB; [`bytes`](Self::bytes)
    /// counts them),
    /// finished ones evicted oldest first, as for [`with_max_entries`](Self::with_max_entries).
    /// Envelope uuids are short ([`Envelope::parse`](crate::Envelope::parse) refuses long
    /// ones), but a uuid given to [`Dispatcher::dispatch_event`](crate::Dispatcher::dispatch_event)
    /// in a hand-built [`Meta`](crate::Meta) may be any length.
    #[must_use]
    pub fn with_max_bytes(mut self, max: usize) -> Self {
        // At least one record with a full-length envelope uuid and a few handler marks, so a
        // tiny bound cannot turn deduplication off by evicting every finished record.
        self.bounds.bytes = max.max(MIN_MAX_BYTES);
        self
    }

    /// The bytes the records take now: each uuid and handler key, plus a fixed overhead per
    /// record and per handler mark.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Forgets a uuid this long after its first delivery.
    #[must_use]
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// How many uuids are remembered now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no uuid is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every await-free step; a panic elsewhere while the
        // lock was held cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims `uuid` unless every one of `handlers` is done for it (none asked: claims).
    fn claim_now(&self, uuid: &str, lease: Duration, handlers: &[&str]) -> Claim {
        let now = Instant::now();
        let mut state = self.lock();
        state.expire(now, self.retention);
        let entry = state.entry(uuid, now, self.bounds);
        if !handlers.is_empty()
            && handlers
                .iter()
                .all(|handler| entry.done.iter().any(|done| done == handler))
        {
            return Claim::AllDone;
        }
        if entry.is_claimed(now) {
            return Claim::InProgress;
        }
        let token = ClaimToken::new(self.next_token.fetch_add(1, Ordering::Relaxed).to_string());
        entry.lease = Some(Lease {
            token: token.clone(),
            expires: now.checked_add(lease),
        });
        Claim::Acquired {
            token,
            done: entry.done.clone(),
        }
    }

    fn mark_done_now(&self, uuid: &str, handler: &str) {
        let now = Instant::now();
        let mut state = self.lock();
        let entry = match state.entries.get_mut(uuid) {
            Some(entry) => entry,
            // Recreated if it was evicted while the handler ran.
            None => state.entry(uuid, now, self.bounds),
        };
        if !entry.done.iter().any(|done| done == handler) {
            entry.done.push(handler.to_owned());
            state.bytes += handler.len() + DONE_OVERHEAD;
            state.make_room(self.bounds, 0, now);
        }
    }

    fn release_now(&self, uuid: &str, token: &ClaimToken) {
        let mut state = self.lock();
        if let Some(entry) = state.entries.get_mut(uuid)
            && entry.lease_of(token).is_some()
        {
            entry.lease = None;
        }
    }

    /// Marks `token`'s claim as kept alive by its running delivery.
    fn set_alive(&self, uuid: &str, token: &ClaimToken) {
        let mut state = self.lock();
        if let Some(lease) = state
            .entries
            .get_mut(uuid)
            .and_then(|entry| entry.lease_of(token))
        {
            lease.expires = None;
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl State {
    /// The entry for `uuid`, created (making room first) if there is none.
    fn entry(&mut self, uuid: &str, now: Instant, bounds: Bounds) -> &mut Entry {
        let key = match self.entries.get_key_value(uuid) {
            Some((key, _)) => Arc::clone(key),
            None => {
                let cost = ENTRY_OVERHEAD + uuid.len();
                self.make_room(bounds, cost, now);
                let key: Arc<str> = Arc::from(uuid);
                self.order.push_back((now, Arc::clone(&key)));
                self.bytes += cost;
                key
            }
        };
        self.entries.entry(key).or_insert_with(|| Entry {
            created: now,
            done: Vec::new(),
            lease: None,
        })
    }

    /// Drops entries older than `retention`.
    fn expire(&mut self, now: Instant, retention: Duration) {
        self.drop_oldest_while(now, |_, created| now.duration_since(created) >= retention);
    }

    /// Evicts the oldest entries until `incoming` more bytes, and one more entry when
    /// `incoming` is not 0, fit within `bounds`.
    fn make_room(&mut self, bounds: Bounds, incoming: usize, now: Instant) {
        let max_entries = bounds.entries.saturating_sub(usize::from(incoming > 0));
        let max_bytes = bounds.bytes.saturating_sub(incoming);
        self.drop_oldest_while(now, |state, _| {
            state.entries.len() > max_entries || state.bytes > max_bytes
        });
    }

    /// Drops the oldest entries while `more(state, created)` holds for the oldest, except
    /// those claimed by a running delivery: forgetting those would let a duplicate run the
    /// same handlers at the same time. They keep their place, so the map may exceed its
    /// bound by the number of deliveries in flight.
    fn drop_oldest_while(&mut self, now: Instant, more: impl Fn(&State, Instant) -> bool) {
        let mut claimed = Vec::new();
        while let Some(&(created, _)) = self.order.front()
            && more(self, created)
        {
            let Some((created, uuid)) = self.order.pop_front() else {
                break;
            };
            match self.entries.get(&uuid) {
                // A slot left by an entry that was removed and created again: skip it.
                Some(entry) if entry.created != created => {}
                Some(entry) if entry.is_claimed(now) => claimed.push((created, uuid)),
                Some(_) => {
                    if let Some(entry) = self.entries.remove(&uuid) {
                        self.bytes = self.bytes.saturating_sub(entry.cost(&uuid));
                    }
                }
                None => {}
            }
        }
        for slot in claimed.into_iter().rev() {
            self.order.push_front(slot);
        }
    }
}

/// Holds a [`MemoryStore`] claim alive until dropped, then releases it: the handlers are
/// done, or their delivery was cancelled and they no longer run. (A process that dies takes
/// the memory store with it, so no timer is needed.)
struct KeptAlive<'a> {
    store: &'a MemoryStore,
    uuid: &'a str,
    token: &'a ClaimToken,
}

impl Future for KeptAlive<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for KeptAlive<'_> {
    fn drop(&mut self) {
        self.store.release_now(self.uuid, self.token);
    }
}

impl IdempotencyStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(ready(Ok(self.claim_now(uuid, lease, &[]))))
    }

    fn claim_unless_done<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
        handlers: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(ready(Ok(self.claim_now(uuid, lease, handlers))))
    }

    fn mark_done<'a>(
        &'a self,
        uuid: &'a str,
        handler: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.mark_done_now(uuid, handler);
        Box::pin(ready(Ok(())))
    }

    fn release<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.release_now(uuid, token);
        Box::pin(ready(Ok(())))
    }

    fn keep_alive<'a>(
        &'a self,
        uuid: &'a str,
        token: &'a ClaimToken,
        _lease: Duration,
    ) -> Option<BoxFuture<'a, ()>> {
        self.set_alive(uuid, token);
        Some(Box::pin(KeptAlive {
            store: self,
            uuid,
            token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(60);

    fn acquired(claim: Claim) -> (ClaimToken, Vec<String>) {
        match claim {
            Claim::Acquired { token, done } => (token, done),
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    #[test]
    fn claims_exclude_each_other_until_released_or_expired() {
        let store = MemoryStore::new();
        let (token, done) = acquired(store.claim_now("u", LEASE, &[]));
        assert!(done.is_empty());
        assert_eq!(store.claim_now("u", LEASE, &[]), Claim::InProgress);
        store.mark_done_now("u", "a::h");
        // A stale token does not release the claim.
        store.release_now("u", &ClaimToken::new("other"));
        assert_eq!(store.claim_now("u", LEASE, &[]), Claim::InProgress);
        store.release_now("u", &token);
        let (_, done) = acquired(store.claim_now("u", Duration::from_millis(1), &[]));
        assert_eq!(done, ["a::h"]);
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            matches!(store.claim_now("u", LEASE, &[]), Claim::Acquired { .. }),
            "an expired lease is free"
        );
    }

    #[test]
    fn a_uuid_whose_handlers_are_all_done_is_not_claimed() {
        let store = MemoryStore::new();
        let (token, _) = acquired(store.claim_now("u", LEASE, &["a::h", "b::h"]));
        store.mark_done_now("u", "a::h");
        // Held, with `b::h` still to run: a duplicate waits (409).
        assert_eq!(
            store.claim_now("u", LEASE, &["a::h", "b::h"]),
            Claim::InProgress
        );
        // Nothing left to run for a delivery that only has `a::h`: no claim needed.
        assert_eq!(store.claim_now("u", LEASE, &["a::h"]), Claim::AllDone);
        store.mark_done_now("u", "b::h");
        store.release_now("u", &token);
        assert_eq!(
            store.claim_now("u", LEASE, &["a::h", "b::h"]),
            Claim::AllDone
        );
        // A handler added since (a new deploy) still runs: claimed, with what is done.
        let (_, done) = acquired(store.claim_now("u", LEASE, &["a::h", "c::h"]));
        assert_eq!(done, ["a::h", "b::h"]);
    }

    #[test]
    fn bounded_under_a_flood_of_distinct_uuids() {
        let store = MemoryStore::new().with_max_entries(1000);
        for i in 0..10_000 {
            let (token, _) = acquired(store.claim_now(&format!("uuid-{i}"), LEASE, &[]));
            store.mark_done_now(&format!("uuid-{i}"), "h");
            store.release_now(&format!("uuid-{i}"), &token);
        }
        assert_eq!(store.len(), 1000);
        assert!(store.lock().order.len() <= 1000);
        // The newest are remembered, the oldest forgotten.
        assert_eq!(acquired(store.claim_now("uuid-9999", LEASE, &[])).1, ["h"]);
        assert!(acquired(store.claim_now("uuid-0", LEASE, &[])).1.is_empty());
    }

    /// Issue 11: 100 uuids of 500 KB each used to take 41 MB under the entry bound alone.
    #[test]
    fn bounded_in_bytes_under_a_flood_of_huge_uuids() {
        let store = MemoryStore::new().with_max_bytes(2 * 1024 * 1024);
        for i in 0..100 {
            let uuid = format!("{i:03}{}", "x".repeat(500 * 1024));
            let (token, _) = acquired(store.claim_now(&uuid, LEASE, &[]));
            store.mark_done_now(&uuid, "h");
            store.release_now(&uuid, &token);
            assert!(store.bytes() <= 2 * 1024 * 1024, "{} bytes", store.bytes());
        }
        assert_eq!(store.len(), 4, "four 500 KB records fit in 2 MiB, not five");
        // A sibling: many small records with long handler keys are counted too.
        let store = MemoryStore::new().with_max_bytes(64 * 1024);
        for i in 0..1000 {
            let uuid = format!("u-{i}");
            let (token, _) = acquired(store.claim_now(&uuid, LEASE, &[]));
            store.mark_done_now(&uuid, &"my_app::handlers::".repeat(20));
            store.release_now(&uuid, &token);
        }
        assert!(store.bytes() <= 64 * 1024 && store.len() < 1000);
        // Forgetting everything brings the count back to zero.
        let store = MemoryStore::new().with_retention(Duration::ZERO);
        let (token, _) = acquired(store.claim_now("gone", LEASE, &[]));
        store.mark_done_now("gone", "h");
        store.release_now("gone", &token);
        store.lock().expire(Instant::now(), Duration::ZERO);
        assert_eq!((store.len(), store.bytes()), (0, 0));
    }

    #[test]
    fn claimed_uuids_are_never_evicted() {
        let store = MemoryStore::new().with_max_entries(3);
        let (token, _) = acquired(store.claim_now("held", LEASE, &[]));
        for i in 0..10 {
            let uuid = format!("other-{i}");
            let (other, _) = acquired(store.claim_now(&uuid, LEASE, &[]));
            store.release_now(&uuid, &other);
        }
        assert_eq!(store.claim_now("held", LEASE, &[]), Claim::InProgress);
        assert!(store.len() <= 4, "bounded, plus the one claim in flight");
        store.release_now("held", &token);
        store.claim_now("new-1", LEASE, &[]);
        store.claim_now("new-2", LEASE, &[]);
        store.claim_now("new-3", LEASE, &[]);
        assert_eq!(store.len(), 3, "released, it is evicted like any other");
    }

    #[test]
    fn a_lease_too_long_to_represent_never_runs_out() {
        let store = MemoryStore::new();
        let (token, _) = acquired(store.claim_now("u", Duration::MAX, &[]));
        assert_eq!(store.claim_now("u", LEASE, &[]), Claim::InProgress);
        store.release_now("u", &token);
        assert!(matches!(
            store.claim_now("u", LEASE, &[]),
            Claim::Acquired { .. }
        ));
    }

    #[test]
    fn a_kept_alive_claim_outlives_its_lease_and_ends_when_dropped() {
        let store = MemoryStore::new();
        let (token, _) = acquired(store.claim_now("u", Duration::from_millis(1), &[]));
        let alive = store.keep_alive("u", &token, Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(store.claim_now("u", LEASE, &[]), Claim::InProgress);
        drop(alive);
        assert!(matches!(
            store.claim_now("u", LEASE, &[]),
            Claim::Acquired { .. }
        ));
    }

    #[test]
    fn records_expire_after_the_retention() {
        let store = MemoryStore::new().with_retention(Duration::from_millis(20));
        let (token, _) = acquired(store.claim_now("u", LEASE, &[]));
        store.mark_done_now("u", "h");
        store.release_now("u", &token);
        std::thread::sleep(Duration::from_millis(30));
        assert!(acquired(store.claim_now("other", LEASE, &[])).1.is_empty());
        assert_eq!(store.len(), 1, "the expired entry is gone");
    }
}
