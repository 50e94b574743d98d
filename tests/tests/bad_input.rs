//! Bad and odd input: every case gives a typed error that says what and where, or parses
//! the way Postal means it. Nothing panics.

mod common;

use postal_hooks::events::{DeliveryStatus, Direction, DnsStatus, SpamStatus};
use postal_hooks::{Envelope, Event, ParseErrorKind};

/// The MessageSent body with `from` replaced by `to`, as a string.
fn sent_with(from: &str, to: &str) -> Vec<u8> {
    let body = String::from_utf8(common::payload("MessageSent.json")).unwrap();
    assert!(body.contains(from), "fixture lacks {from}");
    body.replacen(from, to, 1).into_bytes()
}

/// `body` with each `\u{1}` placeholder byte replaced by `byte` (which a `&str` cannot hold).
fn with_raw_byte(body: Vec<u8>, byte: u8) -> Vec<u8> {
    body.into_iter()
        .map(|b| if b == 1 { byte } else { b })
        .collect()
}

#[test]
fn table_of_errors() {
    let truncated = {
        let mut body = common::payload("MessageSent.json");
        body.truncate(300);
        body
    };
    // (case, body, kind, exact Display)
    let cases: Vec<(&str, Vec<u8>, ParseErrorKind, &str)> = vec![
        (
            "empty body",
            b"".to_vec(),
            ParseErrorKind::NotJson,
            "the body is not JSON: it is empty",
        ),
        (
            "whitespace only",
            b" \r\n".to_vec(),
            ParseErrorKind::NotJson,
            "the body is not JSON: it is empty",
        ),
        (
            "HTML error page",
            b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>".to_vec(),
            ParseErrorKind::NotJson,
            "the body is not JSON: it looks like HTML or XML (it starts with `<`)",
        ),
        (
            "form post",
            b"event=MessageSent&payload=%7B%7D".to_vec(),
            ParseErrorKind::NotJson,
            "the body is not JSON: it looks like form data (`key=value&…`), not a JSON object",
        ),
        (
            "binary",
            vec![0x1f, 0x8b, 0x08, 0x00],
            ParseErrorKind::NotJson,
            "the body is not JSON: it starts with byte 0x1f, which cannot begin a JSON value",
        ),
        (
            "null",
            b"null".to_vec(),
            ParseErrorKind::Data,
            "invalid type: null, expected a Postal webhook envelope {\"event\",\"timestamp\",\"payload\",\"uuid\"} at line 1 column 4",
        ),
        (
            "array",
            b"[1,2]".to_vec(),
            ParseErrorKind::Data,
            "invalid type: sequence, expected a Postal webhook envelope {\"event\",\"timestamp\",\"payload\",\"uuid\"} at line 1 column 1",
        ),
        (
            "truncated",
            truncated,
            ParseErrorKind::Truncated,
            "payload.message: EOF while parsing a string at line 1 column 300",
        ),
        (
            "wrong type at a nested field",
            sent_with(r#""id":48213"#, r#""id":"x""#),
            ParseErrorKind::Data,
            "payload.message.id: invalid type: string \"x\", expected u64 at line 1 column 83",
        ),
        (
            "negative id",
            sent_with(r#""id":48213"#, r#""id":-1"#),
            ParseErrorKind::Data,
            "payload.message.id: invalid value: integer `-1`, expected u64 at line 1 column 82",
        ),
        (
            "null where Postal never sends one",
            sent_with(
                r#""output":"250 2.0.0 Ok: queued as 4VJ7Q12X3Yz""#,
                r#""output":null"#,
            ),
            ParseErrorKind::Data,
            "payload.output: invalid type: null, expected a string at line 1 column 490",
        ),
        (
            "missing uuid",
            sent_with(r#","uuid":"0b6e3a8c-2f41-4d7a-8e55-9c1d3b7a6f20""#, ""),
            ParseErrorKind::Data,
            "missing field `uuid` at line 1 column 589",
        ),
        (
            "timestamp as a string",
            sent_with(
                r#""timestamp":1714053601.940215"#,
                r#""timestamp":"1714053601""#,
            ),
            ParseErrorKind::Data,
            "timestamp: invalid type: string \"1714053601\", expected f64 at line 1 column 47",
        ),
        (
            "enum value of the wrong type",
            sent_with(r#""status":"Sent""#, r#""status":7"#),
            ParseErrorKind::Data,
            "payload.status: invalid type: integer `7`, expected a delivery status such as \"Sent\" at line 1 column 380",
        ),
        (
            "duplicate key",
            br#"{"event":"MessageSent","event":"MessageHeld"}"#.to_vec(),
            ParseErrorKind::Data,
            "duplicate field `event` at line 1 column 30",
        ),
        (
            "trailing garbage",
            [common::payload("MessageSent.json"), b"}".to_vec()].concat(),
            ParseErrorKind::Syntax,
            "trailing characters at line 1 column 636",
        ),
        (
            "invalid UTF-8 in a string field",
            with_raw_byte(sent_with("receipt #1042", "receipt #\u{1}1042"), 0xff),
            ParseErrorKind::Syntax,
            "payload.message.subject: invalid unicode code point at line 1 column 291",
        ),
        (
            "invalid UTF-8 in a field that would be ignored",
            with_raw_byte(
                sent_with(
                    r#""tag":"receipt""#,
                    "\"tag\":\"receipt\",\"note\":\"\u{1}\"",
                ),
                0xc3,
            ),
            ParseErrorKind::Syntax,
            "invalid UTF-8 (byte 0xc3) at line 1 column 378",
        ),
        (
            "trailing comma",
            br#"{"event":"X","timestamp":1,"payload":{},"uuid":"u",}"#.to_vec(),
            ParseErrorKind::Syntax,
            "trailing comma at line 1 column 52",
        ),
    ];
    let mut mismatches = Vec::new();
    for (case, body, kind, display) in cases {
        let error = Envelope::parse(&body).expect_err(case);
        if error.kind() != kind || error.to_string() != display {
            mismatches.push(format!(
                "{case}: got {:?} {error:?}\n  display {error}",
                error.kind()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn errors_expose_path_and_position_separately() {
    let error = Envelope::parse(&sent_with(r#""id":48213"#, r#""id":"x""#)).unwrap_err();
    assert_eq!(error.path(), Some("payload.message.id"));
    assert_eq!(error.message(), "invalid type: string \"x\", expected u64");
    assert_eq!((error.line(), error.column()), (Some(1), Some(83)));

    let error = Envelope::parse(b"").unwrap_err();
    assert_eq!(
        (error.path(), error.line(), error.column()),
        (None, None, None)
    );
    let _: &dyn std::error::Error = &error;
}

#[test]
fn unknown_event_is_delivered_with_its_raw_payload() {
    let body = br#"{"event":"MessageArchived","timestamp":1714053601.5,"payload":{"message":{"id":1},"reason":"a\u0026b"},"uuid":"u-1"}"#;
    let envelope = Envelope::parse(body).unwrap();
    assert_eq!(envelope.event().name(), "MessageArchived");
    let Event::Unknown { name, payload } = envelope.event() else {
        panic!("expected Unknown")
    };
    assert_eq!(name, "MessageArchived");
    // Byte for byte, escapes included.
    assert_eq!(payload.get(), r#"{"message":{"id":1},"reason":"a\u0026b"}"#);
    let value: serde_json::Value = payload.parse().unwrap();
    assert_eq!(value["reason"], "a&b");
    // Round trip of the whole envelope.
    let original: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(serde_json::to_value(&envelope).unwrap(), original);
}

#[test]
fn unknown_enum_values_become_other_and_round_trip() {
    let body = sent_with(r#""status":"Sent""#, r#""status":"Quarantined""#);
    let body = String::from_utf8(body)
        .unwrap()
        .replacen("\"outgoing\"", "\"sideways\"", 1)
        .replacen("\"NotChecked\"", "\"Suspicious\"", 1);
    let envelope = Envelope::parse(body.as_bytes()).unwrap();
    let Event::MessageSent(sent) = envelope.event() else {
        panic!("wrong variant")
    };
    assert_eq!(sent.status, DeliveryStatus::Other("Quarantined".into()));
    assert_eq!(sent.message.direction, Direction::Other("sideways".into()));
    assert_eq!(
        sent.message.spam_status,
        SpamStatus::Other("Suspicious".into())
    );
    let payload = serde_json::to_value(envelope.event()).unwrap();
    assert_eq!(payload["status"], "Quarantined");
    assert_eq!(payload["message"]["direction"], "sideways");

    let dns = String::from_utf8(common::payload("DomainDNSError.json"))
        .unwrap()
        .replacen(r#""spf_status":"OK""#, r#""spf_status":"Timeout""#, 1);
    let Event::DomainDNSError(dns) = Envelope::parse(dns.as_bytes()).unwrap().into_event() else {
        panic!()
    };
    assert_eq!(dns.spf_status, DnsStatus::Other("Timeout".into()));
}

#[test]
fn a_status_that_does_not_match_the_event_is_kept_as_received() {
    let body = sent_with(r#""status":"Sent""#, r#""status":"HardFail""#);
    let Event::MessageSent(sent) = Envelope::parse(&body).unwrap().into_event() else {
        panic!()
    };
    assert_eq!(sent.status, DeliveryStatus::HardFail);
}

#[test]
fn extra_unknown_fields_are_ignored_everywhere() {
    let body = String::from_utf8(common::payload("MessageSent.json")).unwrap();
    let body = body
        .replacen(
            r#"{"event""#,
            r#"{"version":3,"server":{"x":[1,{"y":null}]},"event""#,
            1,
        )
        .replacen(r#""status":"Sent""#, r#""status":"Sent","attempt":2"#, 1)
        .replacen(
            r#""tag":"receipt""#,
            r#""tag":"receipt","priority":"high""#,
            1,
        );
    let Event::MessageSent(sent) = Envelope::parse(body.as_bytes()).unwrap().into_event() else {
        panic!()
    };
    assert_eq!(sent.message.tag.as_deref(), Some("receipt"));
    assert_eq!(sent.status, DeliveryStatus::Sent);
}

#[test]
fn keys_in_any_order_including_payload_before_event() {
    let body = String::from_utf8(common::payload("MessageBounced.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let payload = serde_json::to_string(&value["payload"]).unwrap();
    let reordered = format!(
        r#"{{"uuid":"7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73","payload":{payload},"timestamp":1714057204.220918,"event":"MessageBounced"}}"#
    );
    let expected = Envelope::parse(body.as_bytes()).unwrap();
    assert_eq!(Envelope::parse(reordered.as_bytes()).unwrap(), expected);
}

#[test]
fn a_bad_field_in_a_payload_sent_before_event_is_located_in_the_whole_body() {
    let body = br#"{"uuid":"u","payload":{"server":{"uuid":"s","name":"n","permalink":"p","organization":null},"volume":"many","limit":1},"timestamp":1.5,
"event":"SendLimitExceeded"}"#;
    let error = Envelope::parse(body).unwrap_err();
    assert_eq!(error.kind(), ParseErrorKind::Data);
    assert_eq!(error.path(), Some("payload.volume"));
    assert_eq!(
        error.to_string(),
        "payload.volume: invalid type: string \"many\", expected u64 at line 1 column 107"
    );
}

#[test]
fn older_postal_key_orders_parse() {
    // v1/v2: the message object was appended last, after the placeholder was replaced.
    let clicked = br#"{"event":"MessageLinkClicked","timestamp":1577836800.0,"payload":{"url":"https://example.com/?a=1\u0026b=2","token":"VJzsFA0S","ip_address":"2001:db8::1","user_agent":null,"message":{"id":9,"token":"abcdef123456","direction":"outgoing","message_id":null,"to":"a@example.com","from":"b@example.com","subject":"","timestamp":1577836700.5,"spam_status":"NotChecked","tag":null}},"uuid":"v1-click"}"#;
    let Event::MessageLinkClicked(click) = Envelope::parse(clicked).unwrap().into_event() else {
        panic!()
    };
    assert_eq!(click.url, "https://example.com/?a=1&b=2");
    assert_eq!(click.user_agent, None);
    assert_eq!(click.ip(), Some("2001:db8::1".parse().unwrap()));
    assert_eq!(click.message.token.len(), 12);
    assert_eq!(click.message.message_id, None);

    let loaded = br#"{"event":"MessageLoaded","timestamp":1577836800,"payload":{"ip_address":"192.0.2.1","user_agent":"UA","message":{"id":9,"token":"abcdef123456","direction":"outgoing","message_id":"m@x","to":"a@example.com","from":"b@example.com","subject":"s","timestamp":0.0,"spam_status":"NotSpam","tag":"t"}},"uuid":"v1-open"}"#;
    let envelope = Envelope::parse(loaded).unwrap();
    // An integer timestamp is accepted too.
    assert_eq!(envelope.timestamp().as_secs_f64(), 1577836800.0);
    let Event::MessageLoaded(open) = envelope.into_event() else {
        panic!()
    };
    assert_eq!(open.message.timestamp.as_secs_f64(), 0.0);
}

#[test]
fn older_postal_unreplaced_placeholders_name_the_missing_field() {
    // v1/v2 built these payloads with `_message`-style integer placeholders; when the message
    // lookup failed the placeholder stayed and the real key never appeared.
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "click",
            br#"{"event":"MessageLinkClicked","timestamp":1.0,"payload":{"url":"u","token":"t","ip_address":"1.2.3.4","user_agent":null,"_message":48213},"uuid":"x"}"#,
            "payload: missing field `message` at line 1 column 137",
        ),
        (
            "open",
            br#"{"event":"MessageLoaded","timestamp":1.0,"payload":{"ip_address":"1.2.3.4","user_agent":null,"_message":48213},"uuid":"x"}"#,
            "payload: missing field `message` at line 1 column 110",
        ),
        (
            "bounce",
            br#"{"event":"MessageBounced","timestamp":1.0,"payload":{"_original_message":1,"_bounce":2},"uuid":"x"}"#,
            "payload: missing field `original_message` at line 1 column 87",
        ),
    ];
    for (case, body, display) in cases {
        let error = Envelope::parse(body).expect_err(case);
        assert_eq!(error.kind(), ParseErrorKind::Data, "{case}");
        assert_eq!(error.path(), Some("payload"), "{case}");
        assert_eq!(error.to_string(), display, "{case}");
    }
}

#[test]
fn payload_only_errors_have_paths_relative_to_the_payload() {
    let error =
        Event::from_payload("MessageBounced", br#"{"original_message":{"id":true}}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "original_message.id: invalid type: boolean `true`, expected u64 at line 1 column 30"
    );
    let error = Event::from_payload("Whatever", b"{\"a\":").unwrap_err();
    assert_eq!(error.kind(), ParseErrorKind::Truncated);
    let error = Event::from_payload("MessageSent", b"").unwrap_err();
    assert_eq!(error.kind(), ParseErrorKind::NotJson);
}

/// Every prefix and many single-byte mutations of every real body: no panic, ever, and a
/// prefix is never mistaken for a complete body.
#[test]
fn no_prefix_or_byte_mutation_panics() {
    let mut outcomes = [0usize; 2];
    for (relative, body) in common::all_payloads() {
        for len in 0..body.len() {
            let prefix = &body[..len];
            assert!(
                Envelope::parse(prefix).is_err(),
                "{relative}: prefix of {len} bytes parsed"
            );
        }
        for index in 0..body.len() {
            for replacement in [b'"', b'{', b'}', b',', b'0', b'\\', 0xff, b' '] {
                let mut mutated = body.clone();
                mutated[index] = replacement;
                outcomes[usize::from(Envelope::parse(&mutated).is_ok())] += 1;
            }
        }
    }
    assert!(outcomes[0] > 10_000 && outcomes[1] > 100, "{outcomes:?}");
}

#[test]
fn payload_only_bodies_must_be_utf8_too() {
    let error = Event::from_payload("MessageLoaded", b"{\n\"ip_address\":\"\xff\"}").unwrap_err();
    assert_eq!(error.kind(), ParseErrorKind::Syntax);
    assert_eq!(
        error.to_string(),
        "ip_address: invalid unicode code point at line 2 column 15"
    );
    let error = Event::from_payload("Unheard", b"{\"x\":\"\xe2\x82\"}").unwrap_err();
    assert_eq!(
        (error.kind(), error.to_string().as_str()),
        (
            ParseErrorKind::Syntax,
            "invalid unicode code point at line 1 column 7"
        )
    );
}
