//! A minimal executor for [`Dispatcher::dispatch_blocking`](crate::Dispatcher::dispatch_blocking):
//! polls one future on the current thread, parking between wake-ups.

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

/// Runs `future` to completion on this thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
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
