//! [`Routes`]: for each event, which handlers run and in what order, computed once at
//! build time so that routing a request allocates nothing.

use super::entry::HandlerEntry;
use super::error::BuildProblem;
use crate::events::Event;
use crate::handler::EventFilter;

/// For each of the ten known events and for unknown ones, the indices of the handlers to
/// run, in order.
pub(crate) struct Routes {
    by_event: [Vec<usize>; ROUTES],
}

const ROUTES: usize = Event::KNOWN_NAMES.len() + 1;

impl Routes {
    /// Routes every handler to its events; a name that is not a Postal event is a problem.
    pub(crate) fn new(handlers: &[HandlerEntry], problems: &mut Vec<BuildProblem>) -> Self {
        let mut by_event: [Vec<usize>; ROUTES] = Default::default();
        for (index, handler) in handlers.iter().enumerate() {
            match handler.info.events {
                EventFilter::All => by_event.iter_mut().for_each(|route| route.push(index)),
                EventFilter::Only(names) => {
                    for &name in names {
                        let slot = Event::KNOWN_NAMES.iter().position(|&known| known == name);
                        match slot.and_then(|slot| by_event.get_mut(slot)) {
                            Some(route) => route.push(index),
                            None => problems.push(BuildProblem::UnknownEvent {
                                handler: handler.info,
                                event: name,
                            }),
                        }
                    }
                }
            }
        }
        Routes { by_event }
    }

    /// The indices of the handlers routed to `event`.
    pub(crate) fn for_event(&self, event: &Event) -> &[usize] {
        self.by_event.get(event.slot()).map_or(&[], Vec::as_slice)
    }
}

/// The handlers to run for one event, in order: borrowed from the registry.
#[derive(Clone, Copy)]
pub(crate) struct Route<'a> {
    pub(crate) handlers: &'a [HandlerEntry],
    pub(crate) indices: &'a [usize],
}

impl<'a> Route<'a> {
    /// The handlers, in the order they run.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a HandlerEntry> {
        self.indices
            .iter()
            .filter_map(move |&index| self.handlers.get(index))
    }

    /// How many handlers run.
    pub(crate) fn len(self) -> usize {
        self.indices.len()
    }

    /// Whether no handler is routed to the event.
    pub(crate) fn is_empty(self) -> bool {
        self.indices.is_empty()
    }
}
