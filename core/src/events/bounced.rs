//! [`MessageBounced`].

use serde::{Deserialize, Serialize};

use super::Message;

/// `MessageBounced`: a bounce (DSN) was received for a message sent earlier.
///
/// Postal sends no bounce reason or code; fetch the bounce message through Postal's API
/// (`bounce.id`, `bounce.token`) when you need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageBounced {
    /// The message that bounced (normally outgoing).
    pub original_message: Message,
    /// The received bounce message itself (incoming; `from` is usually `""`).
    pub bounce: Message,
}
