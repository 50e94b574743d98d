//! The four delivery-status events and their shared [`Delivery`] payload.

use serde::{Deserialize, Serialize};

use super::Message;
use super::Timestamp;
use super::newtype::shared_payload_event;
use super::open_enum::open_enum;

/// The payload shared by [`MessageSent`], [`MessageDelayed`], [`MessageDeliveryFailed`] and
/// [`MessageHeld`]: one delivery attempt of one message.
///
/// ```
/// use postal_hooks::{Envelope, events::{Delivery, DeliveryStatus, MessageDeliveryFailed}};
///
/// fn describe(delivery: &Delivery) -> String {
///     format!("{:?} {}: {}", delivery.message.to, delivery.status, delivery.output)
/// }
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageDeliveryFailed.json"));
/// let envelope = Envelope::parse(body)?;
/// let failed: &MessageDeliveryFailed = envelope.event().get().expect("a MessageDeliveryFailed");
/// assert_eq!(failed.status, DeliveryStatus::HardFail);
/// assert!(describe(failed).contains("HardFail: 550 5.1.1")); // each of the four derefs to `Delivery`
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The message this delivery belongs to.
    pub message: Message,
    /// The delivery status. Each event fixes it (`MessageSent` ⇒ `Sent`, …) but it is kept
    /// exactly as received.
    pub status: DeliveryStatus,
    /// Human-readable text (≤ 250 chars). Wording changes between Postal versions: show it,
    /// do not parse it.
    pub details: Option<String>,
    /// The remote SMTP reply, HTTP response body or error text; `""` when there is none.
    pub output: String,
    /// Whether TLS was used; `None` when no send was attempted (holds, early hard fails).
    pub sent_with_ssl: Option<bool>,
    /// When Postal recorded this delivery.
    pub timestamp: Timestamp,
    /// Seconds the attempt took (two decimals); `None` without a send attempt.
    pub time: Option<f64>,
}

open_enum! {
    /// A delivery's status, as in [`Delivery::status`].
    ///
    /// ```
    /// use postal_hooks::events::DeliveryStatus;
    /// assert_eq!(DeliveryStatus::from_wire("SoftFail"), DeliveryStatus::SoftFail);
    /// ```
    pub enum DeliveryStatus, expecting "a delivery status such as \"Sent\"" {
        /// Accepted by the remote server or endpoint (`MessageSent`).
        Sent = "Sent",
        /// Temporary failure, will be retried (`MessageDelayed`).
        SoftFail = "SoftFail",
        /// Permanent failure (`MessageDeliveryFailed`).
        HardFail = "HardFail",
        /// Held by Postal (`MessageHeld`).
        Held = "Held",
    }
}

shared_payload_event! {
    /// `MessageSent`: a message was accepted by the recipient's server or endpoint.
    ///
    /// Derefs to [`Delivery`]:
    ///
    /// ```
    /// # use postal_hooks::events::MessageSent;
    /// fn log(sent: &MessageSent) {
    ///     println!("{:?} accepted: {}", sent.message.to, sent.output);
    /// }
    /// ```
    MessageSent(Delivery)
}

shared_payload_event! {
    /// `MessageDelayed`: a delivery attempt failed temporarily (sent on every retry).
    MessageDelayed(Delivery)
}

shared_payload_event! {
    /// `MessageDeliveryFailed`: the message cannot be delivered (permanent failure).
    MessageDeliveryFailed(Delivery)
}

shared_payload_event! {
    /// `MessageHeld`: Postal held the message (development mode, suppression list, limits…).
    MessageHeld(Delivery)
}
