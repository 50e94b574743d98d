//! The envelope's `uuid`, checked before anything keys on it.
//!
//! Postal sends a lowercase hyphenated UUID v4 (`SPEC.md`, "Envelope";
//! `app/models/webhook_request.rb`). Deduplication, logs and metrics key on it, so an id
//! that would break them is refused here, with a 400: an empty one (every such delivery
//! would share one record), a long one (memory), or one with characters that break a log
//! line. The rule is wider than Postal's format so that ids from test tools still pass.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The longest uuid accepted, in bytes. Postal's are 36.
pub(crate) const MAX_UUID_BYTES: usize = 64;

/// A uuid that passed the check.
pub(crate) struct EnvelopeUuid(pub(crate) String);

impl<'de> Deserialize<'de> for EnvelopeUuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(UuidVisitor)
    }
}

struct UuidVisitor;

impl Visitor<'_> for UuidVisitor {
    type Value = EnvelopeUuid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a uuid such as \"5f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9\"")
    }

    fn visit_str<E: de::Error>(self, uuid: &str) -> Result<EnvelopeUuid, E> {
        check(uuid).map_err(E::custom)?;
        Ok(EnvelopeUuid(uuid.to_owned()))
    }
}

/// Why `uuid` is refused, without quoting it (it may be huge, or break the log line).
fn check(uuid: &str) -> Result<(), String> {
    const RULE: &str = "an envelope uuid is 1 to 64 letters, digits, `-`, `_`, `.` or `:` \
                        (Postal sends a lowercase hyphenated UUID)";
    if uuid.is_empty() {
        return Err(format!("empty uuid: {RULE}"));
    }
    if uuid.len() > MAX_UUID_BYTES {
        return Err(format!("uuid of {} bytes: {RULE}", uuid.len()));
    }
    match uuid
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        Some((at, c)) => Err(format!("uuid has {c:?} at byte {at}: {RULE}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_postal_uuids_and_test_ids_and_refuses_what_breaks_dedupe_or_logs() {
        for good in [
            "5f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
            "5F3C2B1A-9D8E-4F7A-B6C5-D4E3F2A1B0C9",
            "t-sent",
            "ok-1234-7",
            "test:lease:1",
            &"a".repeat(64),
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("", "empty uuid"),
            (&"a".repeat(65) as &str, "uuid of 65 bytes"),
            ("abc def", "uuid has ' ' at byte 3"),
            ("abc\ninjected log line", "uuid has '\\n' at byte 3"),
            ("ü", "uuid has 'ü' at byte 0"),
            ("a/b", "uuid has '/' at byte 1"),
        ] {
            let error = check(bad).unwrap_err();
            assert!(error.starts_with(says), "{bad:?}: {error}");
            assert!(error.contains("Postal sends a lowercase hyphenated UUID"));
        }
    }
}
