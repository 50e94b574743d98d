//! [`InboxSettings`]: how long deliveries are retried, how fast, by how many workers, and
//! how large the inbox may grow.

use std::time::Duration;

pub use crate::config::{
    DEFAULT_INBOX_LEASE as DEFAULT_LEASE, DEFAULT_RETRY_BACKOFF, DEFAULT_RETRY_MAX_AGE,
    DEFAULT_WORKERS,
};
use crate::dedupe::DEFAULT_RETENTION;

/// The longest retry delay: 10 minutes. The delay doubles per attempt up to this.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(10 * 60);
/// The most deliveries kept, pending and dead-lettered together: 100 000.
pub const DEFAULT_MAX_ENTRIES: u64 = 100_000;
/// The most body bytes kept, pending and dead-lettered together: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// The Redis inbox's key prefix by default.
pub const DEFAULT_KEY_PREFIX: &str = "postal-hooks:inbox";

/// An inbox's settings. Start from [`InboxSettings::default`] and change what you need.
///
/// ```
/// use postal_hooks::inbox::InboxSettings;
/// use std::time::Duration;
///
/// let settings = InboxSettings::default()
///     .retry_backoff(Duration::from_millis(200)) // 200 ms, 400 ms, 800 ms, … up to 10 min
///     .retry_max_age(Duration::from_secs(24 * 60 * 60)) // then dead-lettered
///     .workers(4);
/// assert_eq!(settings.get_workers(), 4);
/// // Retry 3 waits about 200 ms × 2² = 800 ms, give or take the jitter (±25 %).
/// let delay = settings.backoff_for(3);
/// assert!(delay >= Duration::from_millis(600) && delay <= Duration::from_millis(1000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSettings {
    pub(crate) retry_backoff: Duration,
    pub(crate) retry_max_age: Duration,
    pub(crate) workers: usize,
    pub(crate) lease: Duration,
    pub(crate) max_entries: u64,
    pub(crate) max_bytes: u64,
    pub(crate) key_prefix: String,
    pub(crate) done_retention: Duration,
}

impl Default for InboxSettings {
    fn default() -> Self {
        InboxSettings {
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            retry_max_age: DEFAULT_RETRY_MAX_AGE,
            workers: DEFAULT_WORKERS,
            lease: DEFAULT_LEASE,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            done_retention: DEFAULT_RETENTION,
        }
    }
}

impl InboxSettings {
    /// The first retry delay; it doubles per attempt, with ±25 % jitter, up to
    /// [`MAX_RETRY_BACKOFF`]. Zero is taken as 1 ms.
    #[must_use]
    pub fn retry_backoff(mut self, first: Duration) -> Self {
        self.retry_backoff = first.max(Duration::from_millis(1));
        self
    }

    /// How long after it was received (or revived from the dead letters) a delivery is
    /// still retried; a failure after that dead-letters it.
    #[must_use]
    pub fn retry_max_age(mut self, age: Duration) -> Self {
        self.retry_max_age = age;
        self
    }

    /// How many deliveries run at once in this process (at least 1).
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// How long a worker holds a delivery, and its uuid's claim, without renewing them
    /// (at least 100 ms). A worker that dies leaves its delivery to another after this.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(100));
        self
    }

    /// The most deliveries kept (pending and dead-lettered); a delivery past it is
    /// answered 503, and Postal retries it later.
    #[must_use]
    pub fn max_entries(mut self, entries: u64) -> Self {
        self.max_entries = entries;
        self
    }

    /// The most body bytes kept (pending and dead-lettered); as
    /// [`max_entries`](Self::max_entries), 503 past it. Keep it well above the receiver's
    /// body limit (1 MiB by default): a body larger than this is refused until it is
    /// raised.
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// The Redis inbox's key prefix (default [`DEFAULT_KEY_PREFIX`]): receivers that share
    /// a Redis but not their handlers each need their own. Unused by the embedded inbox.
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How long a handled delivery's uuid is remembered after it finished (default 12
    /// hours, [`DEFAULT_RETENTION`]), so that a Postal retry or a replay of it runs
    /// nothing again. Keep it at least the receiver's
    /// [replay window](crate::Receiver::with_replay_window).
    #[must_use]
    pub fn done_retention(mut self, retention: Duration) -> Self {
        self.done_retention = retention;
        self
    }

    /// How long a handled delivery's uuid is remembered.
    pub fn get_done_retention(&self) -> Duration {
        self.done_retention
    }

    /// The first retry delay.
    pub fn get_retry_backoff(&self) -> Duration {
        self.retry_backoff
    }

    /// How long a delivery is retried.
    pub fn get_retry_max_age(&self) -> Duration {
        self.retry_max_age
    }

    /// The number of workers.
    pub fn get_workers(&self) -> usize {
        self.workers
    }

    /// The lease.
    pub fn get_lease(&self) -> Duration {
        self.lease
    }

    /// The bounds: (entries, bytes).
    pub fn get_limits(&self) -> (u64, u64) {
        (self.max_entries, self.max_bytes)
    }

    /// The delay before retry number `attempt` (1 for the first retry): the first delay
    /// doubled `attempt - 1` times, capped at [`MAX_RETRY_BACKOFF`], then scaled by a
    /// random factor in 0.75..=1.25, so that deliveries failed together do not all come
    /// back together.
    pub fn backoff_for(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let base = self
            .retry_backoff
            .saturating_mul(1u32 << doublings)
            .min(MAX_RETRY_BACKOFF);
        base.mul_f64(0.75 + fastrand::f64() * 0.5)
    }
}
