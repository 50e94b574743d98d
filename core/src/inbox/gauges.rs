//! The inbox's gauges, `postal_hooks_inbox_pending` and `postal_hooks_inbox_dead_letters`
//! (see [`observe`](crate::observe)): read from the store once per [`INTERVAL`] while the
//! workers run, so every replica reports the shared inbox's counts.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::backend::Backend;
use crate::observe::{INBOX_DEAD_LETTERS, INBOX_PENDING};

/// How often the counts are read.
pub(super) const INTERVAL: Duration = Duration::from_secs(1);

/// Sets the gauges from the store's counts until `stopping` turns true.
pub(super) async fn report(backend: Arc<dyn Backend>, mut stopping: watch::Receiver<bool>) {
    loop {
        match backend.stats().await {
            Ok(stats) => {
                // Gauges are f64; counts lose precision only past 2^53.
                metrics::gauge!(INBOX_PENDING).set(stats.pending as f64);
                metrics::gauge!(INBOX_DEAD_LETTERS).set(stats.dead_letters as f64);
            }
            Err(error) => tracing::debug!(%error, "cannot read the inbox's counts for its gauges"),
        }
        if *stopping.borrow() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            // `Err`: the `Workers` handle was dropped, which leaves the workers (and this)
            // running; the branch is then disabled.
            Ok(()) = stopping.changed() => {}
        }
    }
}
