//! One INFO line per request (`postal_hooks::request`), for every answer: what ran, or the
//! refusal kind, and never a payload value. Handler spans carry the handler's full path.

mod common;

use std::time::Duration;

use common::trace::Recorder;
use postal_hooks::dedupe::{BoxFuture, Claim, ClaimToken, IdempotencyStore, StoreError};
use postal_hooks::events::{MessageBounced, MessageLoaded};
use postal_hooks::testing::Signer;
use postal_hooks::{Dispatcher, Receiver, on_event};

/// Values from MessageBounced.json that must never reach a log.
const SECRETS: [&str; 5] = [
    "jane.doe@example.net",
    "Xq8vT2mLp0aZ3kNc",
    "Your receipt",
    "kxwqzt",
    "notifications@acme.example",
];

fn assert_no_secret(lines: &str) {
    for secret in SECRETS {
        assert!(
            !lines.contains(secret),
            "payload value {secret:?} was logged:\n{lines}"
        );
    }
}

/// The per-request lines among everything recorded.
fn request_lines(recorder: &Recorder) -> Vec<String> {
    recorder
        .text()
        .lines()
        .filter(|line| line.contains("message=postal webhook "))
        .map(str::to_owned)
        .collect()
}

/// A store that answers every claim with `answer`.
struct Fixed(fn() -> Result<Claim, StoreError>);

impl IdempotencyStore for Fixed {
    fn claim<'a>(&'a self, _: &'a str, _: Duration) -> BoxFuture<'a, Result<Claim, StoreError>> {
        let answer = (self.0)();
        Box::pin(async move { answer })
    }
    fn mark_done<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
    fn release<'a>(
        &'a self,
        _: &'a str,
        _: &'a ClaimToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

fn receiver_with(store: Option<Fixed>) -> Receiver {
    let mut builder = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageBounced| {});
    if let Some(store) = store {
        builder = builder.idempotency_store(store);
    }
    Receiver::new(builder.build().unwrap(), Signer::test_key().verifier()).with_replay_window(None)
}

/// Runs `request` under a fresh recorder and returns its one request line.
fn one_line(request: impl FnOnce() -> postal_hooks::Reply) -> (u16, String, String) {
    let recorder = Recorder::leak();
    let reply = tracing::subscriber::with_default(recorder, request);
    let lines = request_lines(recorder);
    assert_eq!(
        lines.len(),
        1,
        "expected one request line:\n{}",
        recorder.text()
    );
    assert_no_secret(&recorder.text());
    (reply.status().as_u16(), lines[0].clone(), recorder.text())
}

/// One request to make, under the recorder.
type Request<'a> = Box<dyn FnOnce() -> postal_hooks::Reply + 'a>;

#[test]
fn each_refusal_kind_is_one_info_line_with_its_kind_and_no_payload_value() {
    let signer = Signer::test_key();
    let body = common::payload("MessageBounced.json");
    let signed = signer.sign(&body).headers();
    let json = [("Content-Type".to_owned(), "application/json".to_owned())];
    let forged = String::from_utf8(body.clone())
        .unwrap()
        .replace("jane.doe", "john.doe");
    let mut not_json = signed
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect::<Vec<_>>();
    not_json.retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
    not_json.push(("Content-Type".into(), "text/plain".into()));
    let bad_body = String::from_utf8(body.clone())
        .unwrap()
        .replace(r#""id":48213"#, r#""id":"jane.doe@example.net""#);

    let cases: Vec<(&str, u16, Request)> = vec![
        (
            "method_not_allowed",
            405,
            Box::new(|| receiver_with(None).receive_request_blocking("GET", &json, &body)),
        ),
        (
            "payload_too_large",
            413,
            Box::new(|| {
                receiver_with(None)
                    .with_max_body_bytes(64)
                    .receive_blocking(&signed, &body)
            }),
        ),
        (
            "unsupported_media_type",
            415,
            Box::new(|| receiver_with(None).receive_blocking(&not_json, &body)),
        ),
        (
            "unauthorized",
            401,
            Box::new(|| receiver_with(None).receive_blocking(&signed, forged.as_bytes())),
        ),
        (
            "bad_request",
            400,
            Box::new(|| {
                let headers = signer.sign(bad_body.as_bytes()).headers();
                receiver_with(None).receive_blocking(&headers, bad_body.as_bytes())
            }),
        ),
        (
            "stale",
            400,
            Box::new(|| {
                receiver_with(None)
                    .with_replay_window(Some(std::time::Duration::from_secs(3600)))
                    .receive_blocking(&signed, &body)
            }),
        ),
        (
            "in_progress",
            409,
            Box::new(|| {
                receiver_with(Some(Fixed(|| Ok(Claim::InProgress))))
                    .receive_blocking(&signed, &body)
            }),
        ),
        (
            "store_unavailable",
            503,
            Box::new(|| {
                let down = Fixed(|| Err(StoreError::new("connection refused")));
                receiver_with(Some(down)).receive_blocking(&signed, &body)
            }),
        ),
    ];
    for (kind, status, request) in cases {
        let (answered, line, _) = one_line(request);
        assert_eq!(answered, status, "{kind}: {line}");
        assert!(
            line.starts_with("event INFO in=postal_hooks.request"),
            "{kind}: {line}"
        );
        assert!(
            line.contains(&format!("status={status} ")),
            "{kind}: {line}"
        );
        assert!(
            line.contains(&format!("refusal=\"{kind}\"")),
            "{kind}: {line}"
        );
        assert!(line.contains("duration_ms="), "{kind}: {line}");
    }
}

#[test]
fn the_inbox_being_full_is_a_refusal_too() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = std::env::temp_dir().join(format!("postal-hooks-observe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let settings = postal_hooks::inbox::InboxSettings::default().max_entries(1);
    let inbox = postal_hooks::inbox::Inbox::open(&dir, settings).unwrap();
    let receiver = receiver_with(None).with_inbox(inbox);
    let signer = Signer::test_key();
    let first = common::payload_with_uuid("MessageBounced.json", "observe-inbox-1");
    let second = common::payload_with_uuid("MessageBounced.json", "observe-inbox-2");
    let (status, line, _) =
        one_line(|| runtime.block_on(receiver.receive(&signer.sign(&first).headers(), &first)));
    assert_eq!(status, 200, "{line}");
    assert!(
        line.contains(r#"event="MessageBounced" uuid="observe-inbox-1" status=200"#),
        "{line}"
    );
    assert!(line.contains(r#"refusal="-" stored="queued""#), "{line}");
    let (status, line, _) =
        one_line(|| runtime.block_on(receiver.receive(&signer.sign(&second).headers(), &second)));
    assert_eq!(status, 503, "{line}");
    assert!(line.contains(r#"refusal="inbox_unavailable""#), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Registered for the full-path check below.
#[on_event(MessageLoaded)]
fn count_open(_open: &MessageLoaded) -> Result<(), String> {
    Err("crm unreachable".into())
}

#[test]
fn a_delivery_line_names_what_ran_failed_and_was_skipped_and_spans_carry_full_paths() {
    let signer = Signer::test_key();
    let dispatcher = Dispatcher::builder()
        .on(|_: &MessageLoaded| {})
        .build()
        .unwrap();
    let receiver = Receiver::new(dispatcher, signer.verifier()).with_replay_window(None);
    let body = common::payload_with_uuid("MessageLoaded.json", "observe-loaded-1");
    let headers = signer.sign(&body).headers();

    let (status, line, all) = one_line(|| receiver.receive_blocking(&headers, &body));
    assert_eq!(status, 500);
    assert!(
        line.contains(r#"event="MessageLoaded" uuid="observe-loaded-1" status=500 "#),
        "{line}"
    );
    assert!(line.contains("failed=[observe::count_open]"), "{line}");
    assert!(
        line.contains("ran=[observe::a_delivery_line_names"),
        "{line}"
    );
    assert!(line.contains("skipped=[] "), "{line}");
    assert!(line.contains(r#"refusal="-""#), "{line}");
    assert!(
        all.contains(r#"span postal_hooks.handler handler="observe::count_open""#),
        "{all}"
    );
    // The failure is logged inside the handler's span, nested in the request's.
    assert!(
        all.contains("in=postal_hooks.request>postal_hooks.dispatch>postal_hooks.handler message=handler failed error=crm unreachable"),
        "{all}"
    );

    // Postal's retry: the closure is done, the fn fails again.
    let (status, line, _) = one_line(|| receiver.receive_blocking(&headers, &body));
    assert_eq!(status, 500);
    assert!(
        line.contains("ran=[] skipped=[observe::a_delivery_line_names"),
        "{line}"
    );
    assert!(line.contains("failed=[observe::count_open]"), "{line}");
}

/// A body whose connection fails mid-read.
struct Broken;

impl http_body::Body for Broken {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::other("connection reset"))))
    }
}

#[tokio::test]
async fn refusals_made_by_an_adapter_are_logged_inside_the_request_span_too() {
    use tower_service::Service as _;
    let router = postal_hooks::axum::router("/postal/webhook", receiver_with(None));
    let requests = [
        (
            "method_not_allowed",
            405,
            http::Request::get("/postal/webhook").body(axum::body::Body::empty()),
        ),
        (
            "body_read",
            400,
            http::Request::post("/postal/webhook")
                .header("content-type", "application/json")
                .body(axum::body::Body::new(Broken)),
        ),
        (
            "payload_too_large",
            413,
            http::Request::post("/postal/webhook")
                .header("content-type", "application/json")
                .header("content-length", "99999999")
                .body(axum::body::Body::empty()),
        ),
    ];
    for (kind, status, request) in requests {
        let recorder = Recorder::leak();
        let dispatch = tracing::Dispatch::new(recorder);
        let guard = tracing::dispatcher::set_default(&dispatch);
        let response = router.clone().call(request.unwrap()).await.unwrap();
        drop(guard);
        assert_eq!(response.status().as_u16(), status, "{kind}");
        let lines = request_lines(recorder);
        assert_eq!(lines.len(), 1, "{kind}: {}", recorder.text());
        assert!(
            lines[0].starts_with("event INFO in=postal_hooks.request "),
            "{kind}: {}",
            lines[0]
        );
        assert!(
            lines[0].contains(&format!("refusal=\"{kind}\"")),
            "{}",
            lines[0]
        );
    }
}
