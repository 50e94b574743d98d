//! [`DomainDNSError`] and [`DnsStatus`].

use serde::{Deserialize, Serialize};

use super::Server;
use super::Timestamp;
use super::open_enum::open_enum;

/// `DomainDNSError`: Postal's hourly DNS check found a problem with a domain.
///
/// Each `*_error` is `None` exactly when its `*_status` is `Ok` (in what Postal produces).
///
/// ```
/// use postal_hooks::{Envelope, events::{DnsStatus, DomainDNSError}};
///
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/DomainDNSError.json"));
/// let envelope = Envelope::parse(body)?;
/// let dns: &DomainDNSError = envelope.event().get().expect("a DomainDNSError");
/// assert_eq!(dns.domain, "acme.example");
/// assert_eq!(dns.spf_status, DnsStatus::Ok);
/// assert_eq!(dns.mx_status, DnsStatus::Missing);
/// assert_eq!(dns.mx_error.as_deref(), Some("There are no MX records for acme.example"));
/// assert_ne!(dns.uuid, envelope.uuid()); // the domain's uuid, not the request's
/// # Ok::<(), postal_hooks::ParseError>(())
/// ```
#[allow(clippy::upper_case_acronyms)] // named exactly as Postal names the event
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainDNSError {
    /// The mail server that owns the domain.
    pub server: Server,
    /// The domain name.
    pub domain: String,
    /// The **domain's** uuid (not the envelope's).
    pub uuid: String,
    /// When the check ran.
    pub dns_checked_at: Timestamp,
    /// SPF record status.
    pub spf_status: DnsStatus,
    /// What is wrong with SPF.
    pub spf_error: Option<String>,
    /// DKIM record status.
    pub dkim_status: DnsStatus,
    /// What is wrong with DKIM.
    pub dkim_error: Option<String>,
    /// MX records status.
    pub mx_status: DnsStatus,
    /// What is wrong with MX.
    pub mx_error: Option<String>,
    /// Return-path (`psrp.<domain>`) status.
    pub return_path_status: DnsStatus,
    /// What is wrong with the return path.
    pub return_path_error: Option<String>,
}

open_enum! {
    /// The result of one DNS check in [`DomainDNSError`].
    ///
    /// ```
    /// use postal_hooks::events::DnsStatus;
    /// assert_eq!(DnsStatus::from_wire("OK"), DnsStatus::Ok);
    /// ```
    pub enum DnsStatus, expecting "a DNS check status such as \"OK\"" {
        /// The record is correct.
        Ok = "OK",
        /// No record found.
        Missing = "Missing",
        /// A record exists but is wrong.
        Invalid = "Invalid",
    }
}
