//! [`Server`]: the mail server object in server-level events.

use serde::{Deserialize, Serialize};

/// A Postal mail server, as carried by [`DomainDNSError`](super::DomainDNSError) and the
/// send-limit events. Message events carry no server: tell servers apart by webhook URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Server {
    /// The mail server's uuid.
    pub uuid: String,
    /// Display name.
    pub name: String,
    /// URL-safe short name (`[a-z0-9-]`).
    pub permalink: String,
    /// The owning organisation's permalink.
    pub organization: Option<String>,
}
