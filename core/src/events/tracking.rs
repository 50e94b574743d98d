//! The tracking events [`MessageLinkClicked`] and [`MessageLoaded`].

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Message;

/// `MessageLinkClicked`: a tracked link was requested (every request, scanners included).
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
