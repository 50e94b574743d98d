//! [`Reply`]: the answer to Postal, the same for every adapter: status, headers and a
//! short text body, with the report or the refusal behind it.

use http::StatusCode;

use std::borrow::Cow;
use std::time::Duration;

use super::error::ReceiveError;
use crate::dispatch::Report;
#[cfg(feature = "inbox")]
use crate::handler::Meta;
use crate::observe::observe_reply;

/// A receiver's answer: the status, a short text body, and what happened.
///
/// ```
/// use postal_hooks::{Dispatcher, Receiver, StatusCode, Verifier, events::MessageBounced};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let body: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
/// # let headers = [("Content-Type", "application/json"), ("X-Postal-Signature-256", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json.sig256")).trim())];
/// let dispatcher = Dispatcher::builder().without_registered_handlers().on(|_: &MessageBounced| {}).build()?;
/// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
/// # let receiver = receiver.with_replay_window(None); // the captured sample dates from 2024
/// let reply = receiver.receive_blocking(&headers, body);
/// // Answer Postal with the status and body; the report says what ran.
/// assert_eq!((reply.status(), reply.body()), (StatusCode::OK, "ok: 1 handler(s) ran"));
/// // The headers to send with it, for every adapter alike.
/// assert_eq!(reply.headers(), [("content-type", "text/plain; charset=utf-8")]);
/// assert_eq!(reply.report().map(|report| report.runs().len()), Some(1));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    status: StatusCode,
    body: String,
    outcome: Outcome,
}

/// What is behind a reply.
#[derive(Debug, Clone)]
enum Outcome {
    /// The handlers ran.
    Report(Report),
    /// Refused before dispatch.
    Refused(ReceiveError),
    /// Stored in the inbox, for the workers.
    #[cfg(feature = "inbox")]
    Stored(crate::inbox::Pushed, Meta),
}

/// The content type of every reply: a short plain text that Postal's webhook log shows.
const CONTENT_TYPE: (&str, &str) = ("content-type", "text/plain; charset=utf-8");
/// What a 405 must name (RFC 9110 §15.5.6): Postal sends webhooks with `POST`.
const ALLOW: (&str, &str) = ("allow", "POST");

impl Reply {
    pub(crate) fn from_report(report: Report) -> Self {
        Reply {
            status: report.http_status(),
            body: report.summary(),
            outcome: Outcome::Report(report),
        }
    }

    #[cfg(feature = "inbox")]
    pub(crate) fn from_pushed(pushed: crate::inbox::Pushed, meta: Meta) -> Self {
        let body = match pushed {
            crate::inbox::Pushed::AlreadyQueued => "ok: already queued",
            _ => "ok: queued",
        };
        Reply {
            status: StatusCode::OK,
            body: body.to_owned(),
            outcome: Outcome::Stored(pushed, meta),
        }
    }

    /// The reply for a request refused with `error`. It is logged and counted like every
    /// answer (see [`observe`](crate::observe)), with a `duration_ms` of 0, but outside any
    /// request span and not kept by an inspector: with a [`Receiver`](crate::Receiver) at
    /// hand, prefer [`Receiver::refuse`](crate::Receiver::refuse).
    pub fn from_error(error: ReceiveError) -> Self {
        let reply = Reply::refused(error);
        observe_reply(&reply, Duration::ZERO);
        reply
    }

    /// The reply for a refusal, not observed yet.
    pub(crate) fn refused(error: ReceiveError) -> Self {
        Reply {
            status: error.http_status(),
            body: error.to_string(),
            outcome: Outcome::Refused(error),
        }
    }

    /// The event name, once the body was parsed.
    pub(crate) fn event_name(&self) -> Option<&Cow<'static, str>> {
        match &self.outcome {
            Outcome::Report(report) => Some(report.meta().event_name()),
            #[cfg(feature = "inbox")]
            Outcome::Stored(_, meta) => Some(meta.event_name()),
            Outcome::Refused(_) => None,
        }
    }

    /// The event name and uuid, once the body was parsed.
    pub(crate) fn event_and_uuid(&self) -> (Option<&str>, Option<&str>) {
        match &self.outcome {
            Outcome::Report(report) => (Some(report.event()), report.uuid()),
            #[cfg(feature = "inbox")]
            Outcome::Stored(_, meta) => (Some(meta.event()), meta.uuid()),
            // Verified, so its event and uuid are Postal's own and safe to log.
            Outcome::Refused(ReceiveError::Stale { event, uuid, .. }) => {
                (Some(event.as_str()), Some(uuid.as_str()))
            }
            Outcome::Refused(_) => (None, None),
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers to send with the status and body, as lower-case names and
    /// values: `content-type: text/plain; charset=utf-8`, and `allow: POST` on a 405.
    /// Every adapter answers with these, so the response policy lives here alone.
    pub fn headers(&self) -> &'static [(&'static str, &'static str)] {
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            &[CONTENT_TYPE, ALLOW]
        } else {
            &[CONTENT_TYPE]
        }
    }

    /// A short text for the response body (Postal ignores it; its webhook log shows it).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The dispatch report, when the request got that far.
    pub fn report(&self) -> Option<&Report> {
        match &self.outcome {
            Outcome::Report(report) => Some(report),
            _ => None,
        }
    }

    /// Why the request was refused before dispatch, if it was.
    pub fn error(&self) -> Option<&ReceiveError> {
        match &self.outcome {
            Outcome::Refused(error) => Some(error),
            _ => None,
        }
    }

    /// What storing the delivery in the inbox did, when the receiver has one and it was
    /// stored (feature `inbox`). The handlers run later, in the workers.
    #[cfg(feature = "inbox")]
    #[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
    pub fn stored(&self) -> Option<crate::inbox::Pushed> {
        match &self.outcome {
            Outcome::Stored(pushed, _) => Some(*pushed),
            _ => None,
        }
    }

    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

/// The reply as an `http::Response`: its status, [`headers`](Reply::headers) and body. For
/// any framework built on the `http` crate (hyper, axum, tower); the adapters use it too.
///
/// ```
/// use postal_hooks::{Dispatcher, Receiver, StatusCode, Verifier};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
/// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
/// let response = http::Response::from(receiver.receive_request_blocking("GET", &[("Content-Type", "application/json")], b""));
/// assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
/// assert_eq!(response.headers()["allow"], "POST");
/// # Ok(()) }
/// ```
impl From<Reply> for http::Response<String> {
    fn from(reply: Reply) -> Self {
        let policy = reply.headers();
        let mut response = http::Response::new(reply.body);
        *response.status_mut() = reply.status;
        let headers = response.headers_mut();
        for &(name, value) in policy {
            headers.insert(
                http::header::HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            );
        }
        response
    }
}
