//! What of a delivery's payload the inspector may show: nothing by default; the message's
//! recipient and subject when the app opts in; the whole payload only when it opts in to
//! that too.

use serde_json::Value;

/// The message's recipient and subject, from `payload.message` or, for a bounce,
/// `payload.original_message`.
pub(super) fn recipient_and_subject(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (None, None);
    };
    let payload = value.get("payload");
    let message = payload
        .and_then(|payload| payload.get("message"))
        .filter(|message| message.is_object())
        .or_else(|| payload.and_then(|payload| payload.get("original_message")));
    let text = |field: &str| {
        message
            .and_then(|message| message.get(field))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    (text("to"), text("subject"))
}

/// The payload, pretty-printed (the body as it is, when it is not JSON).
pub(super) fn payload(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => serde_json::to_string_pretty(value.get("payload").unwrap_or(&Value::Null))
            .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned()),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}
