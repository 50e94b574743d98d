//! [`Receiver`]: the whole webhook endpoint, framework-agnostic: headers and raw body in,
//! an HTTP status and a short body out.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tracing::Instrument;

use super::checks::{check_content_type, check_length, check_method};
use super::error::ReceiveError;
use super::replay::{DEFAULT_REPLAY_WINDOW, check_window};
use super::reply::Reply;
use crate::dispatch::{Dispatcher, block_on};
use crate::headers::Headers;
use crate::observe::observe_reply;
use crate::parse::Envelope;
use crate::verify::{Verifier, VerifyError};

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
/// let reply = receiver.receive_blocking(&[("Content-Type", "application/json")], &too_big);
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
/// | 400 | the body is not a Postal webhook, or its signed `timestamp` is older than the [replay window](Self::with_replay_window) (12 hours by default) |
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

#[derive(Clone)]
struct Inner {
    dispatcher: Dispatcher,
    verifier: Verifier,
    max_body_bytes: usize,
    replay_window: Option<Duration>,
    #[cfg(feature = "inbox")]
    inbox: Option<crate::inbox::Inbox>,
    #[cfg(feature = "inspector")]
    inspector: Option<crate::inspect::Inspector>,
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
                replay_window: Some(DEFAULT_REPLAY_WINDOW),
                #[cfg(feature = "inbox")]
                inbox: None,
                #[cfg(feature = "inspector")]
                inspector: None,
            }),
        }
    }

    /// Sets the largest body accepted (413 above it).
    #[must_use]
    pub fn with_max_body_bytes(self, limit: usize) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.max_body_bytes = limit;
        Receiver {
            inner: Arc::new(inner),
        }
    }

    /// Refuses verified deliveries whose signed envelope `timestamp` is more than `window`
    /// old, with 400 ([`ReceiveError::Stale`]); `None` turns the check off. The default is
    /// [`DEFAULT_REPLAY_WINDOW`] (12 hours).
    ///
    /// Postal signs the body and nothing else (SPEC §3.5): a captured request verifies
    /// forever, and deduplication on its `uuid` stops a replay only while the uuid's record
    /// is kept. Keep the idempotency store's retention at least as long as the window (the
    /// defaults are equal), so that every replay meets one or the other.
    ///
    /// **A genuine delivery is never refused inside the window**, however late: Postal's
    /// `timestamp` is when it queued the request, the same on every retry, and its retries
    /// end about 36 minutes after the first attempt (SPEC §4). Shorten the window only to
    /// what Postal's queue could be backlogged by, plus that. The check uses this
    /// machine's clock; a timestamp ahead of it is accepted. It is made after the
    /// signature is verified, so the refusal says nothing to a forger.
    /// [`Envelope::parse`] and the [`Dispatcher`] make no clock checks; replaying old
    /// fixtures through them needs no setting.
    ///
    /// Setting: `POSTAL_HOOKS_REPLAY_WINDOW` (humantime, or `off`) in
    /// [`Config`](crate::config::Config).
    ///
    /// ```
    /// use postal_hooks::{Dispatcher, ReceiveError, Receiver, Verifier};
    /// use std::time::Duration;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
    /// # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
    /// // A delivery Postal signed in 2024, captured and sent again: genuine, but stale.
    /// let captured: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
    /// let signature = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json.sig256"));
    /// let headers = [("Content-Type", "application/json"), ("X-Postal-Signature-256", signature.trim())];
    ///
    /// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?)
    ///     .with_replay_window(Some(Duration::from_secs(6 * 60 * 60)));
    /// let reply = receiver.receive_blocking(&headers, captured);
    /// assert_eq!(reply.status(), 400);
    /// assert!(matches!(reply.error(), Some(ReceiveError::Stale { .. })));
    ///
    /// // Tests that replay captured fixtures turn the window off.
    /// let receiver = receiver.with_replay_window(None);
    /// assert_eq!(receiver.receive_blocking(&headers, captured).status(), 200);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_replay_window(self, window: Option<Duration>) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.replay_window = window;
        Receiver {
            inner: Arc::new(inner),
        }
    }

    /// How old a delivery's signed `timestamp` may be, if there is a limit (see
    /// [`with_replay_window`](Self::with_replay_window)).
    pub fn replay_window(&self) -> Option<Duration> {
        self.inner.replay_window
    }

    /// Stores each verified delivery in `inbox` and answers `200 ok: queued` once it is
    /// durable, instead of running the handlers in the request: workers started with
    /// [`Inbox::start`](crate::inbox::Inbox::start) run them (feature `inbox`).
    ///
    /// With an inbox, the statuses are: 200 once stored (or when a delivery with the same
    /// uuid already is), 503 when the inbox is full or its storage fails
    /// ([`ReceiveError::Inbox`]), and the refusals before dispatch as without one (405,
    /// 413, 415, 401, 400). See [`inbox`](crate::inbox) for an example.
    #[cfg(feature = "inbox")]
    #[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
    #[must_use]
    pub fn with_inbox(self, inbox: crate::inbox::Inbox) -> Self {
        let mut inner = Inner::clone(&self.inner);
        inner.inbox = Some(inbox);
        #[cfg(feature = "inspector")]
        if let Some(inspector) = &inner.inspector {
            inspector.attach(&inner.dispatcher, inner.inbox.as_ref());
        }
        Receiver {
            inner: Arc::new(inner),
        }
    }

    /// Shows this receiver's deliveries in `inspector`: each answer is kept in its ring
    /// (inline), or read from the inbox (with one), and the inspector's retry actions use
    /// this receiver's dispatcher and inbox (feature `inspector`). Call it after
    /// [`with_inbox`](Self::with_inbox), or before: the last attachment wins.
    ///
    /// A receiver without an inspector keeps nothing.
    #[cfg(feature = "inspector")]
    #[cfg_attr(docsrs, doc(cfg(feature = "inspector")))]
    #[must_use]
    pub fn with_inspector(self, inspector: &crate::inspect::Inspector) -> Self {
        let mut inner = Inner::clone(&self.inner);
        #[cfg(feature = "inbox")]
        inspector.attach(&inner.dispatcher, inner.inbox.as_ref());
        #[cfg(not(feature = "inbox"))]
        inspector.attach(&inner.dispatcher, None);
        inner.inspector = Some(inspector.clone());
        Receiver {
            inner: Arc::new(inner),
        }
    }

    /// The inbox deliveries are stored in, if any (feature `inbox`).
    #[cfg(feature = "inbox")]
    #[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
    pub fn inbox(&self) -> Option<&crate::inbox::Inbox> {
        self.inner.inbox.as_ref()
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
    ///
    /// Every answer is logged in one `INFO` line and counted (see [`observe`](crate::observe)),
    /// inside the span `postal_hooks.request`.
    ///
    /// Where `headers` and `body` come from: a framework built on the `http` crate hands
    /// over an `http::HeaderMap` and the body's bytes. In axum, a handler takes them as
    /// extractors (`headers: HeaderMap, body: Bytes`); in hyper, collect the body of the
    /// `Request<Incoming>` first. Never parse and re-serialise the body: the signature
    /// covers the exact bytes.
    ///
    /// ```
    /// use postal_hooks::Receiver;
    ///
    /// // The request as hyper or axum give it, its body collected into bytes.
    /// async fn answer(receiver: &Receiver, request: http::Request<Vec<u8>>) -> http::Response<String> {
    ///     let reply = receiver.receive(request.headers(), request.body()).await;
    ///     reply.into() // status, `content-type` and the one-line body, for Postal
    /// }
    /// ```
    pub async fn receive(&self, headers: &impl Headers, body: &[u8]) -> Reply {
        self.observed(None, headers, body).await
    }

    /// Answers one request, then logs and counts the answer (and keeps it for the
    /// inspector), all inside the request's span.
    async fn observed(&self, method: Option<&str>, headers: &impl Headers, body: &[u8]) -> Reply {
        let start = Instant::now();
        let span = tracing::info_span!("postal_hooks.request");
        async {
            let reply = match method.map(check_method) {
                Some(Err(error)) => Reply::refused(error),
                _ => self.answer(headers, body).await,
            };
            observe_reply(&reply, start.elapsed());
            #[cfg(feature = "inspector")]
            self.keep(&reply, body);
            reply
        }
        .instrument(span)
        .await
    }

    /// The reply to a request refused before [`receive`](Self::receive) could run: for an
    /// adapter whose checks fail before the body is read ([`check_before_body`]), or whose
    /// body read fails. Like every answer it is logged and counted inside the span
    /// `postal_hooks.request` (with a `duration_ms` of 0; see [`observe`](crate::observe)),
    /// and kept by the inspector, if any.
    ///
    /// [`check_before_body`]: Self::check_before_body
    ///
    /// ```
    /// use postal_hooks::{Dispatcher, Receiver, Verifier};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
    /// # let dispatcher = Dispatcher::builder().without_registered_handlers().allow_no_handlers().build()?;
    /// let receiver = Receiver::new(dispatcher, Verifier::from_key_text(key)?);
    /// // In an adapter, before reading the body:
    /// if let Err(refused) = receiver.check_before_body("PUT", &[("content-type", "application/json")], Some(12)) {
    ///     let reply = receiver.refuse(refused);
    ///     assert_eq!(reply.status(), 405);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn refuse(&self, error: ReceiveError) -> Reply {
        tracing::info_span!("postal_hooks.request").in_scope(|| {
            let reply = Reply::refused(error);
            observe_reply(&reply, std::time::Duration::ZERO);
            #[cfg(feature = "inspector")]
            self.keep(&reply, &[]);
            reply
        })
    }

    /// Keeps the answer in the inspector's ring, when there is one and no inbox (the inbox
    /// keeps its deliveries itself).
    #[cfg(feature = "inspector")]
    fn keep(&self, reply: &Reply, body: &[u8]) {
        let Some(inspector) = &self.inner.inspector else {
            return;
        };
        #[cfg(feature = "inbox")]
        if self.inner.inbox.is_some() {
            return;
        }
        inspector.record(reply, body);
    }

    /// The reply to one request, not observed yet.
    async fn answer(&self, headers: &impl Headers, body: &[u8]) -> Reply {
        let envelope = match self.verify_and_parse_refreshing(headers, body).await {
            Ok(envelope) => envelope,
            Err(error) => return Reply::refused(error),
        };
        #[cfg(feature = "inbox")]
        if let Some(inbox) = &self.inner.inbox {
            let meta = crate::handler::Meta::for_event(
                envelope.event(),
                Some(envelope.uuid().to_owned()),
                Some(envelope.timestamp()),
            );
            return match inbox.push(envelope, body).await {
                Ok(pushed) => Reply::from_pushed(pushed, meta),
                Err(error) => Reply::refused(ReceiveError::Inbox(error)),
            };
        }
        Reply::from_report(self.inner.dispatcher.dispatch_envelope(envelope).await)
    }

    /// [`receive`](Self::receive), after checking the method is `POST` (405 otherwise).
    pub async fn receive_request(
        &self,
        method: &str,
        headers: &impl Headers,
        body: &[u8],
    ) -> Reply {
        self.observed(Some(method), headers, body).await
    }

    /// [`receive`](Self::receive) for synchronous code, with the same arguments: no async
    /// runtime needed (see [`Dispatcher::dispatch_blocking`]).
    pub fn receive_blocking(&self, headers: &impl Headers, body: &[u8]) -> Reply {
        block_on(self.receive(headers, body))
    }

    /// [`receive_request`](Self::receive_request) for synchronous servers, with the same
    /// arguments: the method checked too (405 unless `POST`).
    pub fn receive_request_blocking(
        &self,
        method: &str,
        headers: &impl Headers,
        body: &[u8],
    ) -> Reply {
        block_on(self.receive_request(method, headers, body))
    }

    /// The checks an adapter makes before reading the body: the method, the declared
    /// `Content-Length` against [`max_body_bytes`](Self::max_body_bytes), and the content
    /// type.
    ///
    /// # Errors
    ///
    /// The [`ReceiveError`] to answer with.
    pub fn check_before_body(
        &self,
        method: &str,
        headers: &impl Headers,
        content_length: Option<u64>,
    ) -> Result<(), ReceiveError> {
        check_method(method)?;
        check_length(self.inner.max_body_bytes, content_length)?;
        check_content_type(headers)
    }

    /// [`verify_and_parse`](Self::verify_and_parse), and when the request names a KID the
    /// key set lacks and the keys come from Postal's JWKS URL
    /// ([`Verifier::from_jwks_url`]), fetches them again (at most once per refresh
    /// interval) and verifies once more: how a key rotated on Postal's side is accepted
    /// without a restart. [`receive`](Self::receive) and the adapters' extractors use it.
    ///
    /// # Errors
    ///
    /// As [`verify_and_parse`](Self::verify_and_parse).
    pub async fn verify_and_parse_refreshing(
        &self,
        headers: &impl Headers,
        body: &[u8],
    ) -> Result<Envelope, ReceiveError> {
        match self.verify_and_parse(headers, body) {
            Err(ReceiveError::Unauthorized(VerifyError::UnknownKid { .. }))
                if self.inner.verifier.jwks_url().is_some() =>
            {
                // Changed or not (another request's refresh may have landed meanwhile),
                // the KID is looked up again; the RSA check runs only once it is known.
                self.inner.verifier.refresh_keys().await;
                self.verify_and_parse(headers, body)
            }
            result => result,
        }
    }

    /// Checks limits, content type and signature, then parses and checks the
    /// [replay window](Self::with_replay_window): everything but dispatch.
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
        check_length(self.inner.max_body_bytes, Some(body.len() as u64))?;
        check_content_type(headers)?;
        self.inner
            .verifier
            .check(headers, body)
            .map_err(ReceiveError::Unauthorized)?;
        let envelope = Envelope::parse(body).map_err(ReceiveError::BadRequest)?;
        check_window(self.inner.replay_window, &envelope, SystemTime::now())?;
        Ok(envelope)
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("verifier", &self.inner.verifier)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .field("replay_window", &self.inner.replay_window)
            .finish_non_exhaustive()
    }
}
