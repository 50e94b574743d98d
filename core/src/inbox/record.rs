//! What the inbox keeps: a delivery being worked on ([`Job`]), a dead letter and its
//! errors, and counts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::parse::Envelope;

/// A delivery to store: the verified, parsed envelope, and the raw body it came from.
pub(crate) struct NewDelivery<'a> {
    pub(crate) envelope: Envelope,
    pub(crate) body: &'a [u8],
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pushed {
    /// Stored: a worker will run its handlers.
    Queued,
    /// A delivery with this uuid is already in the inbox (Postal retried before it saw our
    /// answer): nothing stored twice.
    AlreadyQueued,
}

/// A delivery a worker holds under a lease.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The backend's id: the row id, or the stream entry id.
    pub(crate) id: String,
    pub(crate) uuid: String,
    pub(crate) body: Vec<u8>,
    /// Attempts made before this one.
    pub(crate) attempts: u32,
    /// When the retry clock started (received, or revived from the dead letters), ms.
    pub(crate) since_ms: u64,
    /// Why the record cannot be dispatched, when it is damaged.
    pub(crate) damaged: Option<String>,
    /// The envelope parsed from `body` already, when the delivery was handed to a worker
    /// straight from the request that stored it.
    pub(crate) envelope: Option<Envelope>,
}

/// What a worker got from the inbox.
pub(crate) enum Taken {
    Job(Box<Job>),
    /// Nothing due now; the next is due in this long (at most the poll interval).
    Idle(Duration),
}

/// One handler's last error on a delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HandlerFailure {
    /// The handler's name ([`HandlerInfo::name`](crate::HandlerInfo::name)).
    pub handler: String,
    /// Its error or panic message.
    pub error: String,
}

/// A delivery that failed past the maximum age, or could not be read: kept with its last
/// errors until it is retried or discarded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The envelope's uuid.
    pub uuid: String,
    /// The event name.
    pub event: String,
    /// When it was received.
    pub received_at: SystemTime,
    /// When it was dead-lettered.
    pub dead_at: SystemTime,
    /// Attempts made.
    pub attempts: u32,
    /// Why: `failed for <N>s, past the maximum age of <M>s`, or, for a record that cannot
    /// be read, `unreadable record: …` and what is wrong with it.
    pub reason: String,
    /// Each failing handler's last error.
    pub errors: Vec<HandlerFailure>,
}

/// Where a kept delivery stands, for its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "inspector"), allow(dead_code))]
pub(crate) enum HistoryState {
    /// Waiting for its first run.
    Queued,
    /// Handled: every handler succeeded.
    Done,
    /// Failed; retried later.
    Retrying,
    /// Dead-lettered.
    Dead,
}

/// One delivery the inbox keeps, with its latest run: what the inspector lists.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "inspector"), allow(dead_code))]
pub(crate) struct HistoryRow {
    pub(crate) uuid: String,
    pub(crate) event: String,
    pub(crate) received_ms: u64,
    pub(crate) attempts: u32,
    pub(crate) state: HistoryState,
    /// The latest run's handlers, as JSON (`[]` before the first run).
    pub(crate) runs: String,
}

/// How full the inbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct InboxStats {
    /// Deliveries waiting for, or running, their handlers (retries included).
    pub pending: u64,
    /// Dead-lettered deliveries.
    pub dead_letters: u64,
    /// Body bytes kept, pending and dead-lettered.
    pub bytes: u64,
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// A time from milliseconds since the Unix epoch.
pub(crate) fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// A duration in whole milliseconds, for storage.
pub(crate) fn to_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
