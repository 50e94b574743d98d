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

/// The sample body of event type `E` as if Postal queued it just now: a uuid no other
/// call returns (so that the dispatcher's deduplication runs its handlers each time), and
/// the current time as the envelope `timestamp` (so that it is inside any
/// [replay window](crate::Receiver::with_replay_window)); with that uuid.
///
/// ```
/// use postal_hooks::events::MessageSent;
/// use postal_hooks::{Envelope, testing};
/// use std::time::{Duration, SystemTime};
///
/// let (first, uuid) = testing::fresh_sample::<MessageSent>();
/// let (second, other) = testing::fresh_sample::<MessageSent>();
/// assert_ne!(uuid, other);
/// let envelope = Envelope::parse(&first).unwrap();
/// assert_eq!(envelope.uuid(), uuid);
/// let queued = envelope.timestamp().to_system_time().unwrap();
/// assert!(SystemTime::now().duration_since(queued).unwrap() < Duration::from_secs(60));
/// # let _ = second;
/// ```
pub fn fresh_sample<E: EventType>() -> (Vec<u8>, String) {
    fresh(sample(E::NAME).unwrap_or_default())
}

/// `body` (a Postal webhook body, such as one of [`SAMPLES`](super::SAMPLES)) as if Postal
/// queued it just now: a uuid no other call returns, and the current time as the envelope
/// `timestamp`; with that uuid. The rest of the bytes are kept as they are (a body that
/// is not a Postal webhook keeps its own uuid, if any; one whose keys are not in Postal's
/// order, `event` then `timestamp` before `payload`, keeps its timestamp).
///
/// ```
/// use postal_hooks::{Envelope, testing};
///
/// for (name, captured) in testing::SAMPLES {
///     let (body, uuid) = testing::fresh(captured);
///     let envelope = Envelope::parse(&body).unwrap();
///     assert_eq!((envelope.event().name(), envelope.uuid()), (name, uuid.as_str()));
/// }
/// ```
pub fn fresh(body: &[u8]) -> (Vec<u8>, String) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let uuid = format!(
        "test-{:x}-{:x}-{}",
        std::process::id(),
        now.subsec_nanos(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let old_uuid = Envelope::parse(body)
        .ok()
        .map(|envelope| envelope.uuid().to_owned());
    let mut text = String::from_utf8_lossy(body).into_owned();
    if let Some(old) = old_uuid {
        text = text.replace(
            &format!("\"uuid\":\"{old}\""),
            &format!("\"uuid\":\"{uuid}\""),
        );
    }
    // In Postal's order (event, timestamp, payload, uuid) the first `"timestamp":` is the
    // envelope's; a body in another order (keys sorted by a tool) keeps its timestamp.
    let key = "\"timestamp\":";
    let before_payload = |at: usize| text.find("\"payload\":").is_none_or(|payload| at < payload);
    if text.starts_with("{\"event\":")
        && let Some(start) = text
            .find(key)
            .filter(|at| before_payload(*at))
            .map(|at| at + key.len())
        && let Some(length) = text.get(start..).and_then(|rest| rest.find(','))
    {
        text.replace_range(start..start + length, &format!("{:.6}", now.as_secs_f64()));
    }
    (text.into_bytes(), uuid)
}
