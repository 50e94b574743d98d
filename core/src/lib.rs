//! **Receive, verify and route Postal webhooks.**
//!
//! `postal-hooks` turns the bytes [Postal](https://postalserver.io) sends to a webhook URL
//! into typed Rust values and runs your handlers for them: annotate plain functions with
//! [`#[on_event]`](on_event), give each request's headers and raw body to a [`Receiver`],
//! and answer Postal with the status of its [`Reply`].
//!
//! ```rust,standalone_crate
//! use postal_hooks::{on_event, Dispatcher, Receiver, Verifier, events::MessageBounced};
//!
//! #[derive(Debug)]
//! struct SuppressionError;
//! # impl std::fmt::Display for SuppressionError {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("suppression failed") }
//! # }
//! # impl std::error::Error for SuppressionError {}
//!
//! #[on_event(MessageBounced)]
//! async fn suppress(bounce: &MessageBounced) -> Result<(), SuppressionError> {
//!     println!("suppress {:?}", bounce.original_message.to);
//!     Ok(())
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let postal_public_key = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
//! # // The exact body and headers Postal 3.3.6 sends for a bounce, signed with the test key.
//! # let body: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json"));
//! # let headers = [
//! #     ("Content-Type", "application/json"),
//! #     ("X-Postal-Signature-Kid", "78d66404005aa63fe93defe2de44269a737a434d6a7c06a8d0f0f4db7da9d7b8"),
//! #     ("X-Postal-Signature-256", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageBounced.json.sig256")).trim()),
//! # ];
//! // Once, at startup: every #[on_event] handler, and Postal's public key.
//! let dispatcher = Dispatcher::builder().build()?;
//! let receiver = Receiver::new(dispatcher, Verifier::from_key_text(postal_public_key)?);
//! # // The captured sample dates from 2024, long past the 12-hour replay window.
//! # let receiver = receiver.with_replay_window(None);
//!
//! // Per request, in any web framework: headers and the raw body bytes in.
//! let reply = receiver.receive_blocking(&headers, body); // or `.receive(..).await`
//! assert_eq!(reply.status(), 200);
//! assert_eq!(reply.report().unwrap().runs()[0].handler().name(), "suppress");
//! # Ok(()) }
//! ```
//!
//! ## The data path
//!
//! A request travels through one module per stage, and each stage uses only the ones
//! before it:
//!
//! | stage | module | what happens |
//! |---|---|---|
//! | 1. receive | [`Receiver`], adapters | method, size and `Content-Type` checked, body read |
//! | 2. verify | [`verify`] | `X-Postal-Signature-256` checked over the raw bytes |
//! | 3. parse | [`Envelope`], [`events`] | the body becomes a typed [`Event`], or a [`ParseError`] |
//! | 4. route | [`Dispatcher::handlers`] | the handlers registered for that event, in order |
//! | 5. run | [`Dispatcher`], [`dedupe`] | each handler runs once per uuid, isolated from the others (or later, in the workers of an `inbox`) |
//! | 6. answer | [`Report`], [`Reply`] | one status, headers and body for Postal |
//!
//! Across the stages, [`observe`] records each answer (one log line, metrics) and the
//! `inspect` module (feature `inspector`) shows the recent ones on a page.
//!
//! ## Receiving, in any framework
//!
//! [`Receiver::receive`] takes any [`Headers`] (`http::HeaderMap`, `(name, value)` pairs)
//! and the raw body: that is all a framework needs to provide. Ready-made adapters, each
//! behind its cargo feature: `axum` (a route and a `VerifiedWebhook` extractor), `actix`
//! (a `Resource`), `tower` (a `Service`, for hyper). `testing` adds a [`Signer`](testing)
//! that signs bodies like Postal, with Postal's test key and sample bodies.
//! [`config::Config::from_env`] reads a deployment's settings.
//!
//! ## Verifying signatures
//!
//! Postal signs every webhook with its installation's RSA key. A [`Verifier`] holds
//! Postal's public key, read once from PEM, the JWKS document at
//! `/.well-known/jwks.json` or the DNS record ([`PublicKey`]); it checks
//! `X-Postal-Signature-256` over the raw body, picks the key by `X-Postal-Signature-Kid`,
//! accepts keys from 1024 bits (the size Postal's installer generates) and accepts the
//! legacy SHA-1 signature only when told to. It cannot be built without a key.
//!
//! ## Parsing
//!
//! [`Envelope::parse`] reads a request body in one pass. [`Event::from_payload`] parses a bare
//! payload, the shape Postal's docs show. Nullable fields are `Option`, closed value sets are
//! enums with an `Other(String)` arm, an unknown event becomes [`Event::Unknown`], and every
//! failure is a [`ParseError`] that names the field path or the line and column. An
//! envelope `uuid` that would break deduplication or logs (empty, over 64 bytes, or with
//! characters other than letters, digits and `-_.:`) is refused the same way.
//!
//! ## Registering handlers
//!
//! [`#[on_event(EventName)]`](on_event) on a `fn` or `async fn` registers it at link time.
//! The first argument is the event (`&MessageBounced`, or `&Event` for `*`); after it a
//! handler may take [`&Meta`](Meta) (uuid, timestamp, event name) and [`State<T>`]
//! (shared state given to the builder). It returns `()` or `Result<(), E>`.
//!
//! **A crate that nothing references is not linked, and its handlers vanish.** If your
//! handlers live in a library crate, name it once in the binary: `use my_handlers as _;`,
//! and state it with [`DispatcherBuilder::expect_crate`]: if it was dropped anyway,
//! `build()` fails and names it.
//! [`Dispatcher::handlers`] lists what is registered: log it at startup. Where link-time
//! registration is unavailable, add closures with [`DispatcherBuilder::on`].
//!
//! ## Dispatching
//!
//! [`Dispatcher::dispatch`] parses a body once and runs every matching handler in a
//! documented order; an error or a panic in one handler is recorded in the [`Report`] and
//! does not stop the others. [`dispatch()`] is the one-line form over a default
//! dispatcher; [`Dispatcher::dispatch_blocking`] needs no async runtime.
//!
//! ## Exactly once, across retries and replicas
//!
//! Postal delivers at least once: it retries anything without a 2xx within 5 s, with the
//! same `uuid`. The dispatcher keeps an idempotency record per uuid ([`dedupe`]): a handler
//! that succeeded is skipped on a retry ("skipped: already done for this uuid"), only failed
//! handlers run again, a duplicate arriving while the first is still running gets 409
//! (unless nothing is left for it to run), and
//! an unreachable store gets 503, never a silent skip. The in-memory store is the default;
//! `dedupe::RedisStore` (feature `redis`) shares the records between replicas. A delivery's
//! store calls share one deadline ([`DispatcherBuilder::store_deadline`], 3 s), so a store
//! that stops answering is answered inside Postal's 5 s. Opt out with
//! [`DispatcherBuilder::without_dedupe`], or per handler with
//! `#[on_event(.., dedupe = false)]`.
//!
//! ## Answering at once, handling durably
//!
//! Inline (the default), a `200` means every handler succeeded. With an inbox (feature
//! `inbox`), [`Receiver::with_inbox`] stores each verified delivery durably (an embedded
//! SQLite file, or Redis for replicas) and answers `200` at once; workers run the same
//! handlers in the background, retried with backoff for days, then dead-lettered. Use it
//! when handlers are slow, downstreams go down for longer than Postal's 36 minutes of
//! retries, or an event must survive a crash. See the `inbox` module.
//!
//! ## Answering Postal
//!
//! [`Report::http_status`] is 200 when every handler succeeded (or none matched) and 500
//! otherwise, so Postal retries; 409 and 503 come from deduplication. A [`Reply`] carries
//! that status, or the refusal's ([`ReceiveError::http_status`]: 401, 400, 405, 413, 415),
//! with the headers and the one-line [`Report::summary`] every adapter sends. Statuses are
//! [`StatusCode`]s. Errors keep their typed causes as `source()`. Their `Debug` is their
//! message and any cause it does not quote (never the enum's structure), so an error
//! returned from `fn main() -> Result<(), Box<dyn Error>>` prints its sentence:
//! `Error: POSTAL_PUBLIC_KEY is not set, and webhooks cannot be verified…`.
//!
//! ## Seeing what happened
//!
//! Every answer is one `INFO` line (target `postal_hooks::request`) naming the event, uuid,
//! status, duration and which handlers ran, were skipped or failed, or the refusal's kind;
//! never a payload value. **Nothing is printed until the application installs a
//! subscriber**: `tracing-subscriber` (`tracing_subscriber::fmt().with_env_filter(..)`), or,
//! for an app that uses `log`, any `log` logger (`env_logger`): this crate enables
//! `tracing`'s `log` feature, so without a `tracing` subscriber every event is also a `log`
//! record. Counters and histograms go through the `metrics` facade to whatever exporter the
//! app installs. Names and fields: [`observe`]. The `inspector` feature adds a page, mounted
//! in your axum app, listing recent deliveries and their handlers' outcomes, with retry
//! actions (`inspect`).
//!
//! ## Limitations
//!
//! `#[on_event]` cannot register an associated fn inside an `impl` block (rustc reports an
//! error there); use a free fn. Handlers run one after another, in the calling task. The
//! registry is process-wide: isolate unit tests with
//! [`without_registered_handlers`](DispatcherBuilder::without_registered_handlers).

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The data path, in the order a request travels; each stage imports only from the ones
// above it.
mod headers;
pub mod verify;
pub mod events;
mod parse;
mod handler;
mod registry;
mod dispatch;
mod receiver;
pub mod dedupe;
mod adapters;
// Cross-cutting.
pub mod config;
mod deploy;
pub mod observe;
#[cfg(feature = "inbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
pub mod inbox;
#[cfg(feature = "inspector")]
#[cfg_attr(docsrs, doc(cfg(feature = "inspector")))]
pub mod inspect;
mod shared_error;
mod crypto;
mod redact_url;
mod error_report;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
#[doc(hidden)]
pub mod __private;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub use adapters::actix;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use adapters::axum;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use adapters::tower;
pub use deploy::{DeployError, Deployment};
pub use dispatch::{
    DispatchError, Dispatcher, DispatcherBuilder, HandlerRun, NotRun, Outcome, Report,
    default_dispatcher, dispatch,
};
pub use events::{Event, RawPayload, Timestamp};
pub use handler::{
    EventFilter, EventParam, HandlerError, HandlerErrorType, HandlerInfo, HandlerKind,
    IntoHandlerResult, Location, Meta, ParamFor, State,
};
pub use headers::Headers;
/// HTTP statuses, as [`Reply::status`] and the `http_status` of reports and errors give
/// them (re-exported from the `http` crate).
pub use http::StatusCode;
pub use parse::{Envelope, ParseError, ParseErrorKind};
pub use receiver::{DEFAULT_MAX_BODY_BYTES, DEFAULT_REPLAY_WINDOW, ReceiveError, Receiver, Reply};
pub use registry::{BuildError, BuildProblem};
pub use shared_error::SharedError;
pub use verify::{
    KeyError, MAX_KEY_BITS, MIN_KEY_BITS, PublicKey, SIGNATURE_256, SIGNATURE_KID, SIGNATURE_SHA1,
    Verified, Verifier, VerifyError,
};

/// Registers a fn as the handler of one or more Postal events.
///
/// ```rust,standalone_crate
/// use postal_hooks::{on_event, Meta, State, events::{Delivery, MessageBounced}};
///
/// struct Db;
/// impl Db {
///     async fn suppress(&self, _address: &str) -> Result<(), std::io::Error> { Ok(()) }
/// }
///
/// // One event; async, with shared state and a fallible result.
/// #[on_event(MessageBounced)]
/// async fn suppress(bounce: &MessageBounced, db: State<Db>) -> Result<(), std::io::Error> {
///     if let Some(address) = &bounce.original_message.to {
///         db.suppress(address).await?;
///     }
///     Ok(())
/// }
///
/// // Several events sharing a payload type, with the request's metadata.
/// #[on_event(MessageSent, MessageDelayed, MessageDeliveryFailed, MessageHeld)]
/// fn track(delivery: &Delivery, meta: &Meta) {
///     println!("{} {}: {}", meta.event(), delivery.message.id, delivery.status);
/// }
///
/// // Every event, including ones this version does not know.
/// #[on_event(*)]
/// fn audit(event: &postal_hooks::Event, meta: &Meta) {
///     println!("{} {:?}", event.name(), meta.uuid());
/// }
///
/// # fn main() {
/// let dispatcher = postal_hooks::Dispatcher::builder().state(Db).build().unwrap();
/// assert_eq!(dispatcher.handlers().count(), 3);
/// # }
/// ```
///
/// # Arguments
///
/// `#[on_event(A, B, …)]` takes Postal event names (`MessageSent`, `MessageDelayed`,
/// `MessageDeliveryFailed`, `MessageHeld`, `MessageBounced`, `MessageLinkClicked`,
/// `MessageLoaded`, `DomainDNSError`, `SendLimitApproaching`, `SendLimitExceeded`), each
/// once, or `*` alone for every event. The macro checks the names itself (a typo gets a
/// "did you mean"), so you import only the type your fn takes.
///
/// # The handler
///
/// - a free `fn` or `async fn` (its future must be `Send`), not generic, not a method;
/// - first argument: the event by reference. `&E` for the event `E`; `&Event` for any list
///   and for `*`; or a payload every listed event shares: `&Delivery` (the four delivery
///   events), `&SendLimit` (both send-limit events), `&Message` (delivery and tracking
///   events);
/// - then, in any order: `&Meta` (uuid, timestamp, event name) and `State<T>` (a value given
///   to [`DispatcherBuilder::state`]; a missing one fails [`DispatcherBuilder::build`]);
/// - returns `()` or `Result<(), E>` for an `E` that converts into
///   `Box<dyn Error + Send + Sync>` (any error type, `anyhow::Error`, `String`).
///
/// # Options
///
/// After the names: `dedupe = false` makes the handler run on every delivery of an event,
/// retries included, for a handler that is naturally idempotent (see [`dedupe`]):
/// `#[on_event(MessageLoaded, dedupe = false)]`.
///
/// The fn stays an ordinary fn you can call and test directly. Mistakes are compile errors
/// on your own tokens:
///
/// ```compile_fail
/// use postal_hooks::{on_event, events::MessageBounced};
///
/// #[on_event(MessageBounce)] // error: unknown Postal event `MessageBounce`: did you mean `MessageBounced`?
/// fn suppress(bounce: &MessageBounced) {}
/// ```
///
/// ```compile_fail
/// use postal_hooks::{on_event, events::MessageBounced};
///
/// #[on_event(MessageSent)]
/// fn suppress(bounce: &MessageBounced) {} // error: a handler for `MessageSent` cannot take `&MessageBounced`
/// ```
///
/// # Limitations
///
/// - **The crate must be linked.** Registration happens at link time, and a library crate
///   that nothing references is not linked, so its handlers would silently vanish. In the
///   binary, name each crate of handlers once: `use my_handlers as _;`, and state it with
///   [`DispatcherBuilder::expect_crate`], which fails the build of the dispatcher, naming
///   the crate, when it was not linked. Keep handlers in library targets or in the binary
///   itself.
/// - **Not inside `impl` blocks.** The attribute cannot see that a fn is an associated fn;
///   rustc then reports "`const` items in this context need a name". Use a free fn.
/// - **Process-wide.** Every dispatcher built with the registry sees every linked handler.
///   For isolated tests, use
///   [`without_registered_handlers`](DispatcherBuilder::without_registered_handlers) and
///   closures.
/// - Set `POSTAL_HOOKS_MACROS_DEBUG=1` while building to print each expansion to stderr.
pub use postal_hooks_macros::on_event;
