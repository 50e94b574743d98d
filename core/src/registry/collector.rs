//! [`Collector`]: the handlers and state a builder gathers, checked and frozen into a
//! [`Registry`] at startup.

use std::any::type_name;
use std::sync::Arc;

use super::Registry;
use super::entry::{Call, ClosureFn, HandlerEntry};
use super::error::{BuildError, BuildProblem};
use super::order::order_key;
use super::routes::Routes;
use super::validate::{apply_exemptions, duplicates, expected_crates, keep_only, missing_states};
use crate::handler::{EventFilter, HandlerInfo, HandlerKind, Location, Registration, StateMap};

/// What the dispatcher's builder has been given about handlers.
pub(crate) struct Collector {
    use_registry: bool,
    allow_empty: bool,
    closures: Vec<HandlerEntry>,
    states: StateMap,
    duplicate_states: Vec<&'static str>,
    exempt: Vec<String>,
    /// When not empty, the registered handlers kept: paths, or their ends after `::`.
    only: Vec<String>,
    /// Crates that must have registered handlers.
    expected_crates: Vec<String>,
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            use_registry: true,
            allow_empty: false,
            closures: Vec::new(),
            states: StateMap::default(),
            duplicate_states: Vec::new(),
            exempt: Vec::new(),
            only: Vec::new(),
            expected_crates: Vec::new(),
        }
    }
}

impl Collector {
    /// Leaves out the `#[on_event]` handlers.
    pub(crate) fn without_registered_handlers(&mut self) {
        self.use_registry = false;
    }

    /// Accepts a registry with no handler.
    pub(crate) fn allow_no_handlers(&mut self) {
        self.allow_empty = true;
    }

    /// Requires registered handlers from crate `name`.
    pub(crate) fn expect_crate(&mut self, name: String) {
        self.expected_crates.push(name);
    }

    /// Keeps, of the registered handlers, the one at `path` (and the others named so).
    pub(crate) fn only(&mut self, path: String) {
        self.only.push(path);
    }

    /// Exempts the handler at `path` from deduplication.
    pub(crate) fn exempt(&mut self, path: String) {
        self.exempt.push(path);
    }

    /// Adds a state value; a second one of the same type is a problem at build time.
    pub(crate) fn state<T: Send + Sync + 'static>(&mut self, value: Arc<T>) {
        if !self.states.insert(value) {
            self.duplicate_states.push(type_name::<T>());
        }
    }

    /// Adds a closure, registered by the code at `caller`.
    pub(crate) fn closure(
        &mut self,
        name: &'static str,
        events: EventFilter,
        call: Arc<ClosureFn>,
        caller: &'static std::panic::Location<'static>,
    ) {
        let location = Location {
            module_path: "",
            file: caller.file(),
            line: caller.line(),
        };
        let info = HandlerInfo::new(name, location, events, HandlerKind::Closure, true);
        // Stable for a given program: the closure's place among the builder's closures and
        // where it was registered.
        let key = format!(
            "closure#{}@{}:{}",
            self.closures.len(),
            caller.file(),
            caller.line()
        );
        self.closures.push(HandlerEntry {
            info,
            key,
            call: Call::Closure(call),
            needs: Vec::new(),
        });
    }

    /// Collects the registered handlers once, sorts everything into the documented order,
    /// and checks it all.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] listing every problem.
    pub(crate) fn build(self) -> Result<Registry, BuildError> {
        let mut handlers = Vec::new();
        if self.use_registry {
            handlers.extend(
                inventory::iter::<Registration>
                    .into_iter()
                    .map(HandlerEntry::from_registration),
            );
        }
        let mut problems: Vec<BuildProblem> = self
            .duplicate_states
            .iter()
            .map(|&type_name| BuildProblem::DuplicateState { type_name })
            .collect();
        expected_crates(&handlers, self.expected_crates, &mut problems);
        keep_only(&mut handlers, self.only, &mut problems);
        handlers.extend(self.closures);
        handlers.sort_by(|a, b| order_key(&a.info).cmp(&order_key(&b.info)));

        apply_exemptions(&mut handlers, self.exempt, &mut problems);
        duplicates(&handlers, &mut problems);
        missing_states(&handlers, &self.states, &mut problems);
        let routes = Routes::new(&handlers, &mut problems);
        // Left empty by a mistyped `only`: that problem says it already.
        let mistyped = problems
            .iter()
            .any(|problem| matches!(problem, BuildProblem::UnknownOnly { .. }));
        if handlers.is_empty() && !self.allow_empty && !mistyped {
            problems.push(BuildProblem::NoHandlers);
        }
        if !problems.is_empty() {
            return Err(BuildError { problems });
        }
        Ok(Registry {
            handlers,
            routes,
            states: self.states,
        })
    }
}
