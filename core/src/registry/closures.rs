//! Closures given to the builder (`.on(..)`, `.on_async(..)`, …), erased into the one
//! call shape the registry stores.

use std::future::Future;
use std::sync::Arc;

use super::entry::ClosureFn;
use crate::events::{Event, EventType};
use crate::handler::{HandlerError, IntoHandlerResult, Invocation};

/// A call for the event `E` only; any other event is reported as misrouted.
pub(crate) fn for_event<E: EventType>(
    call: impl Fn(&E) -> Invocation<'static> + Send + Sync + 'static,
) -> Arc<ClosureFn> {
    Arc::new(move |event: &Event| match E::from_event(event) {
        Some(typed) => call(typed),
        None => Invocation::Done(Err(misrouted(E::NAME, event))),
    })
}

/// An async closure's future, boxed, with its output turned into the handler's result.
pub(crate) fn pending<Fut>(future: Fut) -> Invocation<'static>
where
    Fut: Future<Output: IntoHandlerResult> + Send + 'static,
{
    Invocation::Pending(Box::pin(async move { future.await.into_handler_result() }))
}

fn misrouted(expected: &str, event: &Event) -> HandlerError {
    HandlerError::from(format!(
        "a `{expected}` handler was given a `{}` event",
        event.name()
    ))
}
