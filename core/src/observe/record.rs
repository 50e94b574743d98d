//! Recording a request's outcome: the log line, then the counters.

use std::time::Duration;

use metrics::SharedString;

use super::RunOutcome;
use super::labels::label;
use super::line::log_line;
use super::{DELIVERIES_TOTAL, HANDLER_DURATION_SECONDS, HANDLER_RUNS_TOTAL, REFUSALS_TOTAL};
use crate::dispatch::{HandlerRun, NotRun, Outcome};
use crate::receiver::Reply;

/// Logs and counts one answered request, `elapsed` after it reached the receiver.
pub(crate) fn observe_reply(reply: &Reply, elapsed: Duration) {
    let refusal = refusal(reply);
    log_line(reply, elapsed, refusal);
    let event = match reply.event_name() {
        Some(name) => label(name.clone()),
        None => SharedString::const_str("unknown"),
    };
    metrics::counter!(DELIVERIES_TOTAL, "event" => event, "status" => status_label(reply.status()))
        .increment(1);
    if let Some(reason) = refusal {
        metrics::counter!(REFUSALS_TOTAL, "reason" => reason).increment(1);
    }
}

/// Counts handler runs and times them: for every dispatch, inline or in an inbox worker.
pub(crate) fn record_runs(runs: &[HandlerRun]) {
    for run in runs {
        let handler = run.handler.static_path();
        let outcome = RunOutcome::of(&run.outcome).as_str();
        metrics::counter!(HANDLER_RUNS_TOTAL, "handler" => handler, "outcome" => outcome)
            .increment(1);
        if run.outcome != Outcome::Skipped {
            metrics::histogram!(HANDLER_DURATION_SECONDS, "handler" => handler)
                .record(run.duration.as_secs_f64());
        }
    }
}

/// Why no handler ran, when none did although the request reached the receiver.
fn refusal(reply: &Reply) -> Option<&'static str> {
    if let Some(error) = reply.error() {
        return Some(error.reason());
    }
    reply.report()?.not_run().map(NotRun::reason)
}

/// The status as a label, without allocating for the statuses this crate answers.
fn status_label(status: http::StatusCode) -> SharedString {
    let code = match status.as_u16() {
        200 => "200",
        400 => "400",
        401 => "401",
        405 => "405",
        409 => "409",
        413 => "413",
        415 => "415",
        500 => "500",
        503 => "503",
        other => return SharedString::from_owned(other.to_string()),
    };
    SharedString::const_str(code)
}
