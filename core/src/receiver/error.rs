//! [`ReceiveError`]: why a request was refused before its handlers ran, with the HTTP
//! status Postal needs.

use std::fmt;

use http::StatusCode;

use crate::parse::ParseError;
use crate::shared_error::{Affix, SharedError};
use crate::verify::VerifyError;

/// Why a request was answered without running handlers.
///
/// ```
/// use postal_hooks::{Dispatcher, ReceiveError, Receiver, Verifier};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
/// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
/// let err = receiver.check_before_body("GET", &[("Content-Type", "application/json")], None).unwrap_err();
/// assert!(matches!(&err, ReceiveError::MethodNotAllowed { method } if method == "GET"));
/// assert_eq!(err.http_status(), 405);
/// let reply = receiver.receive_blocking(&[("Content-Type", "text/plain")], b"hi");
/// assert!(matches!(reply.error(), Some(ReceiveError::UnsupportedMediaType { .. })));
/// # Ok(()) }
/// ```
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// 405: not a `POST`.
    #[error("method {method} not allowed: Postal sends webhooks with POST")]
    MethodNotAllowed {
        /// The method received.
        method: String,
    },
    /// 413: the body is larger than the limit.
    #[error(
        "body {}is over the limit of {limit} bytes",
        Affix { before: "of ", value: *.length, after: " bytes " }
    )]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The body's size, when known.
        length: Option<u64>,
    },
    /// 415: the content type is not `application/json`.
    #[error("{}: Postal sends application/json", ContentType(.content_type.as_deref()))]
    UnsupportedMediaType {
        /// The `Content-Type` received, if any.
        content_type: Option<String>,
    },
    /// 401: the signature does not verify.
    #[error("signature verification failed: {0}")]
    Unauthorized(#[source] VerifyError),
    /// 400: the body is not a Postal webhook.
    #[error("invalid webhook body: {0}")]
    BadRequest(#[source] ParseError),
    /// 400: verified, but the signed envelope `timestamp` is older than the receiver's
    /// [replay window](crate::Receiver::with_replay_window): a captured delivery sent
    /// again, or one delayed past the window. Postal retries a genuine one, and it is
    /// refused again; the window's default (12 hours) is far past Postal's retries.
    #[error(
        "stale delivery {uuid} ({event}): its signed timestamp {timestamp} is {}, past the replay window of {} (POSTAL_HOOKS_REPLAY_WINDOW; `off` disables it)",
        Age(*.age),
        humantime::format_duration(*.window)
    )]
    Stale {
        /// The envelope's `event`.
        event: String,
        /// The envelope's `uuid`.
        uuid: String,
        /// The envelope's `timestamp`, as signed.
        timestamp: crate::events::Timestamp,
        /// How old it was when received; `None` when it is not a time at all (not finite,
        /// or centuries away).
        age: Option<std::time::Duration>,
        /// The window it was outside of.
        window: std::time::Duration,
    },
    /// 400: the body could not be read (the connection failed mid-body).
    #[error("could not read the body: {0}")]
    BodyRead(#[source] SharedError),
    /// 503: the inbox could not store the delivery: it is full, or its storage failed
    /// (Postal retries). Feature `inbox`.
    #[cfg(feature = "inbox")]
    #[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
    #[error("not stored: {0}")]
    Inbox(#[source] crate::inbox::InboxError),
    /// 500: the receiver itself failed (a bug; Postal retries).
    #[error("internal error: {0}")]
    Internal(#[source] SharedError),
}

impl ReceiveError {
    /// What kind of refusal this is, as a short `snake_case` word: the `refusal` field of
    /// the request's log line and the `reason` label of `postal_hooks_refusals_total` (see
    /// [`observe`](crate::observe)).
    ///
    /// `method_not_allowed` (405), `payload_too_large` (413), `unsupported_media_type`
    /// (415), `unauthorized` (401), `bad_request` (400, the body is not a Postal webhook),
    /// `body_read` (400, the body could not be read), `stale` (400, older than the replay
    /// window), `inbox_unavailable` (503, feature
    /// `inbox`), `internal` (500).
    ///
    /// ```
    /// # use postal_hooks::ReceiveError;
    /// let refused = ReceiveError::MethodNotAllowed { method: "GET".into() };
    /// assert_eq!(refused.reason(), "method_not_allowed");
    /// ```
    pub fn reason(&self) -> &'static str {
        match self {
            ReceiveError::MethodNotAllowed { .. } => "method_not_allowed",
            ReceiveError::PayloadTooLarge { .. } => "payload_too_large",
            ReceiveError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ReceiveError::Unauthorized(_) => "unauthorized",
            ReceiveError::BadRequest(_) => "bad_request",
            ReceiveError::BodyRead(_) => "body_read",
            ReceiveError::Stale { .. } => "stale",
            #[cfg(feature = "inbox")]
            ReceiveError::Inbox(_) => "inbox_unavailable",
            ReceiveError::Internal(_) => "internal",
        }
    }

    /// The HTTP status to answer with.
    pub fn http_status(&self) -> StatusCode {
        match self {
            ReceiveError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ReceiveError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ReceiveError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ReceiveError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ReceiveError::BadRequest(_)
            | ReceiveError::BodyRead(_)
            | ReceiveError::Stale { .. } => StatusCode::BAD_REQUEST,
            ReceiveError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            #[cfg(feature = "inbox")]
            ReceiveError::Inbox(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// What was wrong with the `Content-Type`: another type, or none at all.
struct ContentType<'a>(Option<&'a str>);

impl fmt::Display for ContentType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(content_type) => write!(f, "unsupported Content-Type `{content_type}`"),
            None => f.write_str("missing Content-Type"),
        }
    }
}

/// A stale delivery's age, to the second: `1year 2months 3days old`, or `not a time`.
struct Age(Option<std::time::Duration>);

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(age) => write!(
                f,
                "{} old",
                humantime::format_duration(std::time::Duration::from_secs(age.as_secs()))
            ),
            None => f.write_str("not a time"),
        }
    }
}

crate::error_report::debug_as_report!(ReceiveError);
