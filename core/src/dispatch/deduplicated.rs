//! Running a delivery's handlers under a claim on its uuid, so that each handler runs to
//! success at most once per uuid across Postal's retries (see [`dedupe`](crate::dedupe)).

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use super::report::{HandlerRun, NotRun, Outcome};
use super::run::run;
use super::store_deadline::StoreBudget;
use crate::dedupe::{Claim, IdempotencyStore, StoreError};
use crate::handler::{BoxFuture, CallContext};
use crate::registry::Route;

/// Claims the uuid, runs the handlers not yet done for it, records each success, and
/// releases the claim.
pub(super) async fn run_deduplicated(
    store: &dyn IdempotencyStore,
    limits: StoreLimits,
    uuid: &str,
    route: Route<'_>,
    cx: &CallContext<'_>,
) -> (Vec<HandlerRun>, Option<NotRun>) {
    let StoreLimits { lease, deadline } = limits;
    let mut budget = StoreBudget::new(deadline);
    let (token, done) = match budget.call("claim", store.claim(uuid, lease)).await {
        Ok(Claim::Acquired { token, done }) => (token, done),
        Ok(Claim::InProgress) => {
            tracing::info!("another delivery of this uuid is in progress; answering 409");
            return (Vec::new(), Some(NotRun::InProgress));
        }
        Err(error) => {
            tracing::error!(error = %error, "cannot check for duplicates; answering 503");
            return (
                Vec::new(),
                Some(NotRun::StoreUnavailable(error.to_string())),
            );
        }
    };
    let alive = store.keep_alive(uuid, &token, lease);
    let claimed = run_claimed(store, &mut budget, uuid, route, cx, &done);
    let runs = while_alive(claimed, alive).await;
    if let Err(error) = budget.call("release", store.release(uuid, &token)).await {
        tracing::warn!(error = %error, "could not release the claim; it expires with its lease");
    }
    (runs, None)
}

/// Runs the handlers of `route` under a claim: those already `done` for this uuid are
/// skipped, and each success is recorded.
async fn run_claimed(
    store: &dyn IdempotencyStore,
    budget: &mut StoreBudget,
    uuid: &str,
    route: Route<'_>,
    cx: &CallContext<'_>,
    done: &[String],
) -> Vec<HandlerRun> {
    let mut runs = Vec::with_capacity(route.len());
    for handler in route.iter() {
        let deduplicated = handler.info.dedupe;
        if deduplicated && done.contains(&handler.key) {
            runs.push(HandlerRun {
                handler: handler.info,
                outcome: Outcome::Skipped,
                duration: Duration::ZERO,
            });
            continue;
        }
        let ran = run(handler, cx).await;
        if deduplicated
            && ran.outcome == Outcome::Ok
            && let Err(error) = record_done(store, budget, uuid, &handler.key).await
        {
            // The handler did run: answering 2xx loses nothing; a retry may run it again.
            tracing::warn!(handler = handler.info.name, error = %error, "could not record a handler's success");
        }
        runs.push(ran);
    }
    runs
}

/// Drives `work`, polling `alive` (the claim's keep-alive) alongside it until `work` is
/// done; `alive` is dropped with this future.
async fn while_alive<F: Future>(work: F, mut alive: Option<BoxFuture<'_, ()>>) -> F::Output {
    let mut work = pin!(work);
    poll_fn(move |cx| {
        if let Poll::Ready(output) = work.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        if alive
            .as_mut()
            .is_some_and(|keep| keep.as_mut().poll(cx).is_ready())
        {
            alive = None; // It gave up (and said why); the lease still runs.
        }
        Poll::Pending
    })
    .await
}

/// Records a handler's success, trying twice: a lost record means a retry runs it again.
async fn record_done(
    store: &dyn IdempotencyStore,
    budget: &mut StoreBudget,
    uuid: &str,
    key: &str,
) -> Result<(), StoreError> {
    match budget.call("record", store.mark_done(uuid, key)).await {
        Ok(()) => Ok(()),
        Err(_) => budget.call("record", store.mark_done(uuid, key)).await,
    }
}

/// The claim's lease and the delivery's store deadline, as the builder set them.
#[derive(Clone, Copy)]
pub(super) struct StoreLimits {
    pub(super) lease: Duration,
    pub(super) deadline: Duration,
}
