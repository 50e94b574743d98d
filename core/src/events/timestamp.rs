//! [`Timestamp`]: Unix seconds with a fraction, kept exactly as Postal sent them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time as Postal writes it: Unix seconds with up to seven decimals
/// (`1714053601.9361272`).
///
/// The value is the exact `f64` Postal printed (Ruby prints the shortest text that
/// round-trips, and we parse it back exactly), so no precision is lost and serializing gives
/// the same number again. Use [`Timestamp::to_system_time`] to compare it with clocks.
///
/// ```
/// use postal_hooks::Timestamp;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let ts = Timestamp::from_secs_f64(1714053601.9361272);
/// assert_eq!(ts.as_secs_f64(), 1714053601.9361272);
/// let when = ts.to_system_time().expect("in range");
/// assert_eq!(when.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1714053601);
/// # let _ = Duration::ZERO;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(f64);

impl Timestamp {
    /// Wraps Unix seconds.
    pub const fn from_secs_f64(secs: f64) -> Self {
        Self(secs)
    }

    /// The Unix seconds exactly as received.
    pub const fn as_secs_f64(self) -> f64 {
        self.0
    }

    /// The same instant as a [`SystemTime`], with sub-microsecond precision.
    ///
    /// Returns `None` only for values a `SystemTime` cannot hold (not finite, or centuries out
    /// of range); a Postal timestamp never is. `0.0` (Postal's "unset") maps to the epoch.
    pub fn to_system_time(self) -> Option<SystemTime> {
        if self.0 >= 0.0 {
            UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(self.0).ok()?)
        } else {
            UNIX_EPOCH.checked_sub(Duration::try_from_secs_f64(-self.0).ok()?)
        }
    }
}

impl From<f64> for Timestamp {
    fn from(secs: f64) -> Self {
        Self(secs)
    }
}

impl From<Timestamp> for f64 {
    fn from(ts: Timestamp) -> Self {
        ts.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_sides_of_the_epoch() {
        let after = Timestamp::from_secs_f64(1.5).to_system_time().unwrap();
        assert_eq!(
            after.duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_millis(1500)
        );
        let before = Timestamp::from_secs_f64(-2.0).to_system_time().unwrap();
        assert_eq!(
            UNIX_EPOCH.duration_since(before).unwrap(),
            Duration::from_secs(2)
        );
        assert_eq!(Timestamp::default().to_system_time(), Some(UNIX_EPOCH));
    }

    #[test]
    fn out_of_range_is_none_not_a_panic() {
        assert_eq!(Timestamp::from_secs_f64(f64::NAN).to_system_time(), None);
        assert_eq!(
            Timestamp::from_secs_f64(f64::INFINITY).to_system_time(),
            None
        );
        assert_eq!(Timestamp::from_secs_f64(1e300).to_system_time(), None);
    }
}
