//! Every example on Postal's public webhooks page (`../shared/postal/docs-page.md`) parses
//! with the payload-only API, except the `DomainDNSError` one, whose trailing comma makes it
//! invalid JSON: that one must fail with a line and column, not panic.

mod common;

use postal_hooks::events::{DeliveryStatus, SpamStatus};
use postal_hooks::{Event, ParseErrorKind};

/// The fenced code blocks of the page, in order, under their `# ` section headings.
fn examples() -> Vec<(String, String)> {
    let page = common::shared_text("docs-page.md");
    let mut heading = String::new();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match &mut current {
            None if line.starts_with("# ") => heading = line.trim_start_matches("# ").to_owned(),
            None if line.starts_with("```") => current = Some(String::new()),
            None => {}
            Some(_) if line.starts_with("```") => {
                blocks.push((heading.clone(), current.take().unwrap()))
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    let headings: Vec<_> = blocks.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(
        headings,
        [
            "Message Status Events",
            "Message Bounces",
            "Message Click Event",
            "Send Limit Events",
            "DNS Error Event"
        ]
    );
    blocks
}

fn example(heading: &str) -> String {
    examples()
        .into_iter()
        .find(|(h, _)| h == heading)
        .unwrap()
        .1
}

#[test]
fn message_status_example_parses_as_each_of_the_four_events() {
    let payload = example("Message Status Events");
    for name in [
        "MessageSent",
        "MessageDelayed",
        "MessageDeliveryFailed",
        "MessageHeld",
    ] {
        let event =
            Event::from_payload(name, payload.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.name(), name);
        let delivery = match &event {
            Event::MessageSent(e) => &e.0,
            Event::MessageDelayed(e) => &e.0,
            Event::MessageDeliveryFailed(e) => &e.0,
            Event::MessageHeld(e) => &e.0,
            other => panic!("unexpected {other:?}"),
        };
        // The docs show `Sent` for all four; a value is data, kept as received.
        assert_eq!(delivery.status, DeliveryStatus::Sent);
        assert_eq!(delivery.time, Some(0.22));
        assert_eq!(delivery.sent_with_ssl, Some(true));
        assert_eq!(
            delivery.output,
            "250 2.0.0 OK 1477944899 ly2si31746747wjb.95 - gsmtp"
        );
        assert_eq!(delivery.message.id, 12345);
        assert_eq!(delivery.message.token, "abcdef123");
        assert_eq!(delivery.message.spam_status, SpamStatus::NotSpam);
        assert_eq!(delivery.message.tag.as_deref(), Some("welcome"));
    }
}

#[test]
fn bounce_example_parses() {
    let payload = example("Message Bounces");
    let Event::MessageBounced(bounce) =
        Event::from_payload("MessageBounced", payload.as_bytes()).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(
        bounce.original_message.to.as_deref(),
        Some("test@example.com")
    );
    assert_eq!(bounce.bounce.id, 12347);
    assert_eq!(
        bounce.bounce.from.as_deref(),
        Some("postmaster@someserver.com")
    );
    assert_eq!(bounce.bounce.tag, None);
}

#[test]
fn click_example_in_v1_key_order_parses() {
    let payload = example("Message Click Event");
    let Event::MessageLinkClicked(click) =
        Event::from_payload("MessageLinkClicked", payload.as_bytes()).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(click.url, "https://atech.media");
    assert_eq!(click.token, "VJzsFA0S");
    assert_eq!(click.ip_address, "185.22.208.2");
    assert_eq!(
        click.message.subject.as_deref(),
        Some("Welcome to AwesomeApp")
    );
}

#[test]
fn send_limit_example_parses_as_both_events() {
    let payload = example("Send Limit Events");
    for name in ["SendLimitApproaching", "SendLimitExceeded"] {
        let event = Event::from_payload(name, payload.as_bytes()).unwrap();
        let limit = match &event {
            Event::SendLimitApproaching(e) => &e.0,
            Event::SendLimitExceeded(e) => &e.0,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!((limit.volume, limit.limit), (904, Some(1000)));
        assert_eq!(limit.server.name, "AwesomeApp Mail Server");
    }
}

#[test]
fn dns_error_example_with_trailing_comma_fails_with_line_and_column() {
    let payload = example("DNS Error Event");
    let error = Event::from_payload("DomainDNSError", payload.as_bytes()).unwrap_err();
    assert_eq!(error.kind(), ParseErrorKind::Syntax);
    // The comma ends line 18 (`  },`); the parser notices at the `}` on line 19.
    assert_eq!(
        (error.line(), error.column()),
        (Some(19), Some(1)),
        "{error}"
    );
    assert_eq!(error.path(), None);
    assert_eq!(error.to_string(), "trailing comma at line 19 column 1");

    // Without the comma it is a valid payload (with the docs' impossible Missing/null pair).
    let fixed = payload.replace("},\n}", "}\n}");
    let Event::DomainDNSError(dns) =
        Event::from_payload("DomainDNSError", fixed.as_bytes()).unwrap()
    else {
        panic!("wrong variant")
    };
    assert_eq!(dns.domain, "example.com");
    assert_eq!(dns.mx_error, None);
}
