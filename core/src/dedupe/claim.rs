//! [`Claim`] and [`ClaimToken`]: a delivery's hold on its uuid while its handlers run.

/// The answer to [`IdempotencyStore::claim`](super::IdempotencyStore::claim) and
/// [`claim_unless_done`](super::IdempotencyStore::claim_unless_done). Match it with a
/// wildcard arm: a variant may be added.
///
/// ```
/// use postal_hooks::dedupe::{Claim, DEFAULT_LEASE, IdempotencyStore, MemoryStore, StoreError};
///
/// # async fn demo() -> Result<(), StoreError> {
/// let store = MemoryStore::new();
/// let Claim::Acquired { token, done } = store.claim("7c4a2e96", DEFAULT_LEASE).await? else {
///     unreachable!("nobody holds a new uuid");
/// };
/// assert!(done.is_empty()); // no handler has succeeded for this uuid yet
/// assert_eq!(store.claim("7c4a2e96", DEFAULT_LEASE).await?, Claim::InProgress); // answered 409
/// store.release("7c4a2e96", &token).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// This delivery holds the uuid; `done` lists the handlers that already succeeded.
    Acquired {
        /// Identifies this claim, to release it.
        token: ClaimToken,
        /// Keys of the handlers recorded as done.
        done: Vec<String>,
    },
    /// Another delivery holds a live claim on the uuid.
    InProgress,
    /// Every handler asked about in
    /// [`claim_unless_done`](super::IdempotencyStore::claim_unless_done) is already done
    /// for this uuid: nothing is left to run, so no claim was taken and there is nothing
    /// to release. (A retry of a fully handled delivery.)
    AllDone,
}

/// A claim's identity: unique, so a late release cannot end someone else's claim.
///
/// ```
/// use postal_hooks::dedupe::ClaimToken;
///
/// // A store hands one out with each `Claim::Acquired`; `release` ends only the claim it names.
/// assert_ne!(ClaimToken::random(), ClaimToken::random());
/// let token = ClaimToken::new("worker-1:42");
/// assert_eq!(token.as_str(), "worker-1:42");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// A fresh token, unlike any other: 128 random bits drawn once per process (from the
    /// system's RNG; should it fail, the process id and the clock), the process id (a
    /// forked child keeps its parent's bits), then a counter. Drawn for every claim a store
    /// takes, so it costs no random draw after the first.
    pub fn random() -> Self {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        static PROCESS: OnceLock<String> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let process = PROCESS.get_or_init(|| {
            let mut bytes = [0u8; 16];
            if crate::crypto::fill_random(&mut bytes) {
                crate::crypto::hex(&bytes)
            } else {
                fallback_prefix()
            }
        });
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        ClaimToken(format!("{process}-{}-{count:x}", std::process::id()))
    }

    /// A token from a caller-chosen text (e.g. a per-process counter, for a store that
    /// lives in one process).
    pub fn new(text: impl Into<String>) -> Self {
        ClaimToken(text.into())
    }

    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The process's part of a token when the system's RNG fails: its id and the clock, to
/// the nanosecond.
fn fallback_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{}-{nanos}", std::process::id())
}
