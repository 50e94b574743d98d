//! **Receive, verify and route Postal webhooks.**
//!
//! `postal-hooks` turns the bytes [Postal](https://postalserver.io) sends to a webhook URL
//! into typed Rust values and runs your handlers for them: annotate plain functions with
//! [`#[on_event]`](on_event), hand each request body to a [`Dispatcher`], and answer Postal
//! with the status of the [`Report`].
//!
//! ```rust,standalone_crate
//! use postal_hooks::{on_event, Dispatcher, events::MessageBounced};
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
//! // The exact body Postal 3.3.6 sends for a bounce (compact, no trailing newline).
//! let body = br#"{"event":"MessageBounced","timestamp":1714057204.220918,"payload":{"original_message":{"id":48213,"token":"Xq8vT2mLp0aZ3kNc","direction":"outgoing","message_id":"7f3c2a10@acme.example","to":"jane.doe@example.net","from":"notifications@acme.example","subject":"Your receipt #1042","timestamp":1714053600.482913,"spam_status":"NotChecked","tag":"receipt"},"bounce":{"id":48390,"token":"Pz7Gm4Vt1Rk9Cy2L","direction":"incoming","message_id":"20240425144003.5A1B2C3D4E@mx1.example.net","to":"kxwqzt@psrp.acme.example","from":"","subject":"Undelivered Mail Returned to Sender","timestamp":1714057203.905127,"spam_status":"NotSpam","tag":null}},"uuid":"7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73"}"#;
//!
//! let dispatcher = Dispatcher::builder().build()?; // once, at startup
//! let report = dispatcher.dispatch_blocking(body)?; // or `.dispatch(body).await`
//! assert_eq!(report.runs()[0].handler().name(), "suppress");
//! assert_eq!(report.http_status(), 200);
//! # Ok(()) }
//! ```
//!
//! ## Registering handlers
//!
//! [`#[on_event(EventName)]`](on_event) on a `fn` or `async fn` registers it at link time.
//! The first argument is the event (`&MessageBounced`, or `&Event` for `*`); after it a
//! handler may take [`&Meta`](Meta) (uuid, timestamp, event name) and [`State<T>`]
//! (shared state given to the builder). It returns `()` or `Result<(), E>`.
//!
//! **A crate that nothing references is not linked, and its handlers vanish.** If your
//! handlers live in a library crate, name it once in the binary: `use my_handlers as _;`.
//! [`Dispatcher::handlers`] lists what is registered: log it at startup. Where link-time
//! registration is unavailable, add closures with [`DispatcherBuilder::on`].
//!
//! ## Dispatching
//!
//! [`Dispatcher::dispatch`] parses a body once and runs every matching handler in a
//! documented order; an error or a panic in one handler is recorded in the [`Report`] and
//! does not stop the others. [`Report::http_status`] is 200 when all succeeded (or none
//! matched) and 500 otherwise, so Postal retries. [`dispatch()`] is the one-line form over
//! a default dispatcher; [`Dispatcher::dispatch_blocking`] needs no async runtime.
//!
//! ## Parsing
//!
//! [`Envelope::parse`] reads a request body in one pass. [`Event::from_payload`] parses a bare
//! payload, the shape Postal's docs show. Nullable fields are `Option`, closed value sets are
//! enums with an `Other(String)` arm, an unknown event becomes [`Event::Unknown`], and every
//! failure is a [`ParseError`] that names the field path or the line and column.
//!
//! ## Limitations
//!
//! `#[on_event]` cannot register an associated fn inside an `impl` block (rustc reports an
//! error there); use a free fn. Handlers run one after another, in the calling task.

#![deny(missing_docs)]

mod block_on;
mod build_error;
mod builder;
mod catch;
mod dispatch;
mod envelope;
mod error;
mod event;
pub mod events;
mod extract;
mod handler;
mod outcome;
mod param;
mod report;
mod timestamp;

#[doc(hidden)]
pub mod __private;

pub use build_error::{BuildError, BuildProblem};
pub use builder::DispatcherBuilder;
pub use dispatch::{DispatchError, Dispatcher, default_dispatcher, dispatch};
pub use envelope::Envelope;
pub use error::{ParseError, ParseErrorKind};
pub use event::{Event, RawPayload};
pub use extract::{Meta, State};
pub use handler::{EventFilter, HandlerInfo, HandlerKind, Location};
pub use outcome::{HandlerError, IntoOutcome};
pub use param::{EventParam, ParamFor};
pub use report::{HandlerRun, Outcome, Report};
pub use timestamp::Timestamp;

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
///   that nothing references is not linked, so its handlers silently vanish. In the binary,
///   name each crate of handlers once: `use my_handlers as _;`, and check
///   [`Dispatcher::handlers`] at startup. Keep handlers in library targets or in the binary
///   itself.
/// - **Not inside `impl` blocks.** The attribute cannot see that a fn is an associated fn;
///   rustc then reports "`const` items in this context need a name". Use a free fn.
/// - **Process-wide.** Every dispatcher built with the registry sees every linked handler.
///   For isolated tests, use
///   [`without_registered_handlers`](DispatcherBuilder::without_registered_handlers) and
///   closures.
/// - Set `POSTAL_HOOKS_MACROS_DEBUG=1` while building to print each expansion to stderr.
pub use postal_hooks_macros::on_event;
