//! The documented order handlers run in for an event they share.

use crate::handler::{HandlerInfo, HandlerKind, Location};

/// Handlers for the specific event first, then catch-all ones; within each group,
/// `#[on_event]` fns by module path, name, file and line, then closures in the order they
/// were added (the sort that uses this key is stable).
pub(crate) fn order_key(
    info: &HandlerInfo,
) -> (bool, bool, &'static str, &'static str, &'static str, u32) {
    if info.kind == HandlerKind::Closure {
        return (info.is_catch_all(), true, "", "", "", 0);
    }
    let Location {
        module_path,
        file,
        line,
    } = info.location;
    (
        info.is_catch_all(),
        false,
        module_path,
        info.name,
        file,
        line,
    )
}
