//! What our errors share: [`SharedError`], a cause kept as a typed error inside one of ours,
//! not flattened into a `String`; and `Affix`, an optional part of a message.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// The typed cause of one of our errors: an I/O error, a JSON error, a body that failed
/// mid-read, a task that died.
///
/// It is transparent: its `Display` and `source()` are the cause's own, so an error chain
/// shows the cause once. It is shared (an `Arc`), so the error holding it stays `Clone`,
/// and two are equal when their messages are, so that error stays comparable in tests.
/// Reach the typed value with [`downcast_ref`](Self::downcast_ref).
///
/// ```
/// use postal_hooks::SharedError;
///
/// let cause = SharedError::new(std::io::Error::other("connection reset"));
/// assert_eq!(cause.to_string(), "connection reset");
/// assert!(cause.downcast_ref::<std::io::Error>().is_some());
/// assert_eq!(cause.clone(), cause);
/// ```
#[derive(Clone)]
pub struct SharedError(Arc<dyn Error + Send + Sync + 'static>);

impl SharedError {
    /// Keeps `error` as a cause.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        SharedError(Arc::new(error))
    }

    /// Keeps an already boxed error (`http_body::Body::Error`, `anyhow`-style boxes).
    pub fn from_boxed(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        SharedError(Arc::from(error))
    }

    /// The cause itself.
    pub fn get_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The cause as the type `T`, when it is one.
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl fmt::Debug for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl Error for SharedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for SharedError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.to_string() == other.to_string()
    }
}

impl Eq for SharedError {}

/// An optional part of an error message: `{before}{value}{after}` when there is a value,
/// nothing otherwise. For the messages whose parts depend on what is known, such as a
/// field path, a position or a cause.
pub(crate) struct Affix<T> {
    pub(crate) before: &'static str,
    pub(crate) value: Option<T>,
    pub(crate) after: &'static str,
}

impl<T: fmt::Display> fmt::Display for Affix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}{value}{}", self.before, self.after),
            None => Ok(()),
        }
    }
}

/// `value` followed by `after`, when there is one: `payload.message.id: `.
pub(crate) fn suffixed<T>(value: Option<T>, after: &'static str) -> Affix<T> {
    Affix {
        before: "",
        value,
        after,
    }
}

/// `before` followed by `value`, when there is one: `: connection refused`.
pub(crate) fn prefixed<T>(before: &'static str, value: Option<T>) -> Affix<T> {
    Affix {
        before,
        value,
        after: "",
    }
}

/// Untrusted text as it may appear in a message or a log line: at most 80 characters,
/// control characters escaped, and `…` where it was cut.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    let mut shown: String = text
        .chars()
        .take(MAX_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        shown.push('…');
    }
    shown
}
