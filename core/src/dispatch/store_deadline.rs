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
//! On a tokio runtime the timer is tokio's, in the runtime's own timer wheel. Elsewhere it
//! is `futures-timer`'s, which works anywhere but wakes a helper thread to arm and to
//! disarm each timer: two thread wake-ups per store call, measured as a third of
//! `RedisStore`'s cost per delivery (issue 15). Elsewhere means: no tokio runtime, inside
//! `dispatch_blocking` (even called from a tokio thread, whose runtime may then be blocked
//! and unable to fire a timer), a tokio runtime built without timers, and a build with
//! `panic = "abort"` (tokio's refusal to make a timer without them is a panic, caught).

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Context;
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
        let mut timer: Option<(Instant, Timer)> = None;
        let whole = self.whole;
        let left = self.left;
        let (result, waited) = poll_fn(|cx| {
            if let Poll::Ready(result) = call.as_mut().poll(cx) {
                let waited = timer.as_ref().map(|(start, _)| start.elapsed());
                return Poll::Ready((result, waited));
            }
            let (start, delay) = timer.get_or_insert_with(|| (Instant::now(), Timer::new(left)));
            match delay.poll(cx) {
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

/// The deadline of one store call: tokio's timer on a tokio runtime with timers (feature
/// `redis` or an HTTP adapter brings tokio), `futures-timer`'s otherwise.
enum Timer {
    #[cfg(feature = "tokio-timer")]
    Tokio(Pin<Box<tokio::time::Sleep>>),
    Anywhere(Delay),
}

impl Timer {
    fn new(after: Duration) -> Self {
        #[cfg(feature = "tokio-timer")]
        if let Some(sleep) = tokio_sleep(after) {
            return Timer::Tokio(sleep);
        }
        Timer::Anywhere(Delay::new(after))
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            #[cfg(feature = "tokio-timer")]
            Timer::Tokio(sleep) => sleep.as_mut().poll(cx),
            Timer::Anywhere(delay) => Pin::new(delay).poll(cx),
        }
    }
}

/// tokio's timer, when called on a tokio runtime whose timers are enabled (and not from
/// `dispatch_blocking`). tokio has no way to ask whether they are, and panics creating a
/// timer when they are not: that panic is caught, once (the panic hook still reports it),
/// and the process then keeps to `futures-timer`. Under `panic = "abort"` tokio's timer
/// is never tried.
#[cfg(feature = "tokio-timer")]
fn tokio_sleep(after: Duration) -> Option<Pin<Box<tokio::time::Sleep>>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    static NO_TOKIO_TIMERS: AtomicBool = AtomicBool::new(false);
    if cfg!(not(panic = "unwind"))
        || NO_TOKIO_TIMERS.load(Ordering::Relaxed)
        || super::block_on::in_block_on()
        || tokio::runtime::Handle::try_current().is_err()
    {
        return None;
    }
    match std::panic::catch_unwind(|| Box::pin(tokio::time::sleep(after))) {
        Ok(sleep) => Some(sleep),
        Err(_) => {
            NO_TOKIO_TIMERS.store(true, Ordering::Relaxed);
            None
        }
    }
}
