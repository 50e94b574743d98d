//! The startup checks on a set of handlers: every problem is collected, so one start shows
//! them all.

use std::collections::HashSet;

use super::entry::HandlerEntry;
use super::error::BuildProblem;
use crate::handler::{EventFilter, HandlerKind, StateMap};

/// Turns off deduplication for each handler named in `exempt` (by path or store key); a
/// path that names no handler is a problem.
pub(crate) fn apply_exemptions(
    handlers: &mut [HandlerEntry],
    exempt: Vec<String>,
    problems: &mut Vec<BuildProblem>,
) {
    for path in exempt {
        let mut found = false;
        for handler in handlers
            .iter_mut()
            .filter(|h| h.info.path() == path || h.key == path)
        {
            handler.info.dedupe = false;
            found = true;
        }
        if !found {
            problems.push(BuildProblem::UnknownExempt { path });
        }
    }
}

/// Each crate in `expected` must have a registered handler (its module path is the crate
/// name, or starts with it and `::`): one that has none is not linked.
pub(crate) fn expected_crates(
    handlers: &[HandlerEntry],
    expected: Vec<String>,
    problems: &mut Vec<BuildProblem>,
) {
    for name in expected {
        let registered = handlers.iter().any(|handler| {
            let module = handler.info.location.module_path;
            module == name
                || module
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.starts_with("::"))
        });
        if !registered {
            problems.push(BuildProblem::CrateNotLinked { name });
        }
    }
}

/// Keeps the registered handlers named in `only` (by path, or the end of it after `::`),
/// when it names any; a name that matches no handler is a problem.
pub(crate) fn keep_only(
    handlers: &mut Vec<HandlerEntry>,
    only: Vec<String>,
    problems: &mut Vec<BuildProblem>,
) {
    if only.is_empty() {
        return;
    }
    let named = |handler: &HandlerEntry, name: &str| {
        let path = handler.info.static_path();
        path == name
            || path
                .strip_suffix(name)
                .is_some_and(|start| start.ends_with("::"))
    };
    for name in &only {
        if !handlers.iter().any(|handler| named(handler, name)) {
            problems.push(BuildProblem::UnknownOnly { path: name.clone() });
        }
    }
    handlers.retain(|handler| only.iter().any(|name| named(handler, name)));
}

/// The same fn (module path and name) registered more than once for one event.
pub(crate) fn duplicates(handlers: &[HandlerEntry], problems: &mut Vec<BuildProblem>) {
    let mut seen = HashSet::new();
    for handler in handlers
        .iter()
        .filter(|h| h.info.kind != HandlerKind::Closure)
    {
        let names: &[&'static str] = match handler.info.events {
            EventFilter::Only(names) => names,
            EventFilter::All => &["*"],
        };
        for &event in names {
            let key = (handler.info.location.module_path, handler.info.name, event);
            if !seen.insert(key) {
                problems.push(BuildProblem::DuplicateHandler {
                    handler: handler.info,
                    event,
                });
            }
        }
    }
}

/// Every `State<T>` a handler takes, but no `.state(..)` gave.
pub(crate) fn missing_states(
    handlers: &[HandlerEntry],
    states: &StateMap,
    problems: &mut Vec<BuildProblem>,
) {
    for handler in handlers {
        for need in &handler.needs {
            if !states.contains(need.type_id) {
                problems.push(BuildProblem::MissingState {
                    handler: handler.info,
                    type_name: need.type_name,
                });
            }
        }
    }
}
