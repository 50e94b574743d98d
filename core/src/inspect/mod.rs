//! The inspector: a page, mounted in your axum app, that shows what happened to each recent
//! delivery and lets an operator retry it (feature `inspector`).
//!
//! - **Deliveries**, newest first: received time, event, uuid, HTTP status, and per
//!   handler its outcome, duration and error. Inline, they are kept in a bounded in-memory
//!   ring ([`InspectorBuilder::capacity`], 500 by default; bodies at most 16 MiB in all);
//!   with an [inbox](crate::inbox), they are read from the inbox's store, so they outlive a
//!   restart.
//! - **Filters** by event, by state (`ok`, `failed`, `dead_lettered`, `queued`, `refused`)
//!   and by text (a uuid or a handler name); a **detail** page per delivery.
//! - **Actions**: retry a failed delivery (its stored body dispatched again: exactly-once
//!   still applies, so only the handlers that failed run); with an inbox, retry or discard
//!   a dead letter.
//! - **Chart**: deliveries per minute over the last hour by state, as SVG drawn on the
//!   server. No JavaScript at all.
//! - **JSON**: `GET <mount>/api/deliveries?limit=N` (also `event`, `status`, `q`): an array,
//!   newest first, of objects with `uuid`, `event`, `status` (the HTTP status),
//!   `received_at` (RFC 3339), `handlers` (`name`, `outcome`, `duration_ms`, `error`), and
//!   `id`, `state`, `refusal`, `attempts`.
//!
//! **Security.** An inspector cannot be built without a token ([`InspectorError`]). Every
//! request needs `Authorization: Bearer <token>`, or HTTP Basic with the token as the
//! password (any user name), so a browser can open the page; anything else gets `401` with
//! `WWW-Authenticate: Basic`. The token is compared in constant time (`subtle`). Actions
//! are `POST` only, and need the page's CSRF token (random per inspector) and, when the
//! browser sends `Origin` or `Sec-Fetch-Site`, the same origin. No cookie is set. Pages
//! are sent with a Content Security Policy that allows no script, `X-Frame-Options: DENY`
//! and `Cache-Control: no-store`.
//!
//! **Redaction.** The message's recipient and subject are hidden unless
//! [`InspectorBuilder::show_recipients`]; the payload is never shown unless
//! [`InspectorBuilder::show_payload`]. Neither is in the JSON unless opted in.
//!
//! **Cost.** A receiver without an inspector keeps nothing (one `Option` check per
//! answer). With one, each answer adds one record to the ring (a copy of the verified body
//! and the handlers' outcomes), built outside its mutex; the receive benchmark measures it
//! paired against the same receiver without (about 2 %). Refusals go to a small ring of
//! their own ([`DEFAULT_CAPACITY`] deliveries, at most 50 refusals), so forged requests
//! cannot push the real deliveries out. With an inbox, each page reads the latest
//! deliveries from the store without their bodies.
//!
//! **Behind a proxy**, actions compare the browser's `Origin` with the `Host` the app
//! receives: a proxy must pass `Host` through unchanged.
//!
//! ```
//! use postal_hooks::inspect::Inspector;
//! use postal_hooks::{Dispatcher, Receiver, Verifier};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
//! # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
//! let token = "a-long-random-secret-from-config"; // e.g. POSTAL_HOOKS_INSPECTOR_TOKEN
//! let inspector = Inspector::builder(token).build()?; // mounted at /postal/inspector
//! let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?).with_inspector(&inspector);
//! let app: axum::Router = postal_hooks::axum::router("/postal/webhook", receiver)
//!     .merge(inspector.router());
//! # let _ = app;
//! assert!(Inspector::builder("").build().is_err()); // no token, no inspector
//! # Ok(()) }
//! ```

mod auth;
mod chart;
mod error;
mod filter;
mod html;
mod record;
mod redact;
mod ring;
mod routes;

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

pub use error::InspectorError;
pub use record::{DeliveryRecord, DeliveryState};
// Shown per handler; defined with the other observations.
pub use crate::observe::{HandlerRecord, RunOutcome};

use crate::dispatch::Dispatcher;
use crate::receiver::Reply;
use crate::shared_error::SharedError;
use ring::Ring;

/// The shortest token accepted, in characters.
pub const MIN_TOKEN_CHARS: usize = 16;
/// Where the inspector is mounted unless told otherwise.
pub const DEFAULT_MOUNT: &str = "/postal/inspector";
/// Deliveries kept in memory (inline) unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 500;
/// Body bytes kept in memory (inline), in all, unless told otherwise: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Recent deliveries and their handlers' outcomes, behind a token. Cheap to clone.
///
/// Attach it to a receiver with [`Receiver::with_inspector`](crate::Receiver::with_inspector),
/// and serve [`router`](Self::router). See the [module docs](self).
#[derive(Clone)]
pub struct Inspector {
    shared: Arc<Shared>,
}

/// Settings for an [`Inspector`], from [`Inspector::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct InspectorBuilder {
    token: String,
    mount: String,
    capacity: usize,
    max_body_bytes: usize,
    show_recipients: bool,
    show_payload: bool,
}

impl Inspector {
    /// Settings with `token`, the secret every request must present.
    pub fn builder(token: impl Into<String>) -> InspectorBuilder {
        InspectorBuilder {
            token: token.into(),
            mount: DEFAULT_MOUNT.to_owned(),
            capacity: DEFAULT_CAPACITY,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            show_recipients: false,
            show_payload: false,
        }
    }

    /// The axum router serving the pages under the mount path: merge it into your app
    /// (`Router::merge`; like any merge, it panics if the app already routes a path under
    /// the mount).
    pub fn router(&self) -> axum::Router {
        routes::router(self.shared.clone())
    }

    /// Where the pages are mounted.
    pub fn mount(&self) -> &str {
        &self.shared.mount
    }

    /// The most recent deliveries, newest first, at most `limit`: what the page lists.
    ///
    /// # Errors
    ///
    /// With an inbox, when its store cannot be read.
    pub async fn recent(&self, limit: usize) -> Result<Vec<DeliveryRecord>, SharedError> {
        let mut records = self.shared.records().await?;
        records.truncate(limit);
        Ok(records)
    }

    /// Called by the receiver it is attached to: its dispatcher (for retries) and inbox.
    pub(crate) fn attach(&self, dispatcher: &Dispatcher, inbox: Option<&Inbox>) {
        let attached = Attached {
            dispatcher: dispatcher.clone(),
            inbox: inbox.cloned(),
        };
        *self
            .shared
            .attached
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(attached);
    }

    /// Keeps the answer to one request (inline mode; the inbox keeps its own).
    pub(crate) fn record(&self, reply: &Reply, body: &[u8]) {
        // Built before the lock is taken: only the push holds it.
        let mut record = DeliveryRecord::from_reply(String::new(), reply, body, SystemTime::now());
        let mut ring = self
            .shared
            .ring
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let seq = ring.next_id();
        record.id = seq.to_string();
        ring.push(seq, record);
    }
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("mount", &self.shared.mount)
            .field("show_recipients", &self.shared.show_recipients)
            .field("show_payload", &self.shared.show_payload)
            .finish_non_exhaustive()
    }
}

impl InspectorBuilder {
    /// The path the pages live under (default [`DEFAULT_MOUNT`]): `/` then segments of
    /// letters, digits and `-._~`, separated by `/`, with no trailing `/`.
    pub fn mount(mut self, path: impl Into<String>) -> Self {
        self.mount = path.into();
        self
    }

    /// How many deliveries to list (default [`DEFAULT_CAPACITY`]): kept in memory
    /// inline; with an inbox, the latest this many from its store, plus its dead letters
    /// (at least [`DEFAULT_CAPACITY`] of them) however old.
    pub fn capacity(mut self, deliveries: usize) -> Self {
        self.capacity = deliveries;
        self
    }

    /// How many body bytes to keep in memory, inline, in all (default
    /// [`DEFAULT_MAX_BODY_BYTES`]); the oldest deliveries go first.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Shows the message's recipient and subject (hidden by default).
    pub fn show_recipients(mut self, show: bool) -> Self {
        self.show_recipients = show;
        self
    }

    /// Shows the whole payload on the detail page, and in the JSON (never by default).
    pub fn show_payload(mut self, show: bool) -> Self {
        self.show_payload = show;
        self
    }

    /// The inspector.
    ///
    /// # Errors
    ///
    /// [`InspectorError::MissingToken`] for an empty token, [`InspectorError::WeakToken`]
    /// for one under [`MIN_TOKEN_CHARS`] characters, [`InspectorError::Mount`] for a mount
    /// path that does not start with `/` or ends with one.
    pub fn build(self) -> Result<Inspector, InspectorError> {
        let token = self.token.trim().to_owned();
        let length = token.chars().count();
        if length == 0 {
            return Err(InspectorError::MissingToken);
        }
        if length < MIN_TOKEN_CHARS {
            return Err(InspectorError::WeakToken {
                length,
                min: MIN_TOKEN_CHARS,
            });
        }
        if !valid_mount(&self.mount) {
            return Err(InspectorError::Mount(self.mount));
        }
        Ok(Inspector {
            shared: Arc::new(Shared {
                token,
                csrf: csrf_token(),
                mount: self.mount,
                show_recipients: self.show_recipients,
                show_payload: self.show_payload,
                capacity: self.capacity,
                ring: Mutex::new(Ring::new(self.capacity, self.max_body_bytes)),
                attached: RwLock::new(None),
            }),
        })
    }
}

/// `/segment/segment`: each segment non-empty, of letters, digits and `-._~` (so that no
/// character has a meaning in axum's route syntax).
fn valid_mount(mount: &str) -> bool {
    let Some(path) = mount.strip_prefix('/') else {
        return false;
    };
    path.split('/').all(|segment| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
    })
}

/// A random CSRF token for the inspector's forms (the RSA backend's system random source).
fn csrf_token() -> String {
    let mut bytes = [0u8; 16];
    // The system source does not fail on the platforms the backends support; were it to,
    // the time keeps the token unguessable enough for a token-protected page.
    if !crate::crypto::fill_random(&mut bytes) {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    crate::crypto::hex(&bytes)
}

#[cfg(feature = "inbox")]
type Inbox = crate::inbox::Inbox;
/// No inbox without the `inbox` feature.
#[cfg(not(feature = "inbox"))]
#[derive(Clone)]
pub(crate) enum Inbox {}

/// What the receiver gave the inspector.
struct Attached {
    dispatcher: Dispatcher,
    inbox: Option<Inbox>,
}

pub(crate) struct Shared {
    token: String,
    csrf: String,
    mount: String,
    show_recipients: bool,
    show_payload: bool,
    /// Deliveries listed: kept in the ring, or read from the inbox's history.
    #[cfg_attr(not(feature = "inbox"), allow(dead_code))]
    capacity: usize,
    ring: Mutex<Ring>,
    attached: RwLock<Option<Attached>>,
}

impl Shared {
    fn dispatcher_and_inbox(&self) -> (Option<Dispatcher>, Option<Inbox>) {
        let attached = self.attached.read().unwrap_or_else(PoisonError::into_inner);
        match &*attached {
            Some(attached) => (Some(attached.dispatcher.clone()), attached.inbox.clone()),
            None => (None, None),
        }
    }

    /// Every delivery kept, newest first.
    async fn records(&self) -> Result<Vec<DeliveryRecord>, SharedError> {
        #[cfg(feature = "inbox")]
        if let (_, Some(inbox)) = self.dispatcher_and_inbox() {
            let dead = self.capacity.max(DEFAULT_CAPACITY);
            return inbox
                .history(self.capacity, dead)
                .await
                .map_err(SharedError::new);
        }
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(ring.newest_first())
    }

    async fn find(&self, id: &str) -> Result<Option<DeliveryRecord>, SharedError> {
        let Some(mut record) = self
            .records()
            .await?
            .into_iter()
            .find(|record| record.id == id)
        else {
            return Ok(None);
        };
        self.fill_body(&mut record).await?;
        Ok(Some(record))
    }

    /// With an inbox, whose listing leaves bodies out, reads `record`'s body when the app
    /// opted in to showing any of it.
    async fn fill_body(&self, record: &mut DeliveryRecord) -> Result<(), SharedError> {
        #[cfg(feature = "inbox")]
        if (self.show_recipients || self.show_payload)
            && record.body.is_none()
            && let (_, Some(inbox)) = self.dispatcher_and_inbox()
        {
            record.body = inbox
                .body(&record.id)
                .await
                .map_err(SharedError::new)?
                .map(Arc::from);
        }
        let _ = record;
        Ok(())
    }

    /// The records the JSON API returns: with their bodies when the app opted in to
    /// showing any of them (read one by one from an inbox).
    async fn with_bodies(
        &self,
        records: Vec<DeliveryRecord>,
    ) -> Result<Vec<DeliveryRecord>, SharedError> {
        let mut filled = Vec::with_capacity(records.len());
        for mut record in records {
            self.fill_body(&mut record).await?;
            filled.push(record);
        }
        Ok(filled)
    }

    fn source_note(&self) -> &'static str {
        match self.dispatcher_and_inbox() {
            (_, Some(_)) => "Read from the inbox.",
            (Some(_), None) => "Kept in memory since this process started.",
            (None, None) => "No receiver is attached to this inspector yet.",
        }
    }

    fn can_retry(&self, record: &DeliveryRecord) -> bool {
        match self.dispatcher_and_inbox() {
            (_, Some(_)) => record.state == DeliveryState::DeadLettered,
            (Some(_), None) => record.body.is_some(),
            (None, None) => false,
        }
    }

    /// Retries a failed delivery: inline, its stored body is dispatched again (only the
    /// handlers that failed run); with an inbox, a dead letter goes back to pending.
    async fn retry(&self, id: &str) -> Result<bool, SharedError> {
        let (dispatcher, inbox) = self.dispatcher_and_inbox();
        #[cfg(feature = "inbox")]
        if let Some(inbox) = inbox {
            return inbox.retry_dead_letter(id).await.map_err(SharedError::new);
        }
        #[cfg(not(feature = "inbox"))]
        let _ = inbox;
        let Some(dispatcher) = dispatcher else {
            return Ok(false);
        };
        let body = {
            let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
            match ring.get_mut(id) {
                Some(record) if html::retryable(record.state) => record.body.clone(),
                _ => None,
            }
        };
        let Some(body) = body else {
            return Ok(false);
        };
        let report = dispatcher.dispatch(&body).await.map_err(SharedError::new)?;
        let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(record) = ring.get_mut(id) {
            record.apply(&report);
            record.attempts += 1;
        }
        Ok(true)
    }

    /// Discards a dead letter (inbox only).
    async fn discard(&self, id: &str) -> Result<bool, SharedError> {
        #[cfg(feature = "inbox")]
        if let (_, Some(inbox)) = self.dispatcher_and_inbox() {
            return inbox
                .discard_dead_letter(id)
                .await
                .map_err(SharedError::new);
        }
        let _ = id;
        Ok(false)
    }

    /// A record as JSON, with the recipient, subject and payload only when opted in.
    fn json(&self, record: &DeliveryRecord) -> serde_json::Value {
        let mut value = serde_json::to_value(record).unwrap_or_default();
        if let (Some(object), Some(body)) = (value.as_object_mut(), record.body()) {
            if self.show_recipients {
                let (to, subject) = redact::recipient_and_subject(body);
                object.insert("recipient".into(), to.into());
                object.insert("subject".into(), subject.into());
            }
            if self.show_payload
                && let Ok(parsed) = serde_json::from_slice::<serde_json::Value>(body)
            {
                let payload = parsed.get("payload").cloned().unwrap_or_default();
                object.insert("payload".into(), payload);
            }
        }
        value
    }
}
