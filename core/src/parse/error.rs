//! [`ParseError`]: what was wrong with a body, and where.

use std::fmt;

use crate::shared_error::{prefixed, suffixed};

/// Why a body or payload could not be parsed.
///
/// Says what failed and where: the JSON path of a bad field, the line and column of broken
/// JSON, or that the body is not JSON at all.
///
/// ```
/// use postal_hooks::{Envelope, ParseErrorKind};
///
/// let err = Envelope::parse(br#"{"event":"MessageSent","timestamp":1.0,"payload":{}}"#).unwrap_err();
/// assert_eq!(err.kind(), ParseErrorKind::Data);
/// assert_eq!(err.to_string(), "payload: missing field `message` at line 1 column 51");
///
/// let err = Envelope::parse(b"<html>502 Bad Gateway</html>").unwrap_err();
/// assert_eq!(err.kind(), ParseErrorKind::NotJson);
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}{message}{}",
    suffixed(.path.as_deref(), ": "),
    prefixed(" at ", .position.map(|(line, column)| Position { line, column }))
)]
pub struct ParseError {
    pub(super) kind: ParseErrorKind,
    /// `payload.message.id`; `None` at the top level.
    pub(super) path: Option<String>,
    /// What was wrong, as serde_json says it, without the location.
    pub(super) message: String,
    /// 1-based line and column, when the error is located in the input.
    pub(super) position: Option<(usize, usize)>,
}

/// The broad class of a [`ParseError`].
///
/// ```
/// use postal_hooks::{Envelope, ParseErrorKind};
///
/// fn kind(body: &[u8]) -> ParseErrorKind {
///     Envelope::parse(body).unwrap_err().kind()
/// }
/// assert_eq!(kind(b"<html>502 Bad Gateway</html>"), ParseErrorKind::NotJson);
/// assert_eq!(kind(br#"{"event":"MessageSent",}"#), ParseErrorKind::Syntax);
/// assert_eq!(kind(br#"{"event":"MessageSe"#), ParseErrorKind::Truncated); // cut off
/// assert_eq!(kind(br#"{"event":"MessageSent"}"#), ParseErrorKind::Data); // fields missing
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not JSON at all: an empty body, an HTML error page, form data, binary.
    NotJson,
    /// Malformed JSON: a stray or missing character, such as a trailing comma.
    Syntax,
    /// The JSON ends before it is complete (a cut-off body).
    Truncated,
    /// Well-formed JSON that does not match Postal's format: a missing field, a value of the
    /// wrong type, or a body that is not an object.
    Data,
}

impl ParseError {
    /// The class of error.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The JSON path of the offending value (`payload.message.id`), or `None` at the top.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// What was wrong, without the location (`invalid type: string "x", expected u64`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line of the error, when it is located in the input.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }

    /// The 1-based column of the error, when it is located in the input.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, column)| column)
    }
}

/// `line 1 column 51`.
struct Position {
    line: usize,
    column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

crate::error_report::debug_as_report!(ParseError);
