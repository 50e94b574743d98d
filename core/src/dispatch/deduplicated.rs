//! Running a delivery's handlers under a claim on its uuid, so that each handler runs to
//! success at most once per uuid across Postal's retries (see [`dedupe`](crate::dedupe)).

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use super::report::{HandlerRun, NotRun, Outcome};
use super::run::run;
use super::store_deadline::StoreBudget;
use crate::dedupe::{Claim, IdempotencyStore};
use crate::handler::{BoxFuture, CallContext};
use crate::registry::Route;

/// Claims the uuid, runs the handlers not yet done for it, records each success, and
/// releases the claim.
///
/// Store round trips: the claim (which also answers "all done", for a retry of a fully
/// handled uuid, and then nothing else); then one call that records the successes and
/// releases ([`IdempotencyStore::finish`]). Successes are recorded earlier, in one call,
/// only when a later handler awaits (see [`run_recording`]), so that a crash during its
/// wait does not forget them; that call overlaps the wait.
pub(super) async fn run_deduplicated(
    store: &dyn IdempotencyStore,
    limits: StoreLimits,
    uuid: &str,
    route: Route<'_>,
    cx: &CallContext<'_>,
) -> (Vec<HandlerRun>, Option<NotRun>) {
    let StoreLimits { lease, deadline } = limits;
    let mut budget = StoreBudget::new(deadline);
    let wanted: Vec<&str> = route
        .iter()
        .filter(|handler| handler.info.dedupe)
        .map(|handler| handler.key.as_str())
        .collect();
    let claimed = budget
        .call("claim", store.claim_unless_done(uuid, lease, &wanted))
        .await;
    let (token, done) = match claimed {
        Ok(Claim::Acquired { token, done }) => (token, done),
        Ok(Claim::AllDone) => {
            let mut nothing = Recording::off();
            let runs = run_claimed(&mut nothing, route, cx, |_| true).await;
            return (runs, None);
        }
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
    // The keep-alive lives until the claim ends: dropping it may release the claim
    // (`MemoryStore` does), which must come after the records.
    let mut alive = store.keep_alive(uuid, &token, lease);
    let mut recording = Recording::on(store, &mut budget, uuid);
    let runs = {
        let claimed = pin!(run_claimed(&mut recording, route, cx, |key| {
            done.iter().any(|done| done == key)
        }));
        while_alive(claimed, &mut alive).await
    };
    let unrecorded = recording.pending;
    // Tried twice, as a lost record means a retry runs its handler again.
    let mut finished = budget
        .call("release", store.finish(uuid, &token, &unrecorded))
        .await;
    if finished.is_err() && !unrecorded.is_empty() {
        finished = budget
            .call("release", store.finish(uuid, &token, &unrecorded))
            .await;
    }
    if let Err(error) = finished {
        // The handlers did run: answering 2xx loses nothing; a retry may run them again.
        tracing::warn!(
            handlers = ?unrecorded,
            error = %error,
            "could not record the handlers' successes and release the claim; it expires with its lease"
        );
    }
    drop(alive);
    (runs, None)
}

/// Runs the handlers of `route` under a claim: the deduplicated ones already `done` for
/// this uuid are skipped, and each success is left to `recording`.
async fn run_claimed<'r>(
    recording: &mut Recording<'_, 'r>,
    route: Route<'r>,
    cx: &CallContext<'_>,
    done: impl Fn(&str) -> bool,
) -> Vec<HandlerRun> {
    let mut runs = Vec::with_capacity(route.len());
    for handler in route.iter() {
        let deduplicated = handler.info.dedupe;
        if deduplicated && done(&handler.key) {
            runs.push(HandlerRun {
                handler: handler.info,
                outcome: Outcome::Skipped,
                duration: Duration::ZERO,
            });
            continue;
        }
        let ran = run_recording(pin!(run(handler, cx)), recording).await;
        if deduplicated && ran.outcome == Outcome::Ok {
            recording.pending.push(&handler.key);
        }
        runs.push(ran);
    }
    runs
}

/// The successes of a delivery not yet recorded in the store, and how to record them.
struct Recording<'s, 'r> {
    /// `None` when nothing is to be recorded (every deduplicated handler was done).
    store: Option<(&'s dyn IdempotencyStore, &'s mut StoreBudget, &'s str)>,
    pending: Vec<&'r str>,
}

impl<'s, 'r> Recording<'s, 'r> {
    fn on(store: &'s dyn IdempotencyStore, budget: &'s mut StoreBudget, uuid: &'s str) -> Self {
        Recording {
            store: Some((store, budget, uuid)),
            pending: Vec::new(),
        }
    }

    fn off() -> Self {
        Recording {
            store: None,
            pending: Vec::new(),
        }
    }

    /// Records every pending success, in one call tried twice; recorded, they leave
    /// `pending`, else they stay for [`IdempotencyStore::finish`].
    async fn flush(&mut self) {
        let Some((store, budget, uuid)) = self.store.as_mut() else {
            return;
        };
        let pending = &self.pending;
        let recorded = match budget
            .call("record", store.mark_all_done(uuid, pending))
            .await
        {
            Ok(()) => Ok(()),
            Err(_) => {
                budget
                    .call("record", store.mark_all_done(uuid, pending))
                    .await
            }
        };
        match recorded {
            Ok(()) => self.pending.clear(),
            Err(error) => tracing::warn!(
                handlers = ?self.pending,
                error = %error,
                "could not record the handlers' successes; trying again at the end of the delivery"
            ),
        }
    }
}

/// Runs one handler. When it has to wait (its first poll is pending: it awaits I/O) and
/// earlier successes are not recorded yet, they are recorded meanwhile, so a crash while
/// it runs does not forget them. A handler that completes at once costs no round trip.
///
/// `work` comes pinned by the caller, as in [`while_alive`].
async fn run_recording<F: Future<Output = HandlerRun>>(
    mut work: Pin<&mut F>,
    recording: &mut Recording<'_, '_>,
) -> HandlerRun {
    if let Poll::Ready(ran) = poll_fn(|cx| Poll::Ready(work.as_mut().poll(cx))).await {
        return ran;
    }
    if recording.pending.is_empty() || recording.store.is_none() {
        return work.await;
    }
    let mut flush = pin!(recording.flush());
    let mut flushed = false;
    let ran = poll_fn(|cx| {
        if !flushed && flush.as_mut().poll(cx).is_ready() {
            flushed = true;
        }
        work.as_mut().poll(cx)
    })
    .await;
    if !flushed {
        flush.await;
    }
    ran
}

/// Drives `work`, polling `alive` (the claim's keep-alive) alongside it until `work` is
/// done. A keep-alive that gives up (it said why) is dropped; the lease still runs.
///
/// `work` comes pinned by the caller. Taken by value, it was kept three times over: as the
/// caller's local, as this function's argument, and pinned here.
async fn while_alive<F: Future>(
    mut work: Pin<&mut F>,
    alive: &mut Option<BoxFuture<'_, ()>>,
) -> F::Output {
    poll_fn(move |cx| {
        if let Poll::Ready(output) = work.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        if alive
            .as_mut()
            .is_some_and(|keep| keep.as_mut().poll(cx).is_ready())
        {
            *alive = None;
        }
        Poll::Pending
    })
    .await
}

/// The claim's lease and the delivery's store deadline, as the builder set them.
#[derive(Clone, Copy)]
pub(super) struct StoreLimits {
    pub(super) lease: Duration,
    pub(super) deadline: Duration,
}
