//! Typed samples: Postal's sample body of an event type, parsed, or with a fresh uuid.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::sample;
use crate::events::EventType;
use crate::parse::Envelope;

/// The sample payload of event type `E`, parsed: for unit tests that call a handler
/// directly.
///
/// ```
/// use postal_hooks::events::MessageBounced;
/// use postal_hooks::testing;
///
/// let bounce: MessageBounced = testing::sample_event();
/// assert_eq!(bounce.original_message.to.as_deref(), Some("jane.doe@example.net"));
/// ```
pub fn sample_event<E: EventType>() -> E {
    let parsed = sample(E::NAME).and_then(|body| Envelope::parse(body).ok());
    match parsed
        .as_ref()
        .and_then(|envelope| envelope.event().get::<E>())
    {
        Some(event) => event.clone(),
        // Every event type has a sample that parses: `tests/testing_helpers.rs` checks all
        // ten. Unreachable, and test support only.
        #[allow(clippy::panic)]
        None => panic!("the embedded {} sample does not parse", E::NAME),
    }
}

/// The sample body of event type `E` with a uuid no other call returns (so that the
/// dispatcher's deduplication runs its handlers each time), and that uuid.
///
/// ```
/// use postal_hooks::events::MessageSent;
/// use postal_hooks::testing;
///
/// let (first, uuid) = testing::fresh_sample::<MessageSent>();
/// let (second, other) = testing::fresh_sample::<MessageSent>();
/// assert_ne!(uuid, other);
/// assert!(String::from_utf8(first).unwrap().contains(&uuid));
/// # let _ = second;
/// ```
pub fn fresh_sample<E: EventType>() -> (Vec<u8>, String) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let body = sample(E::NAME).unwrap_or_default();
    let text = String::from_utf8_lossy(body);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let uuid = format!(
        "test-{:x}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let old = Envelope::parse(body)
        .map(|envelope| envelope.uuid().to_owned())
        .unwrap_or_default();
    let fresh = text.replace(
        &format!("\"uuid\":\"{old}\""),
        &format!("\"uuid\":\"{uuid}\""),
    );
    (fresh.into_bytes(), uuid)
}
