//! What a handler returns: [`IntoHandlerResult`] turns `()` or `Result<(), E>` into the
//! handler's result, and [`HandlerError`] boxes any error it gave.

use std::error::Error;
use std::fmt;

/// A boxed error from a handler, as any error type converts to.
type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// The error a handler returned, boxed: any `std::error::Error + Send + Sync`, an
/// `anyhow::Error`, a `String` or a `&str` converts into it.
///
/// ```
/// use postal_hooks::HandlerError;
///
/// let err = HandlerError::from("database unavailable");
/// assert_eq!(err.to_string(), "database unavailable");
/// ```
pub struct HandlerError(BoxError);

impl HandlerError {
    /// Wraps any error.
    pub fn new(error: impl Into<BoxError>) -> Self {
        HandlerError(error.into())
    }

    /// The message with every `source()` appended: `outer: inner: root`.
    pub fn chain_message(&self) -> String {
        let mut message = self.0.to_string();
        let mut source = self.0.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        message
    }

    /// The underlying error.
    pub fn into_inner(self) -> BoxError {
        self.0
    }
}

impl<E: Into<BoxError>> From<E> for HandlerError {
    fn from(error: E) -> Self {
        HandlerError(error.into())
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A handler's return type: `()` or `Result<(), E>` for any `E` that converts into a boxed
/// error (`std::error::Error + Send + Sync + 'static`, `anyhow::Error`, `String`, `&str`).
///
/// ```
/// use postal_hooks::IntoHandlerResult;
///
/// assert!(().into_handler_result().is_ok());
/// assert!(Ok::<(), std::io::Error>(()).into_handler_result().is_ok());
/// let failed = Err::<(), _>(std::io::Error::other("smtp relay down")).into_handler_result();
/// assert_eq!(failed.unwrap_err().to_string(), "smtp relay down");
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[on_event]` handlers return `()` or `Result<(), E>`, not `{Self}`",
    label = "unsupported return type",
    note = "`E` may be any `std::error::Error + Send + Sync + 'static`, `anyhow::Error` or `String`; a failed handler makes the request answer 5xx so Postal retries"
)]
pub trait IntoHandlerResult {
    /// `Ok(())` when the handler succeeded.
    fn into_handler_result(self) -> Result<(), HandlerError>;
}

#[diagnostic::do_not_recommend]
impl IntoHandlerResult for () {
    fn into_handler_result(self) -> Result<(), HandlerError> {
        Ok(())
    }
}

// Not `do_not_recommend`: for a `Result` whose `E` is not an error, rustc then reports
// the unmet `E: HandlerErrorType`, with that trait's message, instead of this trait's.
impl<E: HandlerErrorType> IntoHandlerResult for Result<(), E> {
    fn into_handler_result(self) -> Result<(), HandlerError> {
        self.map_err(|error| HandlerError::new(error.into_box_error()))
    }
}

/// The error types a handler's `Result<(), E>` may carry: every type that converts into
/// `Box<dyn std::error::Error + Send + Sync + 'static>`, so any `std::error::Error + Send +
/// Sync + 'static`, `anyhow::Error`, `String` and `&'static str`. A type that is not one is
/// a compile error on the handler's return type that says so.
///
/// ```
/// use postal_hooks::HandlerErrorType;
///
/// fn accepted<E: HandlerErrorType>() {}
/// accepted::<std::io::Error>();
/// accepted::<String>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an error type: a handler's `Result<(), E>` needs `E: std::error::Error + Send + Sync + 'static`",
    label = "`{Self}` does not implement `std::error::Error`",
    note = "implement `std::error::Error` (and `Display`) for `{Self}`, derive it with `thiserror`, or return `anyhow::Error` or `String`"
)]
pub trait HandlerErrorType {
    /// The error, boxed.
    fn into_box_error(self) -> BoxError;
}

#[diagnostic::do_not_recommend]
impl<E: Into<BoxError>> HandlerErrorType for E {
    fn into_box_error(self) -> BoxError {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("saving the bounce")
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn chain_message_follows_sources() {
        let inner = std::io::Error::other("disk full");
        let err = Err::<(), _>(Outer(inner))
            .into_handler_result()
            .unwrap_err();
        assert_eq!(err.chain_message(), "saving the bounce: disk full");
        assert!(().into_handler_result().is_ok());
        assert_eq!(
            Err::<(), _>("plain")
                .into_handler_result()
                .unwrap_err()
                .to_string(),
            "plain"
        );
    }
}
