//! One worker: takes a due delivery, runs the dispatcher on it under a lease it keeps
//! alive, then acknowledges it, schedules a retry with backoff, or dead-letters it.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tracing::Instrument;

use super::backend::Backend;
use super::record::{HandlerFailure, Job, Taken, now_ms, to_ms};
use super::settings::InboxSettings;
use crate::dispatch::{Dispatcher, NotRun, Report};
use crate::parse::Envelope;

/// How long a worker waits after the inbox itself failed before it asks again.
const STORE_RETRY: Duration = Duration::from_millis(500);

/// What a worker needs, shared by all of them.
pub(super) struct Shared {
    pub(super) backend: Arc<dyn Backend>,
    pub(super) dispatcher: Dispatcher,
    pub(super) settings: InboxSettings,
    pub(super) wake: Arc<Notify>,
    /// `true` once shutdown began: take nothing new.
    pub(super) stopping: watch::Receiver<bool>,
    /// How long a delivery in flight may still run once shutdown began.
    pub(super) grace: watch::Receiver<Duration>,
}

/// A worker's loop, until shutdown.
pub(super) async fn run(shared: Arc<Shared>, name: String) {
    work(&shared, &name).await;
    shared.backend.worker_stopped(&name).await;
}

async fn work(shared: &Shared, name: &str) {
    let mut stopping = shared.stopping.clone();
    loop {
        if *stopping.borrow() {
            return;
        }
        match shared.backend.take(name, shared.settings.lease).await {
            Ok(Taken::Job(job)) => {
                let span = tracing::info_span!(
                    "postal_hooks.inbox",
                    uuid = %job.uuid,
                    attempt = job.attempts + 1
                );
                process(shared, name, *job).instrument(span).await;
            }
            Ok(Taken::Idle(wait)) => {
                // A push between the look and this wait left a permit: no delivery waits
                // for the poll interval.
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shared.wake.notified() => {}
                    // `Err`: the `Workers` handle was dropped, which leaves the workers
                    // running; the branch is then disabled.
                    Ok(_) = stopping.wait_for(|stop| *stop) => return,
                }
            }
            Err(error) => {
                tracing::warn!(%error, worker = %name, "cannot take a delivery from the inbox");
                tokio::select! {
                    () = tokio::time::sleep(STORE_RETRY) => {}
                    Ok(_) = stopping.wait_for(|stop| *stop) => return,
                }
            }
        }
    }
}

/// Runs one delivery to its end, or gives it back when shutdown's grace runs out.
async fn process(shared: &Shared, worker: &str, mut job: Job) {
    let backend = &*shared.backend;
    if let Some(reason) = &job.damaged {
        tracing::error!(%reason, "dead-lettering an unreadable inbox record");
        log_failure(backend.dead_letter(worker, &job, reason, &[], "[]").await);
        return;
    }
    let parsed = match job.envelope.take() {
        Some(envelope) => Ok(envelope),
        None => Envelope::parse(&job.body),
    };
    let envelope = match parsed {
        Ok(envelope) => envelope,
        Err(error) => {
            let reason = format!("unreadable record: the stored body does not parse: {error}");
            tracing::error!(%reason, "dead-lettering an unreadable inbox record");
            log_failure(backend.dead_letter(worker, &job, &reason, &[], "[]").await);
            return;
        }
    };
    let dispatched = pin!(shared.dispatcher.dispatch_envelope(envelope));
    let alive = pin!(keep_alive(backend, worker, &job, shared.settings.lease));
    let mut grace = shared.grace.clone();
    let mut stopping = shared.stopping.clone();
    let out_of_grace = pin!(async move {
        if stopping.wait_for(|stop| *stop).await.is_err() {
            // The `Workers` handle was dropped without `shutdown`: no grace to run out.
            std::future::pending::<()>().await;
        }
        let grace = *grace.borrow_and_update();
        tokio::time::sleep(grace).await;
    });
    tokio::select! {
        report = dispatched => settle(shared, worker, &job, &report).await,
        () = alive => {}
        () = out_of_grace => {
            tracing::warn!("shutdown: giving the delivery back unfinished");
            log_failure(backend.release(worker, &job).await);
        }
    }
}

/// Renews the lease every third of it, for as long as it is polled.
async fn keep_alive(backend: &dyn Backend, worker: &str, job: &Job, lease: Duration) {
    loop {
        tokio::time::sleep(lease / 3).await;
        if let Err(error) = backend.keep_alive(worker, job, lease).await {
            tracing::warn!(%error, "cannot renew the delivery's lease");
        }
    }
}

/// Acknowledges, retries later, or dead-letters, from the report.
async fn settle(shared: &Shared, worker: &str, job: &Job, report: &Report) {
    let backend = &*shared.backend;
    let runs = runs_json(report);
    if report.is_success() {
        log_failure(backend.ack(worker, job, &runs).await);
        return;
    }
    let mut errors: Vec<HandlerFailure> = report
        .failures()
        .map(|run| HandlerFailure {
            handler: run.handler().name().to_owned(),
            error: match run.outcome() {
                crate::Outcome::Error(message) | crate::Outcome::Panic(message) => message.clone(),
                other => other.to_string(),
            },
        })
        .collect();
    if let Some(not_run) = report.not_run() {
        errors.push(HandlerFailure {
            handler: match not_run {
                NotRun::InProgress => "(claim)".to_owned(),
                _ => "(idempotency store)".to_owned(),
            },
            error: not_run.to_string(),
        });
    }
    let now = now_ms();
    let age = Duration::from_millis(now.saturating_sub(job.since_ms));
    if age >= shared.settings.retry_max_age {
        let reason = format!(
            "failed for {}s, past the maximum age of {}s",
            age.as_secs(),
            shared.settings.retry_max_age.as_secs()
        );
        tracing::error!(%reason, attempts = job.attempts + 1, "dead-lettering the delivery");
        log_failure(
            backend
                .dead_letter(worker, job, &reason, &errors, &runs)
                .await,
        );
        return;
    }
    // Another delivery of the uuid holds its claim (one given back at shutdown, or a dead
    // replica's, until its lease runs out): look again within a quarter lease.
    let delay = match report.not_run() {
        Some(NotRun::InProgress) => shared
            .settings
            .backoff_for(job.attempts + 1)
            .min(shared.settings.lease / 4),
        _ => shared.settings.backoff_for(job.attempts + 1),
    };
    tracing::warn!(
        attempts = job.attempts + 1,
        retry_in_ms = to_ms(delay),
        failures = errors.len(),
        "a handler failed; retrying later"
    );
    log_failure(
        backend
            .retry(
                worker,
                job,
                now.saturating_add(to_ms(delay)),
                &errors,
                &runs,
            )
            .await,
    );
}

/// The run's handlers, as the history keeps them ([`HandlerRecord`]s, as JSON).
///
/// [`HandlerRecord`]: crate::observe::HandlerRecord
fn runs_json(report: &Report) -> String {
    let runs: Vec<crate::observe::HandlerRecord> = report
        .runs()
        .iter()
        .map(crate::observe::HandlerRecord::from_run)
        .collect();
    serde_json::to_string(&runs).unwrap_or_else(|_| "[]".to_owned())
}

/// A failure to record the outcome leaves the delivery under its lease: it runs again
/// after the lease, and the handlers that succeeded are skipped then.
fn log_failure(result: Result<(), super::InboxError>) {
    if let Err(error) = result {
        tracing::error!(%error, "cannot record the delivery's outcome; it runs again after its lease");
    }
}
