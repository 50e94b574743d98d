//! Label values that cost no allocation per request: event names borrowed when they are
//! Postal's (handler paths are `'static` already: [`HandlerInfo::static_path`]).
//!
//! [`HandlerInfo::static_path`]: crate::HandlerInfo

use metrics::SharedString;

/// A label from a name that is `'static` for every event Postal defines.
pub(super) fn label(name: std::borrow::Cow<'static, str>) -> SharedString {
    match name {
        std::borrow::Cow::Borrowed(name) => SharedString::const_str(name),
        std::borrow::Cow::Owned(name) => SharedString::from_owned(name),
    }
}
