//! [`Workers`]: the running workers of an inbox, and their shutdown.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::gauges;
use super::worker::{self, Shared};

/// The workers started by [`Inbox::start`](super::Inbox::start). Stop them with
/// [`shutdown`](Self::shutdown) (on SIGTERM, say); dropping this handle leaves them
/// running.
#[derive(Debug)]
#[must_use = "call `shutdown` to finish what is in flight before the process exits"]
pub struct Workers {
    stopping: watch::Sender<bool>,
    grace: watch::Sender<Duration>,
    tasks: Vec<JoinHandle<()>>,
    /// The task that sets the inbox's gauges.
    gauges: Option<JoinHandle<()>>,
    /// The runtime started for the workers when `start` was called outside one.
    own_runtime: Option<tokio::runtime::Runtime>,
}

impl Workers {
    pub(super) fn spawn(
        count: usize,
        make: impl FnOnce(watch::Receiver<bool>, watch::Receiver<Duration>) -> Shared,
    ) -> std::io::Result<Workers> {
        let (stopping, stop_rx) = watch::channel(false);
        let (grace, grace_rx) = watch::channel(Duration::ZERO);
        let shared = Arc::new(make(stop_rx, grace_rx));
        let (handle, own_runtime) = match tokio::runtime::Handle::try_current() {
            Ok(handle) => (handle, None),
            Err(_) => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("postal-hooks-worker")
                    .enable_all()
                    .build()?;
                (runtime.handle().clone(), Some(runtime))
            }
        };
        let tasks = (0..count)
            .map(|index| {
                let name = format!("{}-{index}", worker_prefix());
                handle.spawn(worker::run(shared.clone(), name))
            })
            .collect();
        let gauges = handle.spawn(gauges::report(
            shared.backend.clone(),
            shared.stopping.clone(),
        ));
        Ok(Workers {
            stopping,
            grace,
            tasks,
            gauges: Some(gauges),
            own_runtime,
        })
    }

    /// Stops taking deliveries, lets those in flight run for up to `grace`, gives back
    /// the ones still running then (due again at once, their attempt not counted), and
    /// returns once every worker has stopped.
    ///
    /// A delivery given back runs again on the next start, or on another replica (the
    /// embedded inbox at once; Redis once the delivery's idempotency claim has run out,
    /// within a lease). Handlers that succeeded before an `async` handler awaited are
    /// skipped then; those of the delivery cut short after that, and it, run again.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.grace.send(grace);
        let _ = self.stopping.send(true);
        for task in self.tasks.drain(..).chain(self.gauges.take()) {
            if let Err(error) = task.await {
                tracing::error!(%error, "an inbox worker ended abnormally");
            }
        }
        if let Some(runtime) = self.own_runtime.take() {
            runtime.shutdown_background();
        }
    }

    /// The number of workers.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// `true` when there are none (never, for a started inbox).
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // Dropped without `shutdown`: the workers keep running until the process exits,
        // on the runtime of their own too.
        if let Some(runtime) = self.own_runtime.take() {
            std::mem::forget(runtime);
        }
    }
}

/// This process's worker names: host-unique enough for Redis consumer names.
fn worker_prefix() -> String {
    format!("pid{}-{:x}", std::process::id(), fastrand::u32(..))
}
