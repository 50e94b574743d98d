//! One type per Postal webhook event, named exactly as Postal names the event.
//!
//! | event | type | payload |
//! |---|---|---|
//! | `MessageSent`, `MessageDelayed`, `MessageDeliveryFailed`, `MessageHeld` | [`MessageSent`] … | shared [`Delivery`] |
//! | `MessageBounced` | [`MessageBounced`] | original message and bounce |
//! | `MessageLinkClicked`, `MessageLoaded` | [`MessageLinkClicked`], [`MessageLoaded`] | tracking data |
//! | `DomainDNSError` | [`DomainDNSError`] | [`Server`] and DNS check results |
//! | `SendLimitApproaching`, `SendLimitExceeded` | [`SendLimitApproaching`] … | shared [`SendLimit`] |
//!
//! Every type implements [`EventType`] (its wire name as a constant), `Serialize` and
//! `Deserialize`; serializing a parsed event gives back the JSON value it came from.

mod bounced;
mod delivery;
mod dns;
mod event;
mod message;
mod newtype;
mod open_enum;
mod send_limit;
mod server;
mod timestamp;
mod tracking;

pub use bounced::MessageBounced;
pub use delivery::{
    Delivery, DeliveryStatus, MessageDelayed, MessageDeliveryFailed, MessageHeld, MessageSent,
};
pub use dns::{DnsStatus, DomainDNSError};
pub use event::{Event, RawPayload};
pub use message::{Direction, Message, SpamStatus};
pub use send_limit::{SendLimit, SendLimitApproaching, SendLimitExceeded};
pub use server::Server;
pub use timestamp::Timestamp;
pub use tracking::{MessageLinkClicked, MessageLoaded};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A Postal event type: one of the ten types in [`events`](crate::events).
///
/// Gives the event's wire name and converts to and from [`Event`]. The trait is sealed:
/// the set of events is Postal's, and [`Event::Unknown`] carries any event it adds later.
///
/// ```
/// use postal_hooks::events::{EventType, MessageBounced};
/// assert_eq!(MessageBounced::NAME, "MessageBounced");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Postal event type",
    label = "not one of the ten types in `postal_hooks::events`",
    note = "event types are `postal_hooks::events::MessageSent`, `MessageBounced`, `DomainDNSError`, …"
)]
pub trait EventType:
    Serialize + DeserializeOwned + Clone + Send + Sync + 'static + sealed::Sealed
{
    /// The event name as Postal sends it in the envelope's `event` field.
    const NAME: &'static str;

    /// Wraps this event in the [`Event`] enum.
    fn into_event(self) -> Event;

    /// Borrows this type out of an [`Event`] holding it, or `None` for another event.
    fn from_event(event: &Event) -> Option<&Self>;
}

pub(crate) mod sealed {
    /// Keeps [`EventType`](super::EventType) implemented by our ten types only.
    pub trait Sealed {}
}
