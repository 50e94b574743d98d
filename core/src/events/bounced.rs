//! [`MessageBounced`].

use serde::{Deserialize, Serialize};

use super::Message;

/// `MessageBounced`: a bounce (DSN) was received for a message sent earlier.
///
/// Postal sends no bounce reason or code; fetch the bounce message through Postal's API
/// (`bounce.id`, `bounce.token`) when you need it.
///
/// ```
/// use postal_hooks::{Envelope, events::MessageBounced};
///
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
/// let envelope = Envelope::parse(body)?;
/// let bounced: &MessageBounced = envelope.event().get().expect("a MessageBounced");
/// assert_eq!(bounced.original_message.to.as_deref(), Some("jane.doe@example.net")); // suppress it
/// assert_eq!(bounced.bounce.from.as_deref(), Some("")); // the null sender
/// // Fetch the bounce message itself from Postal's API with these two:
/// assert_eq!((bounced.bounce.id, bounced.bounce.token.as_str()), (48390, "Pz7Gm4Vt1Rk9Cy2L"));
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageBounced {
    /// The message that bounced (normally outgoing).
    pub original_message: Message,
    /// The received bounce message itself (incoming; `from` is usually `""`).
    pub bounce: Message,
}
