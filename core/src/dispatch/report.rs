//! [`Report`]: what a dispatch did, and the HTTP status that tells Postal.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::handler::{HandlerInfo, Meta};

/// What happened to one request: which handlers ran, how each ended, and the HTTP status
/// to answer Postal with.
///
/// ```
/// # use postal_hooks::{Dispatcher, events::MessageSent};
/// # async fn demo(body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|sent: &MessageSent| println!("sent to {:?}", sent.message.to))
///     .build()?;
/// let report = dispatcher.dispatch(body).await?;
/// assert!(report.is_success());
/// assert_eq!(report.http_status(), 200);
/// for run in report.runs() {
///     println!("{} took {:?}: {}", run.handler().name(), run.duration(), run.outcome());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    pub(crate) meta: Meta,
    pub(crate) runs: Vec<HandlerRun>,
    pub(crate) not_run: Option<NotRun>,
}

impl Report {
    pub(crate) fn new(meta: Meta, runs: Vec<HandlerRun>, not_run: Option<NotRun>) -> Self {
        Report {
            meta,
            runs,
            not_run,
        }
    }

    /// The event name.
    pub fn event(&self) -> &str {
        self.meta.event()
    }

    /// The envelope's uuid (`None` for a payload-only dispatch).
    pub fn uuid(&self) -> Option<&str> {
        self.meta.uuid()
    }

    /// The request's metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// One entry per handler that matched, in the order they ran.
    pub fn runs(&self) -> &[HandlerRun] {
        &self.runs
    }

    /// No handler is registered for this event. The event is still acknowledged (2xx):
    /// Postal would retry it for 36 minutes to no purpose otherwise.
    pub fn is_unhandled(&self) -> bool {
        self.runs.is_empty() && self.not_run.is_none()
    }

    /// Why no handler ran although some match: the uuid is being handled by another
    /// delivery, or the idempotency store is unreachable.
    pub fn not_run(&self) -> Option<&NotRun> {
        self.not_run.as_ref()
    }

    /// Every handler that ran succeeded or was skipped as already done (or none matched).
    pub fn is_success(&self) -> bool {
        self.not_run.is_none() && self.runs.iter().all(|run| !run.outcome.is_failure())
    }

    /// The failed runs (errors and panics).
    pub fn failures(&self) -> impl Iterator<Item = &HandlerRun> {
        self.runs.iter().filter(|run| run.outcome.is_failure())
    }

    /// `200` when every handler succeeded (or was already done for this uuid, or none
    /// matched); `500` when any failed; `409` while another delivery of the uuid is in
    /// progress; `503` when the idempotency store is unreachable. Postal retries every
    /// non-2xx answer.
    pub fn http_status(&self) -> StatusCode {
        match (&self.not_run, self.is_success()) {
            (Some(NotRun::InProgress), _) => StatusCode::CONFLICT,
            (Some(NotRun::StoreUnavailable(_)), _) => StatusCode::SERVICE_UNAVAILABLE,
            (None, true) => StatusCode::OK,
            (None, false) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What happened, in one line: the body of the answer to Postal, which its webhook log
    /// shows, and the first line of this report's `Display`.
    ///
    /// ```
    /// # use postal_hooks::{Dispatcher, events::MessageSent};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageSent.json"));
    /// let dispatcher = Dispatcher::builder()
    ///     .without_registered_handlers()
    ///     .on(|_: &MessageSent| {})
    ///     .build()?;
    /// assert_eq!(dispatcher.dispatch_blocking(body)?.summary(), "ok: 1 handler(s) ran");
    /// // Postal retries with the same uuid: the handler already succeeded.
    /// assert_eq!(dispatcher.dispatch_blocking(body)?.summary(), "ok: 0 handler(s) ran, 1 already done");
    /// # Ok(()) }
    /// ```
    pub fn summary(&self) -> String {
        if let Some(not_run) = &self.not_run {
            return not_run.to_string();
        }
        if self.is_unhandled() {
            return "no handler registered for this event (acknowledged)".to_owned();
        }
        let matched = self.runs.len();
        let failed = self.failures().count();
        let skipped = self
            .runs
            .iter()
            .filter(|run| run.outcome == Outcome::Skipped)
            .count();
        let ran = matched - skipped;
        let done = match skipped {
            0 => String::new(),
            _ => format!(", {skipped} already done"),
        };
        if failed > 0 {
            let ok = ran - failed;
            return format!(
                "{failed} of {matched} handler(s) failed; Postal will retry ({ok} ok{done}, {failed} failed)"
            );
        }
        format!("ok: {ran} handler(s) ran{done}")
    }
}

impl fmt::Display for Report {
    /// `<event> <uuid>: <summary>`, then one line per handler that matched.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uuid = self.uuid().unwrap_or("(no uuid)");
        write!(f, "{} {uuid}: {}", self.event(), self.summary())?;
        for run in &self.runs {
            write!(f, "\n  {run}")?;
        }
        Ok(())
    }
}

/// One handler's run within a [`Report`].
///
/// ```
/// # use postal_hooks::{Dispatcher, Outcome, events::MessageSent};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageSent.json"));
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|_: &MessageSent| -> Result<(), String> { Err("crm unreachable".into()) })
///     .build()?;
/// let report = dispatcher.dispatch_blocking(body)?;
/// let run = &report.runs()[0];
/// assert_eq!(run.outcome(), &Outcome::Error("crm unreachable".into()));
/// assert!(run.handler().name().contains("closure"));
/// println!("{run}"); // <closure path> (src/main.rs:6): error: crm unreachable in 1.2µs
/// # let _ = run.duration();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HandlerRun {
    pub(crate) handler: HandlerInfo,
    pub(crate) outcome: Outcome,
    pub(crate) duration: Duration,
}

impl HandlerRun {
    /// Which handler (name, `file:line`, events).
    pub fn handler(&self) -> &HandlerInfo {
        &self.handler
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// How long it took.
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

impl fmt::Display for HandlerRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {} in {:?}",
            self.handler.static_path(),
            self.handler.location(),
            self.outcome,
            self.duration
        )
    }
}

/// Why a delivery ran no handler although some match.
///
/// ```
/// # use postal_hooks::{NotRun, Report};
/// fn log(report: &Report) {
///     match report.not_run() {
///         Some(NotRun::InProgress) => println!("duplicate in flight: {}", report.http_status()),
///         Some(NotRun::StoreUnavailable(why)) => eprintln!("dedupe store down: {why}"),
///         Some(other) => eprintln!("{other}"),
///         None => println!("{} handler(s) ran", report.runs().len()),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotRun {
    /// Another delivery of the same uuid holds the claim (409: Postal retries later, by
    /// when it has finished).
    InProgress,
    /// The idempotency store could not be reached (503: Postal retries); never a silent
    /// skip of the duplicate check.
    StoreUnavailable(String),
}

impl NotRun {
    /// The kind, as a short `snake_case` word: `in_progress` (409) or `store_unavailable`
    /// (503). The `refusal` of the request's log line and the `reason` label of
    /// `postal_hooks_refusals_total` (see [`observe`](crate::observe)).
    ///
    /// ```
    /// # use postal_hooks::NotRun;
    /// assert_eq!(NotRun::InProgress.reason(), "in_progress");
    /// ```
    pub fn reason(&self) -> &'static str {
        match self {
            NotRun::InProgress => "in_progress",
            NotRun::StoreUnavailable(_) => "store_unavailable",
        }
    }
}

impl fmt::Display for NotRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotRun::InProgress => f.write_str(
                "another delivery of this uuid is in progress; nothing ran, retry later",
            ),
            NotRun::StoreUnavailable(error) => write!(f, "{error}; nothing ran, retry later"),
        }
    }
}

/// How one handler run ended.
///
/// ```
/// # use postal_hooks::{Dispatcher, Outcome, events::MessageSent};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let body = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/MessageSent.json"));
/// let dispatcher = Dispatcher::builder()
///     .without_registered_handlers()
///     .on(|_: &MessageSent| {})
///     .on(|sent: &MessageSent| assert!(sent.message.id == 0, "unexpected id"))
///     .build()?;
/// let report = dispatcher.dispatch_blocking(body)?;
/// let outcomes: Vec<&Outcome> = report.runs().iter().map(|run| run.outcome()).collect();
/// assert_eq!(outcomes, [&Outcome::Ok, &Outcome::Panic("unexpected id".into())]);
/// assert!(outcomes[1].is_failure());
/// assert_eq!(report.http_status(), 500); // Postal retries
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Returned `()` or `Ok(())`.
    Ok,
    /// Returned `Err`; the message includes the error's sources.
    Error(String),
    /// Panicked; the panic was caught and the other handlers ran on.
    Panic(String),
    /// Not run: it already succeeded for this uuid (a retry or a duplicate delivery).
    Skipped,
}

impl Outcome {
    /// An error or a panic.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Error(_) | Outcome::Panic(_))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Error(message) => write!(f, "error: {message}"),
            Outcome::Panic(message) => write!(f, "panic: {message}"),
            Outcome::Skipped => f.write_str("skipped: already done for this uuid"),
        }
    }
}
