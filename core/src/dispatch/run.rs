//! Running handlers one after another, each timed, inside its own span, and isolated: an
//! error or a panic becomes that handler's [`Outcome`], never the request's.

use std::time::Instant;

use tracing::Instrument;

use super::catch::{CatchUnwind, Failure, call_catching};
use super::report::{HandlerRun, Outcome};
use crate::handler::{CallContext, Invocation};
use crate::registry::{HandlerEntry, Route};

/// Runs every handler of `route` in order.
pub(super) async fn run_all(route: Route<'_>, cx: &CallContext<'_>) -> Vec<HandlerRun> {
    let mut runs = Vec::with_capacity(route.len());
    for handler in route.iter() {
        runs.push(run(handler, cx).await);
    }
    if route.is_empty() {
        tracing::debug!("no handler registered for this event; acknowledged");
    }
    runs
}

/// Runs one handler, catching its error or panic, and times it.
pub(super) async fn run(handler: &HandlerEntry, cx: &CallContext<'_>) -> HandlerRun {
    let span = tracing::info_span!("postal_hooks.handler", handler = handler.info.static_path());
    let start = Instant::now();
    // A sync handler runs to completion in this call, so it is entered here; an async one
    // only builds its future here and is entered on every poll below.
    let invocation = span.in_scope(|| call_catching(|| handler.invoke(cx)));
    let result = match invocation {
        Ok(Invocation::Done(result)) => result.map_err(Failure::Error),
        Ok(Invocation::Pending(future)) => CatchUnwind::new(future).instrument(span.clone()).await,
        Err(panic) => Err(panic),
    };
    let duration = start.elapsed();
    let outcome = match result {
        Ok(()) => Outcome::Ok,
        Err(Failure::Error(error)) => {
            let message = error.chain_message();
            span.in_scope(|| tracing::warn!(error = %message, "handler failed"));
            Outcome::Error(message)
        }
        Err(Failure::Panic(message)) => {
            span.in_scope(|| tracing::error!(panic = %message, "handler panicked"));
            Outcome::Panic(message)
        }
    };
    HandlerRun {
        handler: handler.info,
        outcome,
        duration,
    }
}
