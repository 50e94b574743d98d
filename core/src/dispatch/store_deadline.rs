//! One deadline across all of a delivery's idempotency-store calls.
//!
//! Postal waits 5 s for an answer (`SPEC.md`, "Delivery and retries"). A store that stops
//! answering must not make a delivery wait out a timeout per call: claim, one record per
//! handler and release, in sequence, would add up past Postal's limit, Postal would count
//! a timeout, and its retry would meet 409 for the whole lease. So the calls of one
//! delivery share one budget of waiting time (`dedupe::DEFAULT_STORE_DEADLINE` by default), and
//! the call that exhausts it fails: the claim with a 503, so Postal retries in time.
//!
//! A call that is ready when first polled, as every call of the in-memory store is, costs
//! nothing here: the clock is read and a timer armed only for a call that has to wait.
//! The timer is `futures-timer`'s, which works under any runtime and under
//! `dispatch_blocking`'s own executor.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_timer::Delay;

use crate::dedupe::StoreError;

/// What is left of a delivery's waiting time on the store.
pub(super) struct StoreBudget {
    left: Duration,
    whole: Duration,
}

impl StoreBudget {
    pub(super) fn new(whole: Duration) -> Self {
        StoreBudget { left: whole, whole }
    }

    /// Runs one store call, `what`, within what is left of the budget.
    pub(super) async fn call<T, F>(&mut self, what: &'static str, call: F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, StoreError>>,
    {
        let mut call = pin!(call);
        let mut timer: Option<(Instant, Delay)> = None;
        let whole = self.whole;
        let left = self.left;
        let (result, waited) = poll_fn(|cx| {
            if let Poll::Ready(result) = call.as_mut().poll(cx) {
                let waited = timer.as_ref().map(|(start, _)| start.elapsed());
                return Poll::Ready((result, waited));
            }
            let (start, delay) = timer.get_or_insert_with(|| (Instant::now(), Delay::new(left)));
            match Pin::new(delay).poll(cx) {
                Poll::Ready(()) => Poll::Ready((
                    Err(StoreError::new(format!(
                        "no answer to the {what} within the delivery's store deadline of {whole:?}"
                    ))),
                    Some(start.elapsed()),
                )),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        if let Some(waited) = waited {
            self.left = self.left.saturating_sub(waited);
        }
        result
    }
}
