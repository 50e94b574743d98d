//! [`Receiver`]: the whole webhook endpoint, framework-agnostic: headers and raw body in,
//! an HTTP status and a short body out.

use std::fmt;
use std::sync::Arc;

use crate::block_on::block_on;
use crate::{Dispatcher, Envelope, Headers, ParseError, Report, Verifier, VerifyError};

/// The default body limit: 1 MiB (Postal's bodies are a few KiB).
///
/// ```
/// use postal_hooks::{DEFAULT_MAX_BODY_BYTES, Dispatcher, Receiver, Verifier};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
/// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
/// assert_eq!(receiver.max_body_bytes(), DEFAULT_MAX_BODY_BYTES);
/// let receiver = receiver.with_max_body_bytes(64 * 1024); // 413 above 64 KiB
/// let too_big = vec![b' '; 64 * 1024 + 1];
/// let reply = receiver.receive_blocking("POST", &[("Content-Type", "application/json")], &too_big);
/// assert_eq!(reply.status(), 413);
/// # Ok(()) }
/// ```
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// A webhook endpoint: a [`Verifier`], a [`Dispatcher`] and limits.
///
/// Give it the request's headers and raw body; it answers with the status Postal needs:
///
/// | status | when |
/// |---|---|
/// | 405 | not a `POST` (where the adapter sees the method) |
/// | 413 | the body is over [`max_body_bytes`](Self::max_body_bytes) (1 MiB by default) |
/// | 415 | `Content-Type` is not `application/json` |
/// | 401 | the signature does not verify |
/// | 400 | the body is not a Postal webhook |
/// | 409 | another delivery of the same uuid is running now (Postal retries later) |
/// | 500 | a handler failed or panicked (Postal retries) |
/// | 503 | the idempotency store cannot be reached (Postal retries) |
/// | 200 | every handler succeeded (or had already, for this uuid), or none is registered |
///
/// Nothing is dispatched before the signature is verified. Cheap to clone.
///
/// ```
/// use postal_hooks::{Dispatcher, Receiver, Verifier, events::MessageSent};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// # let postal_public_key = "v=DKIM1; t=s; h=sha256; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC3jpk3/xy+5g3BbVQcBBGsM7hbgEm6eeEeHwkMZMSHwKkW0vVJnNixF87SR9M8jNGTmM7lqOGI4Hisl7tUeNhmo2vHTZskwRw21+iq+oVZN4J9cW/xtcYO7uEb7KpiQ3rGOMb8KRCDn+YU3fZY+S+DPNhicchJth6t//j1uHpJlQIDAQAB;";
/// let dispatcher = Dispatcher::builder()
///     .on(|sent: &MessageSent| println!("{}", sent.message.id))
///     .build()?;
/// // PEM, a JWKS document or Postal's DNS record, e.g. from configuration.
/// let verifier = Verifier::from_key_text(postal_public_key)?;
/// let receiver = Receiver::new(dispatcher, verifier);
///
/// // In any web framework: headers and the raw body bytes in, a status out.
/// let headers = [("content-type", "application/json")];
/// let reply = receiver.receive(&headers, b"{}").await;
/// assert_eq!(reply.status(), 401); // not signed
/// assert!(reply.body().starts_with("signature verification failed: missing header"));
/// # Ok(()) }
/// # futures_lite_block_on(demo()).unwrap();
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// ```
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
}

struct Inner {
    dispatcher: Dispatcher,
    verifier: Verifier,
    max_body_bytes: usize,
}

impl Receiver {
    /// A receiver that verifies with `verifier` and runs `dispatcher`'s handlers.
    pub fn new(dispatcher: Dispatcher, verifier: Verifier) -> Self {
        if verifier.is_insecure() {
            tracing::warn!(
                "postal-hooks receiver built with an insecure verifier: signatures are NOT checked"
            );
        }
        Receiver {
            inner: Arc::new(Inner {
                dispatcher,
                verifier,
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            }),
        }
    }

    /// Sets the largest body accepted (413 above it).
    #[must_use]
    pub fn with_max_body_bytes(self, limit: usize) -> Self {
        let inner = &self.inner;
        Receiver {
            inner: Arc::new(Inner {
                dispatcher: inner.dispatcher.clone(),
                verifier: inner.verifier.clone(),
                max_body_bytes: limit,
            }),
        }
    }

    /// The largest body accepted.
    pub fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.inner.dispatcher
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// Handles one request: limits, content type, signature, parsing, then every matching
    /// handler. `body` must be the raw bytes exactly as received.
    ///
    /// Most servers drop a request's future when the client hangs up, and Postal hangs up
    /// after 5 s. Run this in a task of its own (`tokio::spawn`) so that slow handlers
    /// still finish; the axum, tower and actix adapters do.
    pub async fn receive(&self, headers: &impl Headers, body: &[u8]) -> Reply {
        match self.verify_and_parse(headers, body) {
            Ok(envelope) => {
                Reply::from_report(self.inner.dispatcher.dispatch_envelope(envelope).await)
            }
            Err(error) => Reply::from_error(error),
        }
    }

    /// [`receive`](Self::receive), after checking the method is `POST` (405 otherwise).
    pub async fn receive_request(
        &self,
        method: &str,
        headers: &impl Headers,
        body: &[u8],
    ) -> Reply {
        match check_method(method) {
            Ok(()) => self.receive(headers, body).await,
            Err(error) => Reply::from_error(error),
        }
    }

    /// [`receive_request`](Self::receive_request) for synchronous servers: no async runtime
    /// needed (see [`Dispatcher::dispatch_blocking`]).
    pub fn receive_blocking(&self, method: &str, headers: &impl Headers, body: &[u8]) -> Reply {
        block_on(self.receive_request(method, headers, body))
    }

    /// The checks an adapter can make before reading the body: method, declared length and
    /// content type.
    ///
    /// # Errors
    ///
    /// The [`ReceiveError`] to answer with.
    pub fn check_head(
        &self,
        method: &str,
        headers: &impl Headers,
        content_length: Option<u64>,
    ) -> Result<(), ReceiveError> {
        check_method(method)?;
        let limit = self.inner.max_body_bytes;
        if let Some(length) = content_length.filter(|&length| length > limit as u64) {
            return Err(ReceiveError::PayloadTooLarge {
                limit,
                length: Some(length),
            });
        }
        check_content_type(headers)
    }

    /// Checks limits, content type and signature, then parses: everything but dispatch.
    /// For adapters that hand the verified [`Envelope`] to the user (extractors).
    ///
    /// # Errors
    ///
    /// The first check that fails, as a [`ReceiveError`] carrying its HTTP status.
    pub fn verify_and_parse(
        &self,
        headers: &impl Headers,
        body: &[u8],
    ) -> Result<Envelope, ReceiveError> {
        let limit = self.inner.max_body_bytes;
        if body.len() > limit {
            return Err(ReceiveError::PayloadTooLarge {
                limit,
                length: Some(body.len() as u64),
            });
        }
        check_content_type(headers)?;
        self.inner
            .verifier
            .check(headers, body)
            .map_err(ReceiveError::Unauthorized)?;
        Envelope::parse(body).map_err(ReceiveError::BadRequest)
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("verifier", &self.inner.verifier)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

fn check_method(method: &str) -> Result<(), ReceiveError> {
    if method.eq_ignore_ascii_case("POST") {
        Ok(())
    } else {
        Err(ReceiveError::MethodNotAllowed {
            method: method.to_owned(),
        })
    }
}

/// `application/json`, any case, parameters allowed (`; charset=utf-8`).
fn check_content_type(headers: &impl Headers) -> Result<(), ReceiveError> {
    let value = headers.header("content-type");
    let essence = value
        .and_then(|value| value.split(|&byte| byte == b';').next())
        .map(|essence| essence.trim_ascii());
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case(b"application/json") => Ok(()),
        _ => Err(ReceiveError::UnsupportedMediaType {
            content_type: value.map(|value| String::from_utf8_lossy(value).into_owned()),
        }),
    }
}

/// Why a request was answered without running handlers.
///
/// ```
/// use postal_hooks::{Dispatcher, ReceiveError, Receiver, Verifier};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
/// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
/// let err = receiver.check_head("GET", &[("Content-Type", "application/json")], None).unwrap_err();
/// assert!(matches!(&err, ReceiveError::MethodNotAllowed { method } if method == "GET"));
/// assert_eq!(err.http_status(), 405);
/// let reply = receiver.receive_blocking("POST", &[("Content-Type", "text/plain")], b"hi");
/// assert!(matches!(reply.error(), Some(ReceiveError::UnsupportedMediaType { .. })));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ReceiveError {
    /// 405: not a `POST`.
    MethodNotAllowed {
        /// The method received.
        method: String,
    },
    /// 413: the body is larger than the limit.
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The body's size, when known.
        length: Option<u64>,
    },
    /// 415: the content type is not `application/json`.
    UnsupportedMediaType {
        /// The `Content-Type` received, if any.
        content_type: Option<String>,
    },
    /// 401: the signature does not verify.
    Unauthorized(VerifyError),
    /// 400: the body is not a Postal webhook.
    BadRequest(ParseError),
    /// 400: the body could not be read (the connection failed mid-body).
    BodyRead(String),
    /// 500: the receiver itself failed (a bug; Postal retries).
    Internal(String),
}

impl ReceiveError {
    /// The HTTP status to answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            ReceiveError::MethodNotAllowed { .. } => 405,
            ReceiveError::PayloadTooLarge { .. } => 413,
            ReceiveError::UnsupportedMediaType { .. } => 415,
            ReceiveError::Unauthorized(_) => 401,
            ReceiveError::BadRequest(_) | ReceiveError::BodyRead(_) => 400,
            ReceiveError::Internal(_) => 500,
        }
    }
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiveError::MethodNotAllowed { method } => {
                write!(
                    f,
                    "method {method} not allowed: Postal sends webhooks with POST"
                )
            }
            ReceiveError::PayloadTooLarge {
                limit,
                length: Some(length),
            } => {
                write!(
                    f,
                    "body of {length} bytes is over the limit of {limit} bytes"
                )
            }
            ReceiveError::PayloadTooLarge {
                limit,
                length: None,
            } => {
                write!(f, "body is over the limit of {limit} bytes")
            }
            ReceiveError::UnsupportedMediaType {
                content_type: Some(content_type),
            } => write!(
                f,
                "unsupported Content-Type `{content_type}`: Postal sends application/json"
            ),
            ReceiveError::UnsupportedMediaType { content_type: None } => {
                f.write_str("missing Content-Type: Postal sends application/json")
            }
            ReceiveError::Unauthorized(error) => {
                write!(f, "signature verification failed: {error}")
            }
            ReceiveError::BadRequest(error) => write!(f, "invalid webhook body: {error}"),
            ReceiveError::BodyRead(error) => write!(f, "could not read the body: {error}"),
            ReceiveError::Internal(error) => write!(f, "internal error: {error}"),
        }
    }
}

impl std::error::Error for ReceiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReceiveError::Unauthorized(error) => Some(error),
            ReceiveError::BadRequest(error) => Some(error),
            _ => None,
        }
    }
}

/// Logs why a request was refused, without any value taken from the body.
///
/// A [`ParseError`]'s message can quote a payload value (serde says `invalid type: string
/// "jane@example.net", expected u64`), so a bad body is logged by kind, path, line and
/// column only. The other refusals quote only the request line and headers.
fn log_refusal(error: &ReceiveError) {
    let status = error.http_status();
    match error {
        ReceiveError::BadRequest(parse) => tracing::info!(
            status,
            kind = ?parse.kind(),
            path = parse.path().unwrap_or("(top level)"),
            line = parse.line(),
            column = parse.column(),
            "postal webhook refused: invalid body"
        ),
        _ => tracing::info!(status, error = %error, "postal webhook refused"),
    }
}

/// A receiver's answer: the status, a short text body, and what happened.
///
/// ```
/// use postal_hooks::{Dispatcher, Receiver, Verifier, events::MessageBounced};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// # let body: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
/// # let headers = [("Content-Type", "application/json"), ("X-Postal-Signature-256", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json.sig256")).trim())];
/// let dispatcher = Dispatcher::builder().without_registered_handlers().on(|_: &MessageBounced| {}).build()?;
/// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
/// let reply = receiver.receive_blocking("POST", &headers, body);
/// // Answer Postal with the status and body; the report says what ran.
/// assert_eq!((reply.status(), reply.body()), (200, "ok: 1 handler(s) ran"));
/// assert_eq!(reply.report().map(|report| report.runs().len()), Some(1));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    body: String,
    outcome: Result<Report, ReceiveError>,
}

impl Reply {
    pub(crate) fn from_report(report: Report) -> Self {
        let body = if let Some(not_run) = report.not_run() {
            not_run.to_string()
        } else if report.is_unhandled() {
            format!("ok: no handler for {} (acknowledged)", report.event())
        } else if report.is_success() {
            let skipped = report
                .runs()
                .iter()
                .filter(|run| *run.outcome() == crate::Outcome::Skipped)
                .count();
            match skipped {
                0 => format!("ok: {} handler(s) ran", report.runs().len()),
                _ => format!(
                    "ok: {} handler(s) ran, {skipped} already done",
                    report.runs().len() - skipped
                ),
            }
        } else {
            format!(
                "{} of {} handler(s) failed; Postal will retry",
                report.failures().count(),
                report.runs().len()
            )
        };
        Reply {
            status: report.http_status(),
            body,
            outcome: Ok(report),
        }
    }

    /// The reply for a request refused with `error`.
    pub fn from_error(error: ReceiveError) -> Self {
        log_refusal(&error);
        Reply {
            status: error.http_status(),
            body: error.to_string(),
            outcome: Err(error),
        }
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A short text for the response body (Postal ignores it; its webhook log shows it).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The dispatch report, when the request got that far.
    pub fn report(&self) -> Option<&Report> {
        self.outcome.as_ref().ok()
    }

    /// Why the request was refused before dispatch, if it was.
    pub fn error(&self) -> Option<&ReceiveError> {
        self.outcome.as_ref().err()
    }

    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}
