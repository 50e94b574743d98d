//! What the inspector shows of one delivery ([`DeliveryRecord`]) and of each handler's run
//! ([`HandlerRecord`]), and how they are made from a reply or a report.

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use crate::dispatch::Report;
use crate::observe::HandlerRecord;
use crate::receiver::Reply;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryState {
    /// Every handler succeeded (or had already, or none matched).
    Ok,
    /// A handler failed, or nothing could run (409, 503): Postal retries, or the inbox does.
    Failed,
    /// Past the inbox's maximum age: kept until retried or discarded.
    DeadLettered,
    /// Stored in the inbox, waiting for a worker.
    Queued,
    /// Refused before parsing (401, 400, 413, 415, 405).
    Refused,
}

impl DeliveryState {
    /// The name used in filters and JSON: `ok`, `failed`, `dead_lettered`, `queued`,
    /// `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Ok => "ok",
            DeliveryState::Failed => "failed",
            DeliveryState::DeadLettered => "dead_lettered",
            DeliveryState::Queued => "queued",
            DeliveryState::Refused => "refused",
        }
    }
}

/// One delivery, as the inspector lists it and `GET <mount>/api/deliveries` returns it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DeliveryRecord {
    /// Identifies it in the inspector's URLs: a sequence number per request answered
    /// (inline), or the uuid (inbox).
    pub id: String,
    /// The envelope's uuid (none for a refusal).
    pub uuid: Option<String>,
    /// The event name (none for a refusal).
    pub event: Option<String>,
    /// The HTTP status. Inline: the one Postal was answered, or, after a retry from the
    /// inspector, the retry's. With an inbox (Postal was answered 200 when the delivery was
    /// stored): 200 while queued or once handled, 500 while failing or dead-lettered.
    pub status: u16,
    /// When it was received, RFC 3339 in JSON.
    #[serde(serialize_with = "rfc3339")]
    pub received_at: SystemTime,
    /// Where it stands.
    pub state: DeliveryState,
    /// Why nothing ran, for a refusal (`unauthorized`, …, `in_progress`).
    pub refusal: Option<String>,
    /// Attempts made (inbox; 1 inline, plus retries from the inspector).
    pub attempts: u32,
    /// Per handler of the latest attempt: outcome, duration and error.
    pub handlers: Vec<HandlerRecord>,
    /// The verified body, kept to retry; shown only when the app opts in.
    #[serde(skip)]
    pub(crate) body: Option<Arc<[u8]>>,
}

impl DeliveryRecord {
    /// The record of an answered request.
    pub(crate) fn from_reply(id: String, reply: &Reply, body: &[u8], at: SystemTime) -> Self {
        let (event, uuid) = reply.event_and_uuid();
        let refusal = reply.error().map(|error| error.reason().to_owned());
        let mut record = DeliveryRecord {
            id,
            uuid: uuid.map(str::to_owned),
            event: event.map(str::to_owned),
            status: reply.status().as_u16(),
            received_at: at,
            state: DeliveryState::Refused,
            refusal,
            attempts: 1,
            handlers: Vec::new(),
            // Only a verified body is kept: a refused one may be anything.
            body: event.map(|_| Arc::from(body)),
        };
        if let Some(report) = reply.report() {
            record.apply(report);
        }
        record
    }

    /// A delivery the inbox keeps.
    #[cfg(feature = "inbox")]
    pub(crate) fn from_history(row: crate::inbox::HistoryRow) -> Self {
        use crate::inbox::HistoryState;
        let handlers: Vec<HandlerRecord> = serde_json::from_str(&row.runs).unwrap_or_default();
        let (state, status) = match row.state {
            HistoryState::Queued => (DeliveryState::Queued, 200),
            HistoryState::Done => (DeliveryState::Ok, 200),
            HistoryState::Retrying => (DeliveryState::Failed, 500),
            HistoryState::Dead => (DeliveryState::DeadLettered, 500),
        };
        DeliveryRecord {
            id: row.uuid.clone(),
            uuid: Some(row.uuid),
            event: Some(row.event),
            status,
            received_at: SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(row.received_ms),
            state,
            refusal: None,
            attempts: row.attempts,
            handlers,
            body: None,
        }
    }

    /// A dead letter the history no longer lists: its failing handlers' last errors.
    #[cfg(feature = "inbox")]
    pub(crate) fn from_dead_letter(letter: crate::inbox::DeadLetter) -> Self {
        let handlers = letter
            .errors
            .into_iter()
            .map(|failure| HandlerRecord::failed(failure.handler, failure.error))
            .collect();
        DeliveryRecord {
            id: letter.uuid.clone(),
            uuid: Some(letter.uuid),
            event: Some(letter.event),
            status: 500,
            received_at: letter.received_at,
            state: DeliveryState::DeadLettered,
            refusal: None,
            attempts: letter.attempts,
            handlers,
            body: None,
        }
    }

    /// The latest attempt's outcome.
    pub(crate) fn apply(&mut self, report: &Report) {
        self.status = report.http_status().as_u16();
        self.state = if report.is_success() {
            DeliveryState::Ok
        } else {
            DeliveryState::Failed
        };
        self.refusal = report.not_run().map(|not_run| not_run.reason().to_owned());
        self.handlers = report.runs().iter().map(HandlerRecord::from_run).collect();
    }

    /// Whether `text` is in its uuid or one of its handlers' names.
    pub(crate) fn mentions(&self, text: &str) -> bool {
        self.uuid.as_deref().is_some_and(|uuid| uuid.contains(text))
            || self
                .handlers
                .iter()
                .any(|handler| handler.name.contains(text))
    }

    /// The verified body, when kept.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

fn rfc3339<S: serde::Serializer>(at: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_millis(*at))
}
