//! The send-limit events and their shared [`SendLimit`] payload.

use serde::{Deserialize, Serialize};

use super::Server;
use super::newtype::shared_payload_event;

/// The payload shared by [`SendLimitApproaching`] and [`SendLimitExceeded`].
///
/// ```
/// use postal_hooks::{Envelope, events::{SendLimit, SendLimitApproaching}};
///
/// fn percent_used(limit: &SendLimit) -> Option<u64> {
///     limit.limit.and_then(|max| (limit.volume * 100).checked_div(max))
/// }
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/SendLimitApproaching.json"));
/// let envelope = Envelope::parse(body)?;
/// let approaching: &SendLimitApproaching = envelope.event().get().expect("a SendLimitApproaching");
/// assert_eq!(approaching.server.permalink, "acme-transactional");
/// assert_eq!(percent_used(approaching), Some(90)); // both events deref to `SendLimit`
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SendLimit {
    /// The server whose limit is concerned.
    pub server: Server,
    /// Outgoing messages in the last 60 minutes, counted when the webhook was queued.
    pub volume: u64,
    /// The server's send limit (messages per hour); `None` if it was removed meanwhile.
    pub limit: Option<u64>,
}

shared_payload_event! {
    /// `SendLimitApproaching`: the server has used 90 % of its hourly send limit.
    ///
    /// Postal's UI cannot select this event; it reaches "all events" webhooks only.
    SendLimitApproaching(SendLimit)
}

shared_payload_event! {
    /// `SendLimitExceeded`: the server has reached its hourly send limit.
    ///
    /// Postal's UI cannot select this event; it reaches "all events" webhooks only.
    SendLimitExceeded(SendLimit)
}
