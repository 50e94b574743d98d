//! Stage 4 of the data path: every handler, from `#[on_event]` and from closures, collected
//! once at startup, checked ([`BuildError`]), sorted into the documented order, and routed
//! by event.

mod closures;
mod collector;
mod entry;
mod error;
mod order;
mod routes;
mod validate;

pub(crate) use closures::{for_event, pending};
pub(crate) use collector::Collector;
pub(crate) use entry::{ClosureFn, HandlerEntry};
pub use error::{BuildError, BuildProblem};
pub(crate) use routes::Route;

use crate::events::Event;
use crate::handler::{HandlerInfo, StateMap};
use routes::Routes;

/// The checked handlers, their routes and the state they share.
pub(crate) struct Registry {
    handlers: Vec<HandlerEntry>,
    routes: Routes,
    states: StateMap,
}

impl Registry {
    /// The handlers to run for `event`, in order.
    pub(crate) fn route(&self, event: &Event) -> Route<'_> {
        Route {
            handlers: &self.handlers,
            indices: self.routes.for_event(event),
        }
    }

    /// The state given to the builder.
    pub(crate) fn states(&self) -> &StateMap {
        &self.states
    }

    /// Every handler, in order.
    pub(crate) fn handlers(&self) -> impl ExactSizeIterator<Item = &HandlerInfo> {
        self.handlers.iter().map(|handler| &handler.info)
    }
}
