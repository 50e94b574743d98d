//! [`InboxError`]: why the inbox could not open, store, or hand out a delivery.

use std::path::PathBuf;

use crate::shared_error::SharedError;

/// What went wrong with the inbox. A receiver answers 503 for every error while storing a
/// delivery, so that Postal retries it later; opening errors stop the program at startup.
///
/// ```
/// use postal_hooks::inbox::{Inbox, InboxError, InboxSettings};
///
/// // A path under a regular file cannot be created: a clear error at startup.
/// let file = std::env::temp_dir().join(format!("postal-hooks-doc-{}", std::process::id()));
/// std::fs::write(&file, b"not a directory")?;
/// let err = Inbox::open(file.join("inbox"), InboxSettings::default()).unwrap_err();
/// assert!(matches!(err, InboxError::Open { .. }));
/// assert!(err.to_string().starts_with("cannot open the inbox at "));
/// std::fs::remove_file(&file)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The embedded inbox cannot be created or opened at `path`: an unwritable
    /// directory, a full disk, a file that is not an inbox, or one in use by another
    /// process.
    #[error("cannot open the inbox at {}: {source}", path.display())]
    Open {
        /// The inbox path given.
        path: PathBuf,
        /// The cause (an I/O or SQLite error).
        source: SharedError,
    },
    /// The inbox at `path` was written with a schema this version does not read.
    #[error(
        "the inbox at {} has schema version {found}, and this version of postal-hooks reads version {expected}{}",
        path.display(),
        if *found > *expected { ": it was written by a newer postal-hooks; upgrade, or point POSTAL_HOOKS_INBOX at a new path" } else { ": not a version any postal-hooks wrote; point POSTAL_HOOKS_INBOX at a new path" }
    )]
    Schema {
        /// The inbox path.
        path: PathBuf,
        /// The version in the file.
        found: i64,
        /// The version this crate writes.
        expected: i64,
    },
    /// The inbox is at its bound of entries or bytes (503: Postal retries later).
    #[error(
        "the inbox is full ({entries} deliveries, {bytes} bytes; limits {max_entries} and {max_bytes}): handle or discard dead letters, or raise the limits"
    )]
    Full {
        /// Deliveries kept now.
        entries: u64,
        /// Body bytes kept now.
        bytes: u64,
        /// The entry limit.
        max_entries: u64,
        /// The byte limit.
        max_bytes: u64,
    },
    /// The inbox's storage failed: a disk error, or Redis unreachable (503).
    #[error("the inbox is unavailable: {0}")]
    Unavailable(#[source] SharedError),
    /// The embedded inbox was closed (its process is shutting down).
    #[error("the inbox is closed")]
    Closed,
}

crate::error_report::debug_as_report!(InboxError);
