//! What the handlers of `tests/dispatch.rs` must see for each of Postal's sample bodies,
//! and the check that every sample on disk has an expectation.

use super::common;

/// (relative path, the uuid to use, the specific handler, what it must have seen)
pub fn expectations() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    vec![
        (
            "MessageSent.json",
            "t-sent",
            "on_sent",
            "48213 Sent Some(0.84)",
        ),
        (
            "MessageDelayed.json",
            "t-delayed",
            "on_delayed",
            "48214 421 4.7.0 Try again later, closing connection.",
        ),
        (
            "MessageDeliveryFailed.json",
            "t-failed",
            "on_failed",
            "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
        ),
        (
            "MessageBounced.json",
            "t-bounced",
            "on_bounced",
            r#"Some("jane.doe@example.net") Some("")"#,
        ),
        (
            "MessageLinkClicked.json",
            "t-clicked",
            "on_clicked",
            "https://acme.example/account/invoices/1042?utm_source=email&utm_medium=receipt",
        ),
        (
            "MessageLoaded.json",
            "t-loaded",
            "on_loaded",
            "198.51.100.23",
        ),
        (
            "DomainDNSError.json",
            "t-dns",
            "on_dns",
            "acme.example Invalid Missing",
        ),
        (
            "SendLimitApproaching.json",
            "t-approaching",
            "on_approaching",
            "904/Some(1000)",
        ),
        (
            "SendLimitExceeded.json",
            "t-exceeded",
            "on_exceeded",
            "1000/Some(1000)",
        ),
        (
            "variants/MessageSent.incoming_http_endpoint.json",
            "t-sent-incoming",
            "on_sent",
            "48401 Sent Some(0.15)",
        ),
        (
            "variants/MessageDelayed.no_smtp_servers.json",
            "t-delayed-no-smtp",
            "on_delayed",
            "48420 ",
        ),
    ]
}

/// Every body in `../shared/postal/payloads/` is checked by `each_event_reaches_its_handler_with_the_right_value`
/// or by `held_event_runs_its_handlers`: a fixture added later fails here until it gets its expectation.
#[test]
fn every_fixture_body_has_an_expectation() {
    let mut covered: Vec<String> = expectations()
        .into_iter()
        .map(|(relative, ..)| relative.to_owned())
        .chain(["MessageHeld.json".to_owned()])
        .collect();
    covered.sort();
    let mut on_disk: Vec<String> = common::all_payloads()
        .into_iter()
        .map(|(relative, _)| relative)
        .collect();
    on_disk.sort();
    assert_eq!(covered, on_disk);
}
