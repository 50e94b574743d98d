//! [`Message`]: the message object inside every message event, and its enums.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::open_enum::open_enum;

/// One message as Postal describes it in webhooks (one recipient per message).
///
/// `id` and `token` together address the message in Postal's API. `to`, `from` and `subject`
/// are strings in practice but typed as `Option` because Postal does not guarantee them; a
/// bounce's `from` arrives as `Some("")` (the null sender), never rewritten.
///
/// ```
/// use postal_hooks::{Envelope, events::{Direction, MessageLoaded}};
///
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageLoaded.json"));
/// let envelope = Envelope::parse(body)?;
/// let message = &envelope.event().get::<MessageLoaded>().expect("a MessageLoaded").message;
/// assert_eq!(message.direction, Direction::Outgoing);
/// assert_eq!(message.tag.as_deref(), Some("receipt"));
/// // `id` and `token` address the message in Postal's API.
/// assert_eq!((message.id, message.token.as_str()), (48213, "Xq8vT2mLp0aZ3kNc"));
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The message's id in its mail server's message database (unique per server only).
    pub id: u64,
    /// Random alphanumeric token: 16 characters since Postal 3, 12 before.
    pub token: String,
    /// Whether Postal sent this message or received it.
    pub direction: Direction,
    /// The `Message-ID` header without `<>`; `None` when the mail had none.
    pub message_id: Option<String>,
    /// Envelope recipient (`RCPT TO`).
    pub to: Option<String>,
    /// Envelope sender (`MAIL FROM`); `Some("")` for bounces.
    pub from: Option<String>,
    /// The first `Subject` header, at most 200 characters; `Some("")` when absent.
    pub subject: Option<String>,
    /// When Postal created the message; `0.0` if unset.
    pub timestamp: Timestamp,
    /// Spam verdict; `NotChecked` is usual for outgoing mail.
    pub spam_status: SpamStatus,
    /// The tag given through the API or the `X-Postal-Tag` header; `None` when untagged.
    pub tag: Option<String>,
}

open_enum! {
    /// Whether a message went out through Postal or came in to it.
    ///
    /// ```
    /// use postal_hooks::events::Direction;
    /// assert_eq!(Direction::from_wire("outgoing"), Direction::Outgoing);
    /// assert_eq!(Direction::from_wire("sideways"), Direction::Other("sideways".into()));
    /// ```
    pub enum Direction, expecting "a message direction such as \"outgoing\"" {
        /// Sent by an application through Postal.
        Outgoing = "outgoing",
        /// Received by Postal (including bounces).
        Incoming = "incoming",
    }
}

open_enum! {
    /// Postal's spam verdict for a message.
    ///
    /// ```
    /// use postal_hooks::events::SpamStatus;
    /// assert_eq!(SpamStatus::from_wire("NotChecked").as_str(), "NotChecked");
    /// ```
    pub enum SpamStatus, expecting "a spam status such as \"NotSpam\"" {
        /// Not checked (usual for outgoing mail).
        NotChecked = "NotChecked",
        /// Checked, not spam.
        NotSpam = "NotSpam",
        /// Checked, spam.
        Spam = "Spam",
    }
}
