//! The replay window: a verified delivery whose signed envelope `timestamp` is older than
//! the window is refused. Postal signs the body only (no timestamp header, no nonce: SPEC
//! §3.5), so a captured request verifies forever; deduplication on `uuid` stops a replay
//! only while its record is kept. The window closes that gap.

use std::time::{Duration, SystemTime};

use super::error::ReceiveError;
use crate::parse::Envelope;

/// How old a delivery's signed envelope `timestamp` may be by default: 12 hours.
///
/// Postal's `timestamp` is when the webhook request was queued, and it is the same on every
/// retry (SPEC §2, §4). Its six attempts span about 36 minutes, plus polling and timeouts;
/// a backlogged Postal worker queue delays them further. 12 hours leaves more than 11 hours
/// of backlog on top of the full retry span: a delayed but genuine delivery inside the
/// window is never refused. One that Postal could not send for longer (its queue stalled
/// for over 11 hours) is refused, and gone after Postal's 6 attempts: raise the window if
/// Postal's queue may stall that long. The dedupe retention ([`DEFAULT_RETENTION`](crate::dedupe::DEFAULT_RETENTION))
/// is the same 12 hours: a replay inside the window meets its uuid's record, one outside
/// it meets the window.
///
/// ```
/// use postal_hooks::{DEFAULT_REPLAY_WINDOW, Dispatcher, Receiver, Verifier};
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
/// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
/// assert_eq!(receiver.replay_window(), Some(DEFAULT_REPLAY_WINDOW));
/// assert_eq!(DEFAULT_REPLAY_WINDOW, Duration::from_secs(12 * 60 * 60));
/// // Replaying captured fixtures in a test: no window.
/// let receiver = receiver.with_replay_window(None);
/// assert_eq!(receiver.replay_window(), None);
/// # Ok(()) }
/// ```
pub const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(12 * 60 * 60);

/// `Ok` when the envelope's `timestamp` is at most `window` before `now`. A timestamp in
/// the future (a Postal clock ahead of ours) is accepted, by any amount: it is signed, so
/// only Postal's clock can have put it there. One that is not a time at all (beyond what
/// a `SystemTime` holds) is refused.
pub(super) fn check_window(
    window: Option<Duration>,
    envelope: &Envelope,
    now: SystemTime,
) -> Result<(), ReceiveError> {
    let Some(window) = window else {
        return Ok(());
    };
    let timestamp = envelope.timestamp();
    // `None` when not finite, or centuries away: not a time at all.
    let age = match timestamp.to_system_time() {
        Some(signed_at) => match now.duration_since(signed_at) {
            Ok(age) if age > window => Some(age),
            _ => return Ok(()),
        },
        None => None,
    };
    Err(ReceiveError::Stale {
        event: envelope.event().name().to_owned(),
        uuid: envelope.uuid().to_owned(),
        timestamp,
        age,
        window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn envelope(secs: f64) -> Envelope {
        let body =
            format!(r#"{{"event":"FutureEvent","timestamp":{secs},"payload":{{}},"uuid":"u-1"}}"#);
        Envelope::parse(body.as_bytes()).unwrap()
    }

    fn at(secs: f64) -> Result<(), ReceiveError> {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
        check_window(Some(Duration::from_secs(3600)), &envelope(secs), now)
    }

    #[test]
    fn inside_the_window_passes_and_past_it_is_stale() {
        assert!(at(NOW as f64).is_ok());
        assert!(at(NOW as f64 - 3600.0).is_ok(), "the edge is inside");
        assert!(at(NOW as f64 + 600.0).is_ok(), "a clock ahead of ours");
        let Err(ReceiveError::Stale {
            age,
            window,
            event,
            uuid,
            ..
        }) = at(NOW as f64 - 3600.5)
        else {
            panic!("past the window");
        };
        assert_eq!((event.as_str(), uuid.as_str()), ("FutureEvent", "u-1"));
        assert_eq!(age, Some(Duration::from_millis(3_600_500)));
        assert_eq!(window, Duration::from_secs(3600));
    }

    #[test]
    fn unreadable_timestamps_are_stale_and_no_window_accepts_all() {
        assert!(matches!(
            at(-1e300),
            Err(ReceiveError::Stale { age: None, .. })
        ));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
        assert!(check_window(None, &envelope(0.0), now).is_ok());
    }
}
