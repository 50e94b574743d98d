//! Bodies that Postal sends elsewhere, posted to the webhook URL by mistake.
//!
//! A route's HTTP endpoint delivers incoming mail signed with the same headers as a
//! webhook, but its body is the message itself (`rcpt_to`, `mail_from`, …), not an
//! envelope (`SPEC.md` §10, `app/senders/http_sender.rb`). Such a body verifies, then fails
//! to parse for want of `event`; the error should say what it is and where it belongs.

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::error::{ParseError, ParseErrorKind};

/// `error`, or a clearer one when `body` is an incoming message rather than an envelope.
pub(super) fn explain(body: &[u8], error: ParseError) -> ParseError {
    if error.kind() != ParseErrorKind::Data || !is_incoming_message(body) {
        return error;
    }
    ParseError {
        kind: ParseErrorKind::Data,
        path: None,
        message: "this is an incoming message from a Postal route's HTTP endpoint (it has \
                  `rcpt_to`/`mail_from` and no `event`), not a webhook event: point the route \
                  at your inbound-mail handler, and only webhooks (Settings → Webhooks) at \
                  this URL"
            .to_owned(),
        position: None,
    }
}

fn is_incoming_message(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct TopLevel {
        event: Option<IgnoredAny>,
        rcpt_to: Option<IgnoredAny>,
        mail_from: Option<IgnoredAny>,
    }
    match serde_json::from_slice::<TopLevel>(body) {
        Ok(top) => top.event.is_none() && (top.rcpt_to.is_some() || top.mail_from.is_some()),
        Err(_) => false,
    }
}
