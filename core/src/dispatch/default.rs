//! The one-line entry point: [`dispatch()`] over a [`default_dispatcher`] built on first use.

use std::sync::OnceLock;

use http::StatusCode;

use super::dispatcher::Dispatcher;
use super::report::Report;
use crate::parse::ParseError;
use crate::registry::BuildError;

/// The dispatcher behind [`dispatch`](crate::dispatch()), built on first use from every
/// `#[on_event]` handler linked into the program (no state, at least one handler).
///
/// ```rust,standalone_crate
/// use postal_hooks::{on_event, events::MessageSent};
///
/// #[on_event(MessageSent)]
/// fn delivered(_sent: &MessageSent) {}
///
/// # fn main() {
/// match postal_hooks::default_dispatcher() {
///     Ok(dispatcher) => assert_eq!(dispatcher.handlers().count(), 1),
///     Err(error) => panic!("handler setup is broken: {error}"),
/// }
/// # }
/// ```
///
/// # Errors
///
/// The [`BuildError`] of that first build, every time.
pub fn default_dispatcher() -> Result<&'static Dispatcher, &'static BuildError> {
    static DEFAULT: OnceLock<Result<Dispatcher, BuildError>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Dispatcher::builder().build())
        .as_ref()
}

/// Parses `body` and runs every `#[on_event]` handler linked into the program: the
/// one-line entry point. Uses [`default_dispatcher`]; build your own [`Dispatcher`] to give
/// handlers state or to add closures.
///
/// ```no_run,standalone_crate
/// use postal_hooks::{on_event, events::MessageBounced};
///
/// #[on_event(MessageBounced)]
/// fn suppress(bounce: &MessageBounced) {
///     println!("suppress {:?}", bounce.original_message.to);
/// }
///
/// # async fn receive(body: &[u8]) {
/// match postal_hooks::dispatch(body).await {
///     Ok(report) => println!("{report}"),
///     Err(error) => eprintln!("{error}"),
/// }
/// # }
/// ```
///
/// # Errors
///
/// [`DispatchError::Parse`] for a body that does not parse, [`DispatchError::Setup`] when
/// the default dispatcher cannot be built (a handler needs state, or none is linked).
pub async fn dispatch(body: &[u8]) -> Result<Report, DispatchError> {
    let dispatcher = default_dispatcher().map_err(DispatchError::Setup)?;
    dispatcher
        .dispatch(body)
        .await
        .map_err(DispatchError::Parse)
}

/// Why [`dispatch`](crate::dispatch()) ran no handler.
///
/// ```
/// use postal_hooks::DispatchError;
///
/// async fn status_for(body: &[u8]) -> postal_hooks::StatusCode {
///     match postal_hooks::dispatch(body).await {
///         Ok(report) => report.http_status(),
///         Err(error @ DispatchError::Parse(_)) => {
///             eprintln!("not a Postal webhook: {error}");
///             error.http_status() // 400
///         }
///         Err(error) => {
///             eprintln!("handler setup is broken: {error}");
///             error.http_status() // 500
///         }
///     }
/// }
/// ```
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The body is not a Postal webhook body (answer 400).
    #[error("invalid webhook body: {0}")]
    Parse(#[source] ParseError),
    /// The default dispatcher could not be built (a setup error: answer 500).
    #[error(transparent)]
    Setup(&'static BuildError),
}

impl DispatchError {
    /// The HTTP status to answer with: 400 for a bad body, 500 for a setup error.
    pub fn http_status(&self) -> StatusCode {
        match self {
            DispatchError::Parse(_) => StatusCode::BAD_REQUEST,
            DispatchError::Setup(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

crate::error_report::debug_as_report!(DispatchError);
