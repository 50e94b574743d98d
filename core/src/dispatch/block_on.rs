//! A minimal executor for [`Dispatcher::dispatch_blocking`](crate::Dispatcher::dispatch_blocking):
//! polls one future on the current thread, parking between wake-ups.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// Whether this thread is inside [`block_on`]: no runtime drives timers for it then.
    static BLOCKING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is inside [`block_on`], so that timers must not rely on a
/// runtime: a tokio current-thread runtime whose thread is blocked here would never fire
/// them. (Only the tokio timer asks.)
#[cfg(feature = "tokio-timer")]
pub(crate) fn in_block_on() -> bool {
    BLOCKING.with(Cell::get)
}

/// Sets [`BLOCKING`] for a scope, restoring what it was (nested calls).
struct Blocking(bool);

impl Blocking {
    fn enter() -> Self {
        Blocking(BLOCKING.with(|blocking| blocking.replace(true)))
    }
}

impl Drop for Blocking {
    fn drop(&mut self) {
        BLOCKING.with(|blocking| blocking.set(self.0));
    }
}

/// Runs `future` to completion on this thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let _blocking = Blocking::enter();
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            // A spurious unpark only costs one more poll.
            Poll::Pending => thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_from_another_thread() {
        let (sender, receiver) = std::sync::mpsc::channel::<Waker>();
        let helper = thread::spawn(move || {
            if let Ok(waker) = receiver.recv() {
                waker.wake();
            }
        });
        let mut sender = Some(sender);
        let mut polls = 0;
        let value = block_on(std::future::poll_fn(|cx| {
            polls += 1;
            match sender.take() {
                Some(sender) => {
                    sender.send(cx.waker().clone()).unwrap();
                    Poll::Pending
                }
                None => Poll::Ready(7),
            }
        }));
        helper.join().unwrap();
        assert_eq!((value, polls), (7, 2));
    }
}
