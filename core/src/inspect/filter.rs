//! The list's filters: by event, by state (`ok`, `failed`, `dead_lettered`, …) and by text
//! (a uuid or a handler name), and how many rows.

use serde::Deserialize;

use super::record::DeliveryRecord;

/// The rows shown by default, and at most.
pub(super) const DEFAULT_LIMIT: usize = 100;
pub(super) const MAX_LIMIT: usize = 10_000;

/// Query parameters: `event`, `status`, `q`, `limit`. Empty values mean "any".
#[derive(Debug, Default, Deserialize)]
pub(super) struct Filter {
    pub(super) event: Option<String>,
    pub(super) status: Option<String>,
    #[serde(rename = "q")]
    pub(super) text: Option<String>,
    pub(super) limit: Option<usize>,
}

impl Filter {
    /// Empty parameters dropped; a status written `dead-lettered` read as
    /// `dead_lettered`.
    pub(super) fn normalised(mut self) -> Self {
        for value in [&mut self.event, &mut self.status, &mut self.text] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *value = None;
            }
        }
        self.status = self.status.map(|status| status.trim().replace('-', "_"));
        self
    }

    pub(super) fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT)
    }

    pub(super) fn matches(&self, record: &DeliveryRecord) -> bool {
        self.event
            .as_deref()
            .is_none_or(|event| record.event.as_deref() == Some(event))
            && self.status.as_deref().is_none_or(|status| {
                record.state.as_str() == status || record.status.to_string() == status
            })
            && self
                .text
                .as_deref()
                .is_none_or(|text| record.mentions(text.trim()))
    }
}
