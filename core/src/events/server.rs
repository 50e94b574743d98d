//! [`Server`]: the mail server object in server-level events.

use serde::{Deserialize, Serialize};

/// A Postal mail server, as carried by [`DomainDNSError`](super::DomainDNSError) and the
/// send-limit events. Message events carry no server: tell servers apart by webhook URL.
///
/// ```
/// use postal_hooks::{Envelope, Event};
///
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/SendLimitExceeded.json"));
/// let envelope = Envelope::parse(body)?;
/// let server = match envelope.event() {
///     Event::SendLimitExceeded(limit) => &limit.server,
///     Event::DomainDNSError(dns) => &dns.server,
///     other => panic!("{} carries no server", other.name()),
/// };
/// assert_eq!(server.name, "Acme Transactional");
/// assert_eq!(server.organization.as_deref(), Some("acme"));
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
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
