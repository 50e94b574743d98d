//! Logging a refusal without any value taken from the body.

use super::error::ReceiveError;

/// Logs why a request was refused, without any value taken from the body.
///
/// A [`ParseError`]'s message can quote a payload value (serde says `invalid type: string
/// "jane@example.net", expected u64`), so a bad body is logged by kind, path, line and
/// column only. The other refusals quote only the request line and headers.
pub(super) fn log_refusal(error: &ReceiveError) {
    let status = error.http_status().as_u16();
    match error {
        ReceiveError::BadRequest(parse) => tracing::info!(
            status,
            kind = ?parse.kind(),
            path = parse.path().unwrap_or("(top level)"),
            line = parse.line(),
            column = parse.column(),
            "postal webhook refused: invalid body"
        ),
        _ => tracing::info!(status, error = %error, "postal webhook refused"),
    }
}
