//! Label values that cost no allocation per request: handler paths interned once per
//! handler, event names borrowed when they are Postal's.

use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};

use metrics::SharedString;

use crate::handler::HandlerInfo;

/// Paths already built, by (module path, name): one entry per distinct handler, a number
/// fixed by the program's code.
type Paths = RwLock<HashMap<(&'static str, &'static str), &'static str>>;

static PATHS: OnceLock<Paths> = OnceLock::new();

/// `module::path::name` of `handler` (a closure's type name as it is), as a `'static`
/// string: built and kept on its first use, then looked up.
pub(crate) fn handler_path(handler: &HandlerInfo) -> &'static str {
    let module = handler.location.module_path;
    if module.is_empty() {
        return handler.name;
    }
    let key = (module, handler.name);
    let paths = PATHS.get_or_init(Paths::default);
    if let Some(path) = paths
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return path;
    }
    let mut paths = paths.write().unwrap_or_else(PoisonError::into_inner);
    paths
        .entry(key)
        .or_insert_with(|| Box::leak(format!("{module}::{}", handler.name).into_boxed_str()))
}

/// A label from a name that is `'static` for every event Postal defines.
pub(super) fn label(name: std::borrow::Cow<'static, str>) -> SharedString {
    match name {
        std::borrow::Cow::Borrowed(name) => SharedString::const_str(name),
        std::borrow::Cow::Owned(name) => SharedString::from_owned(name),
    }
}
