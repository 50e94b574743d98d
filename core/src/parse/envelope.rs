//! [`Envelope`]: the request body Postal sends, parsed in one pass.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::error::ParseError;
use super::misdirected;
use super::payload::PayloadSeed;
use super::uuid::EnvelopeUuid;
use crate::events::{Event, Timestamp};

/// One webhook request body: `{"event":…,"timestamp":…,"payload":{…},"uuid":…}`.
///
/// Postal sends exactly one event per request. The `uuid` identifies the queued request and
/// stays the same on every retry, so it is the key to deduplicate on; `timestamp` is when the
/// request was queued (about when the event happened), also the same on every retry.
///
/// Serializing an `Envelope` writes the four keys back in Postal's order.
///
/// ```
/// use postal_hooks::{Envelope, events::MessageSent};
///
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageSent.json"));
/// let envelope = Envelope::parse(body)?;
/// assert_eq!(envelope.uuid(), "0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20"); // the same on every retry
/// assert_eq!(envelope.event().name(), "MessageSent");
/// let sent = envelope.event().get::<MessageSent>().expect("a MessageSent");
/// assert_eq!(sent.message.to.as_deref(), Some("jane.doe@example.net"));
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    event: Event,
    timestamp: Timestamp,
    uuid: String,
}

impl Envelope {
    /// Parses a request body.
    ///
    /// Keys may come in any order and unknown keys are ignored. The bytes are read once and
    /// the payload is parsed straight into its event type; a payload that comes before
    /// `event` is held as a raw slice and parsed once the name is known.
    ///
    /// ```
    /// use postal_hooks::{Envelope, Event};
    ///
    /// let body = br#"{"event":"MessageBounced","timestamp":1714057204.220918,"payload":{"original_message":{"id":48213,"token":"Xq8vT2mLp0aZ3kNc","direction":"outgoing","message_id":null,"to":"jane.doe@example.net","from":"notifications@acme.example","subject":"Your receipt","timestamp":1714053600.482913,"spam_status":"NotChecked","tag":null},"bounce":{"id":48390,"token":"Pz7Gm4Vt1Rk9Cy2L","direction":"incoming","message_id":null,"to":"kxwqzt@psrp.acme.example","from":"","subject":"Undelivered Mail","timestamp":1714057203.905127,"spam_status":"NotSpam","tag":null}},"uuid":"7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73"}"#;
    ///
    /// let envelope = Envelope::parse(body)?;
    /// assert_eq!(envelope.uuid(), "7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73");
    /// assert_eq!(envelope.timestamp().as_secs_f64(), 1714057204.220918);
    /// match envelope.event() {
    ///     Event::MessageBounced(bounce) => {
    ///         assert_eq!(bounce.original_message.to.as_deref(), Some("jane.doe@example.net"));
    ///     }
    ///     other => panic!("unexpected {}", other.name()),
    /// }
    /// # Ok::<(), postal_hooks::ParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ParseError`] for anything that is not a complete, well-typed envelope: it names
    /// the field path (`payload.message.id: invalid type…`), the line and column of broken
    /// JSON, `missing field `uuid``, or [`NotJson`](crate::ParseErrorKind::NotJson).
    /// The `uuid` must be 1 to 64 letters, digits, `-`, `_`, `.` or `:`: Postal sends a
    /// lowercase hyphenated UUID, and an empty, long or multi-line id would break
    /// deduplication or logs.
    pub fn parse(body: &[u8]) -> Result<Envelope, ParseError> {
        // One UTF-8 check over the whole body is cheaper than serde_json's check of every
        // string it borrows from a byte slice.
        let text = std::str::from_utf8(body)
            .map_err(|error| ParseError::not_utf8(body, EnvelopeSeed { name_hint: None }, error))?;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let parts = EnvelopeSeed { name_hint: None }
            .deserialize(&mut deserializer)
            .and_then(|parts| deserializer.end().map(|()| parts))
            .map_err(|error| ParseError::locate(body, EnvelopeSeed { name_hint: None }, error))
            .map_err(|error| misdirected::explain(body, error))?;
        let event = match parts.payload {
            Payload::Parsed(event) => event,
            Payload::Deferred(raw) => {
                Event::from_payload_text(&parts.name, raw.get()).map_err(|_| {
                    // Read again knowing the name, so the error carries the `payload.` path
                    // and the position in the whole body.
                    let hint = EnvelopeSeed {
                        name_hint: Some(&parts.name),
                    };
                    ParseError::locate(body, hint, de::Error::custom("invalid payload"))
                })?
            }
        };
        Ok(Envelope {
            event,
            timestamp: parts.timestamp,
            uuid: parts.uuid,
        })
    }

    /// Builds an envelope, e.g. to test handlers without a body.
    pub fn new(event: Event, timestamp: Timestamp, uuid: impl Into<String>) -> Self {
        Envelope {
            event,
            timestamp,
            uuid: uuid.into(),
        }
    }

    /// The event carried by this request.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// Takes the event out.
    pub fn into_event(self) -> Event {
        self.event
    }

    /// The uuid of this queued request: the same on every retry, so deduplicate on it. Not
    /// the domain uuid inside a `DomainDNSError` payload.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// When Postal queued the request (Unix seconds, microsecond precision); the same on
    /// every retry.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }

    pub(crate) fn into_parts(self) -> (Event, Timestamp, String) {
        (self.event, self.timestamp, self.uuid)
    }
}

impl Serialize for Envelope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut envelope = serializer.serialize_struct("Envelope", 4)?;
        envelope.serialize_field("event", self.event.name())?;
        envelope.serialize_field("timestamp", &self.timestamp)?;
        envelope.serialize_field("payload", &self.event)?;
        envelope.serialize_field("uuid", &self.uuid)?;
        envelope.end()
    }
}

/// The envelope's fields, before a deferred payload is parsed.
struct Parts<'de> {
    name: Cow<'de, str>,
    timestamp: Timestamp,
    uuid: String,
    payload: Payload<'de>,
}

// Lives on the stack for one parse; boxing the large arm would cost an allocation per body.
#[allow(clippy::large_enum_variant)]
enum Payload<'de> {
    /// Parsed in place because `event` came first (always, in what Postal sends).
    Parsed(Event),
    /// `payload` came before `event`: its bytes, parsed once the name is known.
    Deferred(&'de RawValue),
}

/// Reads an envelope. `name_hint` lets a second read parse the payload in place even when
/// it precedes `event`.
struct EnvelopeSeed<'h> {
    name_hint: Option<&'h str>,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Parts<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Parts<'de>, D::Error> {
        deserializer.deserialize_struct("Envelope", FIELDS, self)
    }
}

const FIELDS: &[&str] = &["event", "timestamp", "payload", "uuid"];

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Parts<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Postal webhook envelope {\"event\",\"timestamp\",\"payload\",\"uuid\"}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parts<'de>, A::Error> {
        let mut name: Option<Cow<'de, str>> = None;
        let mut timestamp = None;
        let mut uuid = None;
        let mut payload = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Event => {
                    reject_duplicate(&name, "event")?;
                    name = Some(map.next_value::<EventName<'de>>()?.0);
                }
                Key::Timestamp => {
                    reject_duplicate(&timestamp, "timestamp")?;
                    timestamp = Some(map.next_value::<Timestamp>()?);
                }
                Key::Uuid => {
                    reject_duplicate(&uuid, "uuid")?;
                    uuid = Some(map.next_value::<EnvelopeUuid>()?.0);
                }
                Key::Payload => {
                    reject_duplicate(&payload, "payload")?;
                    payload = Some(match name.as_deref().or(self.name_hint) {
                        Some(name) => Payload::Parsed(map.next_value_seed(PayloadSeed { name })?),
                        None => Payload::Deferred(map.next_value::<&'de RawValue>()?),
                    });
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Parts {
            name: name.ok_or_else(|| de::Error::missing_field("event"))?,
            timestamp: timestamp.ok_or_else(|| de::Error::missing_field("timestamp"))?,
            uuid: uuid.ok_or_else(|| de::Error::missing_field("uuid"))?,
            payload: payload.ok_or_else(|| de::Error::missing_field("payload"))?,
        })
    }
}

fn reject_duplicate<T, E: de::Error>(slot: &Option<T>, field: &'static str) -> Result<(), E> {
    match slot {
        Some(_) => Err(E::duplicate_field(field)),
        None => Ok(()),
    }
}

/// The envelope's keys; anything else is ignored.
enum Key {
    Event,
    Timestamp,
    Payload,
    Uuid,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = Key;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an envelope key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "event" => Key::Event,
                    "timestamp" => Key::Timestamp,
                    "payload" => Key::Payload,
                    "uuid" => Key::Uuid,
                    _ => Key::Other,
                })
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The event name, borrowed from the body when it has no escapes.
struct EventName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for EventName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = EventName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event name such as \"MessageSent\"")
            }

            fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(EventName(Cow::Borrowed(name)))
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(EventName(Cow::Owned(name.to_owned())))
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
}
