//! [`InspectorError`]: why an inspector cannot be built.

/// Why [`InspectorBuilder::build`](super::InspectorBuilder::build) refused its settings.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectorError {
    /// The token is empty: the inspector is never served without one.
    #[error(
        "the inspector needs a token (POSTAL_HOOKS_INSPECTOR_TOKEN); it is never served without one"
    )]
    MissingToken,
    /// The token is shorter than [`MIN_TOKEN_CHARS`](super::MIN_TOKEN_CHARS).
    #[error(
        "the inspector token is {length} characters long; use at least {min} random characters"
    )]
    WeakToken {
        /// Its length in characters.
        length: usize,
        /// The minimum.
        min: usize,
    },
    /// The mount path does not start with `/`, or ends with one.
    #[error(
        "the inspector's mount path `{0}` must start with `/` and not end with one (e.g. /postal/inspector)"
    )]
    Mount(String),
}

crate::error_report::debug_as_report!(InspectorError);
