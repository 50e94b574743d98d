//! The event argument of a handler: which `&T` a handler may take for which events.

use crate::Event;
use crate::events::{
    Delivery, EventType, Message, MessageDelayed, MessageDeliveryFailed, MessageHeld,
    MessageLinkClicked, MessageLoaded, MessageSent, SendLimit, SendLimitApproaching,
    SendLimitExceeded,
};

/// A type a handler can take by reference as its first argument: `&MessageSent`, `&Event`,
/// or a payload several events share (`&Delivery`, `&SendLimit`, `&Message`).
pub trait EventParam: 'static {
    /// Borrows `Self` out of the event, or `None` when this event does not carry one.
    fn extract(event: &Event) -> Option<&Self>;
}

/// `&Self` can be taken by a handler registered for the event `E`.
///
/// Implemented for `E` itself, for [`Event`], and for the payload types `E` shares with
/// other events. The `#[on_event]` macro checks it for every listed event, at the
/// argument's type.
#[diagnostic::on_unimplemented(
    message = "a handler for `{E}` cannot take `&{Self}` as its event",
    label = "`{E}` does not give access to `{Self}`",
    note = "take `&{E}` or `&postal_hooks::Event`; with several events, a payload all of them share: `&Delivery` (the four delivery events), `&SendLimit` (both send-limit events) or `&Message`"
)]
pub trait ParamFor<E: EventType>: EventParam {}

/// `&Self` can be taken by a catch-all `#[on_event(*)]` handler: only [`Event`].
#[diagnostic::on_unimplemented(
    message = "a catch-all `#[on_event(*)]` handler takes `&Event`, not `&{Self}`",
    label = "`*` also delivers unknown events, which only `Event` can hold",
    note = "write `event: &postal_hooks::Event`, or list the events: `#[on_event(MessageSent, MessageHeld)]`"
)]
pub trait CatchAllParam: EventParam {}

impl<E: EventType> EventParam for E {
    fn extract(event: &Event) -> Option<&Self> {
        E::from_event(event)
    }
}

impl<E: EventType> ParamFor<E> for E {}

impl EventParam for Event {
    fn extract(event: &Event) -> Option<&Self> {
        Some(event)
    }
}

impl<E: EventType> ParamFor<E> for Event {}

impl CatchAllParam for Event {}

impl EventParam for Delivery {
    fn extract(event: &Event) -> Option<&Self> {
        match event {
            Event::MessageSent(MessageSent(delivery))
            | Event::MessageDelayed(MessageDelayed(delivery))
            | Event::MessageDeliveryFailed(MessageDeliveryFailed(delivery))
            | Event::MessageHeld(MessageHeld(delivery)) => Some(delivery),
            _ => None,
        }
    }
}

impl ParamFor<MessageSent> for Delivery {}
impl ParamFor<MessageDelayed> for Delivery {}
impl ParamFor<MessageDeliveryFailed> for Delivery {}
impl ParamFor<MessageHeld> for Delivery {}

impl EventParam for SendLimit {
    fn extract(event: &Event) -> Option<&Self> {
        match event {
            Event::SendLimitApproaching(SendLimitApproaching(limit))
            | Event::SendLimitExceeded(SendLimitExceeded(limit)) => Some(limit),
            _ => None,
        }
    }
}

impl ParamFor<SendLimitApproaching> for SendLimit {}
impl ParamFor<SendLimitExceeded> for SendLimit {}

/// The one message of a delivery or tracking event. (A bounce has two; take
/// `&MessageBounced` for it.)
impl EventParam for Message {
    fn extract(event: &Event) -> Option<&Self> {
        match event {
            Event::MessageSent(MessageSent(delivery))
            | Event::MessageDelayed(MessageDelayed(delivery))
            | Event::MessageDeliveryFailed(MessageDeliveryFailed(delivery))
            | Event::MessageHeld(MessageHeld(delivery)) => Some(&delivery.message),
            Event::MessageLinkClicked(click) => Some(&click.message),
            Event::MessageLoaded(open) => Some(&open.message),
            _ => None,
        }
    }
}

impl ParamFor<MessageSent> for Message {}
impl ParamFor<MessageDelayed> for Message {}
impl ParamFor<MessageDeliveryFailed> for Message {}
impl ParamFor<MessageHeld> for Message {}
impl ParamFor<MessageLinkClicked> for Message {}
impl ParamFor<MessageLoaded> for Message {}

pub(crate) mod sealed {
    /// Keeps the set of handler arguments ours: `&Meta` and `State<T>`.
    pub trait Sealed {}
}
