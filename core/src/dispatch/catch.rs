//! Running a handler so that a panic becomes that handler's failure, not the process's.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::handler::BoxFuture;
use crate::handler::HandlerError;

/// Why a handler did not succeed.
pub(crate) enum Failure {
    Error(HandlerError),
    Panic(String),
}

/// Calls `f`, turning a panic into [`Failure::Panic`].
pub(crate) fn call_catching<T>(f: impl FnOnce() -> T) -> Result<T, Failure> {
    // The handler's state is not observed after a panic (its future is dropped), so
    // asserting unwind safety cannot expose a broken invariant to us.
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| Failure::Panic(panic_message(&*payload)))
}

/// Drives a handler's future, turning a panic in any poll into [`Failure::Panic`].
pub(crate) struct CatchUnwind<'a> {
    future: BoxFuture<'a, Result<(), HandlerError>>,
}

impl<'a> CatchUnwind<'a> {
    pub(crate) fn new(future: BoxFuture<'a, Result<(), HandlerError>>) -> Self {
        CatchUnwind { future }
    }
}

impl Future for CatchUnwind<'_> {
    type Output = Result<(), Failure>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.future.as_mut();
        match call_catching(|| future.poll(cx)) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => Poll::Ready(result.map_err(Failure::Error)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// The text of a panic payload (`panic!("…")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
