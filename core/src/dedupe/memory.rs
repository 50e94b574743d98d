//! [`MemoryStore`]: the embedded default, bounded in entries and in time.

use std::collections::{HashMap, VecDeque};
use std::future::ready;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{Claim, ClaimToken, DEFAULT_RETENTION, IdempotencyStore, StoreError};
use crate::handler::BoxFuture;

/// Records in this process's memory: right for a single instance. Bounded: at most
/// `max_entries` uuids, each kept for `retention` (1 hour by default, past Postal's ≈ 36
/// minutes of retries); under a flood of distinct uuids the oldest go first.
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
    max_entries: usize,
    retention: Duration,
}

/// The default bound on remembered uuids.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
struct State {
    /// Keyed by uuid; the key is shared with `order`, so a uuid is stored once.
    entries: HashMap<Arc<str>, Entry>,
    /// uuids in the order their entries were created, for expiry and eviction.
    order: VecDeque<(Instant, Arc<str>)>,
}

#[derive(Debug)]
struct Entry {
    created: Instant,
    done: Vec<String>,
    lease: Option<(ClaimToken, Instant)>,
}

impl MemoryStore {
    /// A store with the default bounds (100 000 uuids, 1 hour).
    pub fn new() -> Self {
        MemoryStore {
            state: Mutex::new(State::default()),
            next_token: AtomicU64::new(0),
            max_entries: DEFAULT_MAX_ENTRIES,
            retention: DEFAULT_RETENTION,
        }
    }

    /// Remembers at most `max` uuids (at least 1).
    #[must_use]
    pub fn with_max_entries(mut self, max: usize) -> Self {
        self.max_entries = max.max(1);
        self
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

    fn claim_now(&self, uuid: &str, lease: Duration) -> Claim {
        let now = Instant::now();
        let mut state = self.lock();
        state.expire(now, self.retention);
        let entry = state.entry(uuid, now, self.max_entries);
        if entry
            .lease
            .as_ref()
            .is_some_and(|(_, expires)| *expires > now)
        {
            return Claim::InProgress;
        }
        let token = ClaimToken::new(self.next_token.fetch_add(1, Ordering::Relaxed).to_string());
        entry.lease = Some((token.clone(), now + lease));
        Claim::Acquired {
            token,
            done: entry.done.clone(),
        }
    }

    fn mark_done_now(&self, uuid: &str, handler: &str) {
        let mut state = self.lock();
        let entry = match state.entries.get_mut(uuid) {
            Some(entry) => entry,
            // Recreated if it was evicted while the handler ran.
            None => state.entry(uuid, Instant::now(), self.max_entries),
        };
        if !entry.done.iter().any(|done| done == handler) {
            entry.done.push(handler.to_owned());
        }
    }

    fn release_now(&self, uuid: &str, token: &ClaimToken) {
        let mut state = self.lock();
        if let Some(entry) = state.entries.get_mut(uuid)
            && entry.lease.as_ref().is_some_and(|(held, _)| held == token)
        {
            entry.lease = None;
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
    fn entry(&mut self, uuid: &str, now: Instant, max_entries: usize) -> &mut Entry {
        let key = match self.entries.get_key_value(uuid) {
            Some((key, _)) => Arc::clone(key),
            None => {
                self.make_room(max_entries.saturating_sub(1));
                let key: Arc<str> = Arc::from(uuid);
                self.order.push_back((now, Arc::clone(&key)));
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
        while let Some((created, _)) = self.order.front() {
            if now.duration_since(*created) < retention {
                break;
            }
            self.pop_oldest();
        }
    }

    /// Evicts the oldest entries until at most `max` remain.
    fn make_room(&mut self, max: usize) {
        while self.entries.len() > max && !self.order.is_empty() {
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((created, uuid)) = self.order.pop_front()
            && self
                .entries
                .get(&uuid)
                .is_some_and(|entry| entry.created == created)
        {
            self.entries.remove(&uuid);
        }
    }
}

impl IdempotencyStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        uuid: &'a str,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(ready(Ok(self.claim_now(uuid, lease))))
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(60);

    fn acquired(claim: Claim) -> (ClaimToken, Vec<String>) {
        match claim {
            Claim::Acquired { token, done } => (token, done),
            Claim::InProgress => panic!("expected a claim"),
        }
    }

    #[test]
    fn claims_exclude_each_other_until_released_or_expired() {
        let store = MemoryStore::new();
        let (token, done) = acquired(store.claim_now("u", LEASE));
        assert!(done.is_empty());
        assert_eq!(store.claim_now("u", LEASE), Claim::InProgress);
        store.mark_done_now("u", "a::h");
        // A stale token does not release the claim.
        store.release_now("u", &ClaimToken("other".into()));
        assert_eq!(store.claim_now("u", LEASE), Claim::InProgress);
        store.release_now("u", &token);
        let (_, done) = acquired(store.claim_now("u", Duration::from_millis(1)));
        assert_eq!(done, ["a::h"]);
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            matches!(store.claim_now("u", LEASE), Claim::Acquired { .. }),
            "an expired lease is free"
        );
    }

    #[test]
    fn bounded_under_a_flood_of_distinct_uuids() {
        let store = MemoryStore::new().with_max_entries(1000);
        for i in 0..10_000 {
            let (token, _) = acquired(store.claim_now(&format!("uuid-{i}"), LEASE));
            store.mark_done_now(&format!("uuid-{i}"), "h");
            store.release_now(&format!("uuid-{i}"), &token);
        }
        assert_eq!(store.len(), 1000);
        assert!(store.lock().order.len() <= 1000);
        // The newest are remembered, the oldest forgotten.
        assert_eq!(acquired(store.claim_now("uuid-9999", LEASE)).1, ["h"]);
        assert!(acquired(store.claim_now("uuid-0", LEASE)).1.is_empty());
    }

    #[test]
    fn records_expire_after_the_retention() {
        let store = MemoryStore::new().with_retention(Duration::from_millis(20));
        let (token, _) = acquired(store.claim_now("u", LEASE));
        store.mark_done_now("u", "h");
        store.release_now("u", &token);
        std::thread::sleep(Duration::from_millis(30));
        assert!(acquired(store.claim_now("other", LEASE)).1.is_empty());
        assert_eq!(store.len(), 1, "the expired entry is gone");
    }
}
