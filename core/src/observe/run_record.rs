//! [`HandlerRecord`]: one handler's run as it is kept and shown: by the inspector, in the
//! inbox's history, and in `GET <mount>/api/deliveries`.

use serde::{Deserialize, Serialize};

use crate::dispatch::{HandlerRun, Outcome};

/// How a kept run ended: [`Outcome`] without its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunOutcome {
    /// Succeeded.
    Ok,
    /// Returned an error.
    Error,
    /// Panicked.
    Panic,
    /// Not run: it had already succeeded for this uuid.
    Skipped,
}

impl RunOutcome {
    /// How `outcome` ended, without its message.
    pub fn of(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Ok => RunOutcome::Ok,
            Outcome::Error(_) => RunOutcome::Error,
            Outcome::Panic(_) => RunOutcome::Panic,
            Outcome::Skipped => RunOutcome::Skipped,
        }
    }

    /// `ok`, `error`, `panic` or `skipped`: the `outcome` label of
    /// `postal_hooks_handler_runs_total` too.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Ok => "ok",
            RunOutcome::Error => "error",
            RunOutcome::Panic => "panic",
            RunOutcome::Skipped => "skipped",
        }
    }
}

/// One handler's run, as kept: serialised as
/// `{"name": …, "outcome": "ok|error|panic|skipped", "duration_ms": …, "error": … | null}`.
///
/// ```
/// use postal_hooks::observe::{HandlerRecord, RunOutcome};
/// use postal_hooks::{Dispatcher, events::MessageSent};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageSent.json"));
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|_: &MessageSent| -> Result<(), String> { Err("crm down".into()) })
///     .build()?;
/// let report = dispatcher.dispatch_blocking(body)?;
/// let record = HandlerRecord::from_run(&report.runs()[0]);
/// assert_eq!(record.outcome, RunOutcome::Error);
/// assert_eq!(record.error.as_deref(), Some("crm down"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HandlerRecord {
    /// The handler's full path (`my_app::bounces::suppress`).
    pub name: String,
    /// How it ended.
    pub outcome: RunOutcome,
    /// How long it ran, in milliseconds (0 when skipped).
    #[serde(default)]
    pub duration_ms: f64,
    /// The error or panic message, when it failed.
    #[serde(default)]
    pub error: Option<String>,
}

impl HandlerRecord {
    /// The record of `run`.
    pub fn from_run(run: &HandlerRun) -> Self {
        let error = match &run.outcome {
            Outcome::Error(message) | Outcome::Panic(message) => Some(message.clone()),
            _ => None,
        };
        HandlerRecord {
            name: run.handler.static_path().to_owned(),
            outcome: RunOutcome::of(&run.outcome),
            duration_ms: run.duration.as_secs_f64() * 1000.0,
            error,
        }
    }

    /// A failed handler known only by its name and last error (an old dead letter).
    #[cfg(all(feature = "inbox", feature = "inspector"))]
    pub(crate) fn failed(name: String, error: String) -> Self {
        HandlerRecord {
            name,
            outcome: RunOutcome::Error,
            duration_ms: 0.0,
            error: Some(error),
        }
    }
}
