//! The one `INFO` line per request: what was answered, which handlers ran, skipped or
//! failed, or why nothing ran. Never a payload value.

use std::fmt;
use std::time::Duration;

use super::REQUEST_TARGET;
use crate::dispatch::{HandlerRun, Outcome};
use crate::receiver::{ReceiveError, Reply};

/// Emits the line for `reply`, answered after `elapsed`.
pub(super) fn log_line(reply: &Reply, elapsed: Duration, refusal: Option<&str>) {
    let (event, uuid) = reply.event_and_uuid();
    let runs = reply.report().map_or(&[][..], |report| report.runs());
    tracing::info!(
        target: REQUEST_TARGET,
        event = event.unwrap_or("-"),
        uuid = uuid.unwrap_or("-"),
        status = reply.status().as_u16(),
        duration_ms = %Millis(elapsed),
        ran = %Names(runs, |outcome| *outcome == Outcome::Ok),
        skipped = %Names(runs, |outcome| *outcome == Outcome::Skipped),
        failed = %Names(runs, Outcome::is_failure),
        refusal = refusal.unwrap_or("-"),
        stored = stored(reply),
        detail = %Detail(reply.error()),
        "postal webhook"
    );
}

#[cfg(feature = "inbox")]
fn stored(reply: &Reply) -> &'static str {
    match reply.stored() {
        Some(crate::inbox::Pushed::AlreadyQueued) => "already_queued",
        Some(_) => "queued",
        None => "-",
    }
}

#[cfg(not(feature = "inbox"))]
fn stored(_: &Reply) -> &'static str {
    "-"
}

/// Milliseconds, to the microsecond (truncated): `2.140`.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Integers: formatting a float costs several times as much, on every request.
        let micros = self.0.as_micros();
        write!(f, "{}.{:03}", micros / 1000, micros % 1000)
    }
}

/// `[a::b, c::d]`: the paths of the runs whose outcome passes the filter.
struct Names<'a>(&'a [HandlerRun], fn(&Outcome) -> bool);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        let mut first = true;
        for run in self.0.iter().filter(|run| (self.1)(&run.outcome)) {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(run.handler.static_path())?;
        }
        f.write_str("]")
    }
}

/// What was wrong with a refused request, without any value taken from the body.
///
/// A [`ParseError`](crate::ParseError)'s message can quote a payload value (serde says
/// `invalid type: string "jane@example.net", expected u64`), so a bad body is described by
/// kind, path, line and column only. The other refusals quote only the request line and
/// headers.
struct Detail<'a>(Option<&'a ReceiveError>);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("-"),
            Some(ReceiveError::BadRequest(parse)) => {
                let path = parse.path().unwrap_or("(top level)");
                write!(f, "invalid body: {:?} at {path}", parse.kind())?;
                if let (Some(line), Some(column)) = (parse.line(), parse.column()) {
                    write!(f, ", line {line} column {column}")?;
                }
                Ok(())
            }
            Some(error) => write!(f, "{error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_to_the_microsecond() {
        let shown = |nanos| Millis(Duration::from_nanos(nanos)).to_string();
        assert_eq!(shown(0), "0.000");
        assert_eq!(shown(2_140_999), "2.140");
        assert_eq!(shown(45_000), "0.045");
        assert_eq!(shown(12_345_678_000), "12345.678");
    }
}
