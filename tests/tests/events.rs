//! Every body Postal sends parses into the right typed values, and serializes back to the
//! same JSON. Fixtures are read by path from `../shared/postal/payloads/`.

mod common;

use postal_hooks::events::{
    Delivery, DeliveryStatus, Direction, DnsStatus, EventType, Message, MessageBounced,
    MessageDelayed, MessageDeliveryFailed, MessageHeld, MessageSent, SpamStatus,
};
use postal_hooks::{Envelope, Event, Timestamp};
use serde_json::Value;

fn parse(relative: &str) -> Envelope {
    let body = common::payload(relative);
    Envelope::parse(&body).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn delivery(envelope: &Envelope) -> &Delivery {
    match envelope.event() {
        Event::MessageSent(e) => e,
        Event::MessageDelayed(e) => e,
        Event::MessageDeliveryFailed(e) => e,
        Event::MessageHeld(e) => e,
        other => panic!("{} is not a delivery event", other.name()),
    }
}

/// The message object that MessageSent, the tracking events and the bounce's original share.
fn assert_receipt_message(message: &Message) {
    assert_eq!(message.id, 48213);
    assert_eq!(message.token, "Xq8vT2mLp0aZ3kNc");
    assert_eq!(message.direction, Direction::Outgoing);
    assert_eq!(
        message.message_id.as_deref(),
        Some("7f3c2a10-1b2e-4c9d-9e8f-0a1b2c3d4e5f@acme.example")
    );
    assert_eq!(message.to.as_deref(), Some("jane.doe@example.net"));
    assert_eq!(message.from.as_deref(), Some("notifications@acme.example"));
    assert_eq!(message.subject.as_deref(), Some("Your receipt #1042"));
    assert_eq!(
        message.timestamp,
        Timestamp::from_secs_f64(1714053600.482913)
    );
    assert_eq!(message.spam_status, SpamStatus::NotChecked);
    assert_eq!(message.tag.as_deref(), Some("receipt"));
}

#[test]
fn message_sent() {
    let envelope = parse("MessageSent.json");
    assert_eq!(envelope.event().name(), "MessageSent");
    assert_eq!(envelope.uuid(), "0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20");
    assert_eq!(envelope.timestamp().as_secs_f64(), 1714053601.940215);
    let sent = envelope
        .event()
        .get::<MessageSent>()
        .expect("typed MessageSent");
    assert_receipt_message(&sent.message);
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(
        sent.details.as_deref(),
        Some("Message for jane.doe@example.net accepted by 203.0.113.25:25 (mx1.example.net)")
    );
    assert_eq!(sent.output, "250 2.0.0 Ok: queued as 4VJ7Q12X3Yz");
    assert_eq!(sent.sent_with_ssl, Some(true));
    // Full precision: seven decimals survive.
    assert_eq!(sent.timestamp.as_secs_f64(), 1714053601.9361272);
    assert_eq!(sent.time, Some(0.84));
}

#[test]
fn message_sent_incoming_http_endpoint_keeps_raw_utf8() {
    let envelope = parse("variants/MessageSent.incoming_http_endpoint.json");
    let sent = delivery(&envelope);
    assert_eq!(sent.message.direction, Direction::Incoming);
    assert_eq!(sent.message.spam_status, SpamStatus::NotSpam);
    assert_eq!(
        sent.message.message_id.as_deref(),
        Some("CAF=xyz123@mail.example.com")
    );
    assert_eq!(
        sent.message.subject.as_deref(),
        Some("Re: Ticket #881 – still broken")
    );
    assert_eq!(sent.message.tag, None);
    assert_eq!(
        sent.details.as_deref(),
        Some("Received a 200 from https://app.acme.example/postal/inbound")
    );
    assert_eq!(sent.output, "OK");
    assert_eq!(sent.time, Some(0.15));
}

#[test]
fn message_delayed() {
    let envelope = parse("MessageDelayed.json");
    let delayed = envelope
        .event()
        .get::<MessageDelayed>()
        .expect("typed MessageDelayed");
    assert_eq!(delayed.message.id, 48214);
    assert_eq!(delayed.message.tag, None);
    assert_eq!(delayed.status, DeliveryStatus::SoftFail);
    assert_eq!(
        delayed.output,
        "421 4.7.0 Try again later, closing connection."
    );
    assert_eq!(delayed.sent_with_ssl, Some(true));
    assert_eq!(delayed.timestamp.as_secs_f64(), 1714053662.1142857);
    assert_eq!(delayed.time, Some(1.21));
}

#[test]
fn message_delayed_without_smtp_servers_has_nulls_and_empty_output() {
    let envelope = parse("variants/MessageDelayed.no_smtp_servers.json");
    let delayed = delivery(&envelope);
    assert_eq!(delayed.status, DeliveryStatus::SoftFail);
    assert_eq!(
        delayed.details.as_deref(),
        Some("No SMTP servers were available for nonexistent-domain.example. No hosts to try.")
    );
    assert_eq!(delayed.output, "");
    assert_eq!(delayed.sent_with_ssl, Some(false));
    assert_eq!(delayed.time, None);
}

#[test]
fn message_delivery_failed_unescapes_html_safe_escapes() {
    let envelope = parse("MessageDeliveryFailed.json");
    let failed = envelope
        .event()
        .get::<MessageDeliveryFailed>()
        .expect("typed");
    assert_eq!(failed.status, DeliveryStatus::HardFail);
    assert_eq!(failed.message.to.as_deref(), Some("nobody@example.org"));
    assert_eq!(
        failed.output,
        "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table"
    );
    assert_eq!(failed.time, Some(0.37));
}

#[test]
fn message_held_has_null_ssl_and_time() {
    let envelope = parse("MessageHeld.json");
    let held = envelope.event().get::<MessageHeld>().expect("typed");
    assert_eq!(held.status, DeliveryStatus::Held);
    assert_eq!(held.sent_with_ssl, None);
    assert_eq!(held.time, None);
    assert_eq!(held.output, "");
    assert_eq!(
        held.details.as_deref(),
        Some(
            "Recipient (blocked@example.com) is on the suppression list (reason: too many hard fails)"
        )
    );
}

#[test]
fn message_bounced() {
    let envelope = parse("MessageBounced.json");
    assert_eq!(envelope.uuid(), "7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73");
    let bounced = envelope.event().get::<MessageBounced>().expect("typed");
    assert_receipt_message(&bounced.original_message);
    let bounce = &bounced.bounce;
    assert_eq!(bounce.id, 48390);
    assert_eq!(bounce.direction, Direction::Incoming);
    assert_eq!(
        bounce.from.as_deref(),
        Some(""),
        "the null sender stays an empty string"
    );
    assert_eq!(bounce.to.as_deref(), Some("kxwqzt@psrp.acme.example"));
    assert_eq!(
        bounce.subject.as_deref(),
        Some("Undelivered Mail Returned to Sender")
    );
    assert_eq!(bounce.spam_status, SpamStatus::NotSpam);
    assert_eq!(bounce.tag, None);
    assert_eq!(bounce.timestamp.as_secs_f64(), 1714057203.905127);
}

#[test]
fn message_link_clicked() {
    let envelope = parse("MessageLinkClicked.json");
    let Event::MessageLinkClicked(click) = envelope.event() else {
        panic!("wrong variant")
    };
    assert_receipt_message(&click.message);
    assert_eq!(
        click.url,
        "https://acme.example/account/invoices/1042?utm_source=email&utm_medium=receipt"
    );
    assert_eq!(click.token, "mN4qR7tV2xZ9bC5e");
    assert_eq!(click.ip_address, "203.0.113.77");
    assert_eq!(click.ip(), Some("203.0.113.77".parse().unwrap()));
    assert!(
        click
            .user_agent
            .as_deref()
            .unwrap()
            .starts_with("Mozilla/5.0 (Macintosh;")
    );
}

#[test]
fn message_loaded() {
    let envelope = parse("MessageLoaded.json");
    let Event::MessageLoaded(open) = envelope.event() else {
        panic!("wrong variant")
    };
    assert_receipt_message(&open.message);
    assert_eq!(open.ip_address, "198.51.100.23");
    assert!(
        open.user_agent
            .as_deref()
            .unwrap()
            .ends_with("(via ggpht.com GoogleImageProxy)")
    );
}

#[test]
fn domain_dns_error() {
    let envelope = parse("DomainDNSError.json");
    assert_eq!(envelope.uuid(), "4e6a8c0b-2d4f-4a6c-9e8a-0b2d4f6a8c1e");
    let Event::DomainDNSError(dns) = envelope.event() else {
        panic!("wrong variant")
    };
    assert_eq!(dns.server.uuid, "3f1c9a52-7d4e-4b1a-9c0e-5a8b2f6d1e47");
    assert_eq!(dns.server.name, "Acme Transactional");
    assert_eq!(dns.server.permalink, "acme-transactional");
    assert_eq!(dns.server.organization.as_deref(), Some("acme"));
    assert_eq!(dns.domain, "acme.example");
    assert_eq!(
        dns.uuid, "c7e9a1b3-5d7f-4b9d-8f1a-3c5e7a9b1d4f",
        "the domain's uuid, not the envelope's"
    );
    assert_eq!(dns.dns_checked_at.as_secs_f64(), 1714058100.7698412);
    assert_eq!(dns.spf_status, DnsStatus::Ok);
    assert_eq!(dns.spf_error, None);
    assert_eq!(dns.dkim_status, DnsStatus::Invalid);
    assert!(
        dns.dkim_error
            .as_deref()
            .unwrap()
            .starts_with("The DKIM record at postal-QWERTY._domainkey.acme.example")
    );
    assert_eq!(dns.mx_status, DnsStatus::Missing);
    assert_eq!(
        dns.mx_error.as_deref(),
        Some("There are no MX records for acme.example")
    );
    assert_eq!(dns.return_path_status, DnsStatus::Invalid);
    assert!(
        dns.return_path_error
            .as_deref()
            .unwrap()
            .contains("rp.old-host.example")
    );
}

#[test]
fn send_limit_events() {
    let approaching = parse("SendLimitApproaching.json");
    let Event::SendLimitApproaching(limit) = approaching.event() else {
        panic!("wrong variant")
    };
    assert_eq!(limit.server.permalink, "acme-transactional");
    assert_eq!((limit.volume, limit.limit), (904, Some(1000)));

    let exceeded = parse("SendLimitExceeded.json");
    let Event::SendLimitExceeded(limit) = exceeded.event() else {
        panic!("wrong variant")
    };
    assert_eq!(limit.server.organization.as_deref(), Some("acme"));
    assert_eq!((limit.volume, limit.limit), (1000, Some(1000)));
    assert_eq!(exceeded.timestamp().as_secs_f64(), 1714059540.892216);
}

#[test]
fn every_body_round_trips_to_the_same_json_value() {
    for (relative, body) in common::all_payloads() {
        let original: Value = serde_json::from_slice(&body).unwrap();
        let envelope = Envelope::parse(&body).unwrap_or_else(|e| panic!("{relative}: {e}"));
        assert!(
            !matches!(envelope.event(), Event::Unknown { .. }),
            "{relative} parsed as Unknown"
        );

        let payload = serde_json::to_value(envelope.event()).unwrap();
        assert_eq!(
            payload, original["payload"],
            "{relative}: payload round trip"
        );
        let whole = serde_json::to_value(&envelope).unwrap();
        assert_eq!(whole, original, "{relative}: envelope round trip");

        // The payload-only API gives the same event.
        let raw_payload = serde_json::to_vec(&original["payload"]).unwrap();
        let from_payload = Event::from_payload(envelope.event().name(), &raw_payload).unwrap();
        assert_eq!(&from_payload, envelope.event(), "{relative}: from_payload");
    }
}

#[test]
fn event_type_names_and_conversions() {
    assert_eq!(Event::KNOWN_NAMES.len(), 10);
    assert_eq!(MessageSent::NAME, "MessageSent");
    assert_eq!(postal_hooks::events::DomainDNSError::NAME, "DomainDNSError");
    let envelope = parse("MessageHeld.json");
    let held: MessageHeld = envelope.clone().into_event().try_into().unwrap();
    assert_eq!(held.clone().into_event().name(), "MessageHeld");
    let not_sent: Result<MessageSent, Event> = envelope.into_event().try_into();
    assert_eq!(not_sent.unwrap_err().name(), "MessageHeld");
    assert!(Event::is_known_name("MessageLoaded"));
    assert!(!Event::is_known_name("messageloaded"));
}

#[test]
fn timestamps_convert_to_system_time() {
    use std::time::{Duration, UNIX_EPOCH};
    let envelope = parse("MessageSent.json");
    let at = envelope.timestamp().to_system_time().unwrap();
    let since = at.duration_since(UNIX_EPOCH).unwrap();
    assert_eq!(since.as_secs(), 1714053601);
    let micros = since.subsec_micros();
    assert!((940214..=940215).contains(&micros), "{micros}");
    assert!(since < Duration::from_secs(1714053602));
}

#[test]
fn the_copies_in_core_samples_are_byte_identical_to_shared() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/samples");
    for (relative, body) in common::all_payloads() {
        let copy = std::fs::read(samples.join(&relative)).unwrap();
        assert!(
            copy == body,
            "core/samples/{relative} differs from ../shared/postal/payloads/{relative}"
        );
    }
    let bounce = common::vectors("")
        .into_iter()
        .find(|vector| vector.name == "MessageBounced")
        .unwrap();
    let copy = std::fs::read_to_string(samples.join("MessageBounced.json.sig256")).unwrap();
    assert_eq!(copy.trim(), bounce.sha256);
}
