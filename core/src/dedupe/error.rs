//! [`StoreError`]: the idempotency store could not be reached or answered wrongly.

use crate::shared_error::{SharedError, prefixed};

/// The store could not be reached or answered wrongly: the delivery is refused with 503
/// so Postal retries, rather than run without the check.
///
/// ```
/// use postal_hooks::dedupe::StoreError;
///
/// // In an `IdempotencyStore` implementation, when the backend does not answer:
/// let error = StoreError::new("connection refused (10.0.0.5:6379)");
/// assert_eq!(error.to_string(), "idempotency store unavailable: connection refused (10.0.0.5:6379)");
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "idempotency store unavailable: {context}{}",
    prefixed(": ", .source.as_ref())
)]
pub struct StoreError {
    context: String,
    source: Option<SharedError>,
}

impl StoreError {
    /// An error with this description.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            context: message.into(),
            source: None,
        }
    }

    /// An error caused by `source`, the backend's own error, kept as this error's
    /// `source()`: `StoreError::with_source("Redis claim", error)` reads
    /// `idempotency store unavailable: Redis claim: <error>`.
    ///
    /// ```
    /// use std::error::Error;
    /// use postal_hooks::dedupe::StoreError;
    ///
    /// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// let error = StoreError::with_source("Redis claim", refused);
    /// assert_eq!(error.to_string(), "idempotency store unavailable: Redis claim: connection refused");
    /// assert!(error.source().is_some_and(|cause| cause.to_string() == "connection refused"));
    /// ```
    pub fn with_source(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError {
            context: context.into(),
            source: Some(SharedError::new(source)),
        }
    }
}

crate::error_report::debug_as_report!(StoreError);
