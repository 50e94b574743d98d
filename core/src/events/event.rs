//! [`Event`]: any Postal event, known or not.

use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::sealed::Sealed;
use super::{
    DomainDNSError, EventType, MessageBounced, MessageDelayed, MessageDeliveryFailed, MessageHeld,
    MessageLinkClicked, MessageLoaded, MessageSent, SendLimitApproaching, SendLimitExceeded,
};

/// Writes out everything that has one arm per event, from the single list at the bottom.
macro_rules! define_events {
    ($( $(#[$doc:meta])* $name:ident, )+) => {
        /// Any Postal webhook event: one variant per event type, named as Postal names it,
        /// plus [`Event::Unknown`] for an event this version does not know yet.
        ///
        /// Serializing an `Event` writes its payload (not the envelope).
        ///
        /// ```
        /// use postal_hooks::Event;
        ///
        /// let event = Event::from_payload("SendLimitExceeded", br#"{"server":{"uuid":"u","name":"n","permalink":"p","organization":"o"},"volume":1000,"limit":1000}"#)?;
        /// match &event {
        ///     Event::SendLimitExceeded(limit) => assert_eq!(limit.volume, 1000),
        ///     other => println!("{} is not handled here", other.name()),
        /// }
        /// # Ok::<(), postal_hooks::ParseError>(())
        /// ```
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$doc])* $name($name), )+
            /// An event name this version of `postal-hooks` does not know. It is delivered, not
            /// rejected, with its payload kept byte for byte.
            Unknown {
                /// The event name as received.
                name: String,
                /// The payload exactly as received.
                payload: RawPayload,
            },
        }

        /// Which variant an [`Event`] is, as a number for table lookups: the index of its
        /// name in [`Event::KNOWN_NAMES`], or `KNOWN_NAMES.len()` for an unknown event.
        #[derive(Clone, Copy)]
        #[repr(usize)]
        pub(crate) enum Slot {
            $( $name, )+
            Unknown,
        }

        impl Event {
            /// The names of the ten events Postal sends, in Postal's order.
            pub const KNOWN_NAMES: &'static [&'static str] = &[$( stringify!($name), )+];

            /// The event's slot in per-event tables.
            pub(crate) fn slot(&self) -> usize {
                let slot = match self {
                    $( Self::$name(_) => Slot::$name, )+
                    Self::Unknown { .. } => Slot::Unknown,
                };
                slot as usize
            }

            /// The name as a `&'static str` for the ten known events.
            pub(crate) fn static_name(&self) -> Option<&'static str> {
                match self {
                    $( Self::$name(_) => Some(stringify!($name)), )+
                    Self::Unknown { .. } => None,
                }
            }

            /// The event name as Postal sends it (`"MessageBounced"`, or an unknown name as received).
            pub fn name(&self) -> &str {
                match self {
                    $( Self::$name(_) => stringify!($name), )+
                    Self::Unknown { name, .. } => name,
                }
            }
        }

        impl Event {
            /// Deserializes the payload of the event named `name`: the typed struct for a
            /// known name, [`Event::Unknown`] holding the raw JSON otherwise.
            pub(crate) fn deserialize_payload<'de, D: Deserializer<'de>>(
                name: &str,
                deserializer: D,
            ) -> Result<Event, D::Error> {
                match name {
                    $( stringify!($name) => $name::deserialize(deserializer).map(Event::$name), )+
                    name => Ok(Event::Unknown {
                        name: name.to_owned(),
                        payload: RawPayload(Box::<RawValue>::deserialize(deserializer)?),
                    }),
                }
            }
        }

        impl Serialize for Event {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$name(event) => event.serialize(serializer), )+
                    Self::Unknown { payload, .. } => payload.serialize(serializer),
                }
            }
        }

        $(
            impl Sealed for $name {}

            impl EventType for $name {
                const NAME: &'static str = stringify!($name);

                fn into_event(self) -> Event {
                    Event::$name(self)
                }

                fn from_event(event: &Event) -> Option<&Self> {
                    match event {
                        Event::$name(inner) => Some(inner),
                        _ => None,
                    }
                }
            }

            impl From<$name> for Event {
                fn from(event: $name) -> Event {
                    Event::$name(event)
                }
            }

            impl TryFrom<Event> for $name {
                type Error = Event;

                /// Takes this type out of an [`Event`], or gives the event back unchanged.
                fn try_from(event: Event) -> Result<Self, Event> {
                    match event {
                        Event::$name(inner) => Ok(inner),
                        other => Err(other),
                    }
                }
            }
        )+
    };
}

define_events! {
    /// `MessageSent`: delivered.
    MessageSent,
    /// `MessageDelayed`: temporary failure.
    MessageDelayed,
    /// `MessageDeliveryFailed`: permanent failure.
    MessageDeliveryFailed,
    /// `MessageHeld`: held by Postal.
    MessageHeld,
    /// `MessageBounced`: a bounce arrived for a sent message.
    MessageBounced,
    /// `MessageLinkClicked`: a tracked link was clicked.
    MessageLinkClicked,
    /// `MessageLoaded`: the tracking pixel was loaded.
    MessageLoaded,
    /// `DomainDNSError`: a domain's DNS check failed.
    DomainDNSError,
    /// `SendLimitApproaching`: 90 % of the send limit used.
    SendLimitApproaching,
    /// `SendLimitExceeded`: the send limit reached.
    SendLimitExceeded,
}

impl Event {
    /// Borrows the typed event `E` out of this event, if it is one.
    ///
    /// ```
    /// # use postal_hooks::{Event, events::MessageBounced};
    /// fn bounced_address(event: &Event) -> Option<&str> {
    ///     event.get::<MessageBounced>()?.original_message.to.as_deref()
    /// }
    /// ```
    pub fn get<E: EventType>(&self) -> Option<&E> {
        E::from_event(self)
    }

    /// Whether `name` is one of the ten events Postal sends.
    pub fn is_known_name(name: &str) -> bool {
        Self::KNOWN_NAMES.contains(&name)
    }
}

/// The payload of an [`Event::Unknown`], kept as the exact JSON text received.
///
/// ```
/// use postal_hooks::{Envelope, Event};
///
/// // An event newer than this version of postal-hooks is delivered, not rejected.
/// let body = br#"{"event":"MessageArchived","timestamp":1.5,"payload":{"id": 7},"uuid":"u"}"#;
/// let envelope = Envelope::parse(body)?;
/// let Event::Unknown { name, payload } = envelope.event() else { unreachable!() };
/// assert_eq!(name, "MessageArchived");
/// assert_eq!(payload.get(), r#"{"id": 7}"#); // byte for byte
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Clone)]
pub struct RawPayload(Box<RawValue>);

impl RawPayload {
    /// The JSON text exactly as received.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses the payload into any type, e.g. `serde_json::Value` or your own struct.
    ///
    /// ```
    /// # use postal_hooks::Event;
    /// let event = Event::from_payload("MessageArchived", br#"{"id":7}"#)?;
    /// let Event::Unknown { payload, .. } = event else { unreachable!() };
    /// let value: serde_json::Value = payload.parse().expect("valid JSON");
    /// assert_eq!(value["id"], 7);
    /// # Ok::<(), postal_hooks::ParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the JSON does not match `T`.
    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl fmt::Debug for RawPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get())
    }
}

impl PartialEq for RawPayload {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Serialize for RawPayload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
