//! The event argument of a handler: which `&T` a handler may take for which events.

use crate::events::{
    Delivery, Event, EventType, Message, MessageDelayed, MessageDeliveryFailed, MessageHeld,
    MessageLinkClicked, MessageLoaded, MessageSent, SendLimit, SendLimitApproaching,
    SendLimitExceeded,
};

/// A type a handler can take by reference as its first argument: `&MessageSent`, `&Event`,
/// or a payload several events share (`&Delivery`, `&SendLimit`, `&Message`).
///
/// ```
/// use postal_hooks::{Envelope, EventParam, events::{Delivery, MessageSent, SendLimit}};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageSent.json"));
/// let event = Envelope::parse(body)?.into_event();
/// assert!(MessageSent::extract(&event).is_some());
/// assert_eq!(Delivery::extract(&event).map(|d| d.message.id), Some(48213));
/// assert!(SendLimit::extract(&event).is_none());
/// # Ok(()) }
/// ```
pub trait EventParam: 'static {
    /// Borrows `Self` out of the event, or `None` when this event does not carry one.
    fn extract(event: &Event) -> Option<&Self>;
}

/// `&Self` can be taken by a handler registered for the event `E`.
///
/// Implemented for `E` itself, for [`Event`], and for the payload types `E` shares with
/// other events. The `#[on_event]` macro checks it for every listed event, at the
/// argument's type.
///
/// ```
/// use postal_hooks::{Event, ParamFor};
/// use postal_hooks::events::{Delivery, EventType, MessageHeld, MessageSent};
///
/// fn takes<E: EventType, T: ParamFor<E> + ?Sized>() {}
///
/// takes::<MessageSent, MessageSent>();
/// takes::<MessageSent, Delivery>(); // shared by the four delivery events
/// takes::<MessageHeld, Delivery>();
/// takes::<MessageSent, Event>();
/// ```
///
/// A bounce is not a delivery:
///
/// ```compile_fail
/// # use postal_hooks::ParamFor;
/// # use postal_hooks::events::{Delivery, EventType, MessageBounced};
/// # fn takes<E: EventType, T: ParamFor<E> + ?Sized>() {}
/// takes::<MessageBounced, Delivery>();
/// ```
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

#[diagnostic::do_not_recommend]
impl<E: EventType> ParamFor<E> for E {}

impl EventParam for Event {
    fn extract(event: &Event) -> Option<&Self> {
        Some(event)
    }
}

#[diagnostic::do_not_recommend]
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

#[diagnostic::do_not_recommend]
impl ParamFor<MessageSent> for Delivery {}
#[diagnostic::do_not_recommend]
impl ParamFor<MessageDelayed> for Delivery {}
#[diagnostic::do_not_recommend]
impl ParamFor<MessageDeliveryFailed> for Delivery {}
#[diagnostic::do_not_recommend]
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

#[diagnostic::do_not_recommend]
impl ParamFor<SendLimitApproaching> for SendLimit {}
#[diagnostic::do_not_recommend]
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

#[diagnostic::do_not_recommend]
impl ParamFor<MessageSent> for Message {}
#[diagnostic::do_not_recommend]
impl ParamFor<MessageDelayed> for Message {}
#[diagnostic::do_not_recommend]
impl ParamFor<MessageDeliveryFailed> for Message {}
#[diagnostic::do_not_recommend]
impl ParamFor<MessageHeld> for Message {}
#[diagnostic::do_not_recommend]
impl ParamFor<MessageLinkClicked> for Message {}
#[diagnostic::do_not_recommend]
impl ParamFor<MessageLoaded> for Message {}
