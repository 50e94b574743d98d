//! The tracking events [`MessageLinkClicked`] and [`MessageLoaded`].

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Message;

/// `MessageLinkClicked`: a tracked link was requested (every request, scanners included).
///
/// ```
/// use postal_hooks::{Envelope, events::MessageLinkClicked};
/// use std::net::IpAddr;
///
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageLinkClicked.json"));
/// let envelope = Envelope::parse(body)?;
/// let click: &MessageLinkClicked = envelope.event().get().expect("a MessageLinkClicked");
/// assert_eq!(click.url, "https://acme.example/account/invoices/1042?utm_source=email&utm_medium=receipt");
/// assert_eq!(click.ip(), Some(IpAddr::from([203, 0, 113, 77])));
/// assert_eq!(click.message.to.as_deref(), Some("jane.doe@example.net"));
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageLinkClicked {
    /// The message the link was in.
    pub message: Message,
    /// The original link target.
    pub url: String,
    /// The link's token (not the message token).
    pub token: String,
    /// The client's address as sent (IPv4 or IPv6); see [`MessageLinkClicked::ip`].
    pub ip_address: String,
    /// The client's `User-Agent`; `None` when it sent none.
    pub user_agent: Option<String>,
}

/// `MessageLoaded`: the open-tracking pixel was requested (every load, not only the first).
///
/// ```
/// use postal_hooks::{Envelope, events::MessageLoaded};
///
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageLoaded.json"));
/// let envelope = Envelope::parse(body)?;
/// let opened: &MessageLoaded = envelope.event().get().expect("a MessageLoaded");
/// assert_eq!(opened.message.id, 48213);
/// assert_eq!(opened.ip_address, "198.51.100.23");
/// // Often an image proxy rather than the reader's own client:
/// assert!(opened.user_agent.as_deref().unwrap_or_default().contains("GoogleImageProxy"));
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageLoaded {
    /// The message that was opened.
    pub message: Message,
    /// The client's address as sent; see [`MessageLoaded::ip`].
    pub ip_address: String,
    /// The client's `User-Agent` (often an image proxy); `None` when it sent none.
    pub user_agent: Option<String>,
}

impl MessageLinkClicked {
    /// `ip_address` parsed, or `None` if it is not an IP address.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip_address.parse().ok()
    }
}

impl MessageLoaded {
    /// `ip_address` parsed, or `None` if it is not an IP address.
    ///
    /// ```
    /// # use postal_hooks::events::MessageLoaded;
    /// # fn check(loaded: &MessageLoaded) {
    /// if let Some(ip) = loaded.ip() {
    ///     println!("opened from {ip}");
    /// }
    /// # }
    /// ```
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip_address.parse().ok()
    }
}
