//! Parsing a bare payload (no envelope), the shape Postal's docs and its webhook history
//! page show, and the seed that reads a payload once its event name is known.

use serde::de::{DeserializeSeed, Deserializer};

use super::error::ParseError;
use crate::events::Event;

/// Deserializes the payload of the event named `name`: the typed struct for a known name,
/// [`Event::Unknown`] otherwise.
#[derive(Clone, Copy)]
pub(crate) struct PayloadSeed<'n> {
    pub(crate) name: &'n str,
}

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = Event;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Event, D::Error> {
        Event::deserialize_payload(self.name, deserializer)
    }
}

impl Event {
    /// Parses a bare payload (no envelope) for the event `name`: the shape Postal's public
    /// docs and its webhook history page show.
    ///
    /// An unknown `name` gives [`Event::Unknown`] holding the payload, which must still be
    /// well-formed JSON.
    ///
    /// ```
    /// use postal_hooks::{Event, events::DnsStatus};
    ///
    /// let payload = br#"{"server":{"uuid":"u","name":"n","permalink":"p","organization":"o"},
    ///     "domain":"example.com","uuid":"d","dns_checked_at":1477945711.5502,
    ///     "spf_status":"OK","spf_error":null,"dkim_status":"Missing","dkim_error":"no record",
    ///     "mx_status":"OK","mx_error":null,"return_path_status":"OK","return_path_error":null}"#;
    /// let Event::DomainDNSError(dns) = Event::from_payload("DomainDNSError", payload)? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(dns.dkim_status, DnsStatus::Missing);
    /// # Ok::<(), postal_hooks::ParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the field path (`message.id: invalid type…`) or the line and
    /// column of broken JSON.
    pub fn from_payload(name: &str, payload: &[u8]) -> Result<Event, ParseError> {
        let text = std::str::from_utf8(payload)
            .map_err(|error| ParseError::not_utf8(payload, PayloadSeed { name }, error))?;
        Event::from_payload_text(name, text)
            .map_err(|error| ParseError::locate(payload, PayloadSeed { name }, error))
    }

    /// Parses a payload already known to be UTF-8.
    pub(crate) fn from_payload_text(name: &str, payload: &str) -> Result<Event, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_str(payload);
        PayloadSeed { name }
            .deserialize(&mut deserializer)
            .and_then(|event| deserializer.end().map(|()| event))
    }
}
