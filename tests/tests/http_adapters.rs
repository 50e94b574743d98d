//! Every adapter over real loopback HTTP (reqwest, port 0): the status for each case, 5xx on
//! a handler failure, and nothing dispatched unless the signature verified. (Hanging up
//! mid-handler: `http_hangup.rs`.)

mod common;
mod servers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use postal_hooks::events::MessageHeld;
use postal_hooks::testing::{Signer, sample};
use postal_hooks::{Dispatcher, Event, Receiver};
use servers::{serve_actix, serve_axum, serve_tower};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The body limit used here, so an oversized body is cheap to build.
const LIMIT: usize = 4096;

/// A receiver whose handlers count every dispatched event; `MessageHeld` always fails.
/// The cases reuse bodies, so deduplication (tested in `dedupe.rs`) is off here.
fn receiver() -> (Receiver, Arc<AtomicUsize>) {
    receiver_with(Signer::test_key().verifier())
}

/// [`receiver`] for a deployment that still accepts Postal's legacy SHA-1 signatures.
fn sha1_receiver() -> (Receiver, Arc<AtomicUsize>) {
    receiver_with(Signer::test_key().verifier().allow_sha1(true))
}

fn receiver_with(verifier: postal_hooks::Verifier) -> (Receiver, Arc<AtomicUsize>) {
    let dispatched = Arc::new(AtomicUsize::new(0));
    let counter = dispatched.clone();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .without_dedupe()
        .on_any(move |_: &Event| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .on(|_: &MessageHeld| Err::<(), _>("the suppression list is down"))
        .build()
        .unwrap();
    (
        Receiver::new(dispatcher, verifier)
            .with_replay_window(None)
            .with_max_body_bytes(LIMIT),
        dispatched,
    )
}

struct Case {
    name: &'static str,
    method: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    dispatched: bool,
    body_starts_with: &'static str,
    /// Also required somewhere in the response body ("" for nothing more).
    body_contains: &'static str,
}

fn set(headers: &mut Vec<(&'static str, String)>, name: &'static str, value: &str) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
    headers.push((name, value.to_owned()));
}

/// A case whose response body must start with `starts`.
fn case(
    name: &'static str,
    method: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    dispatched: bool,
    starts: &'static str,
) -> Case {
    Case {
        name,
        method,
        headers,
        body,
        status,
        dispatched,
        body_starts_with: starts,
        body_contains: "",
    }
}

fn cases() -> Vec<Case> {
    let signer = Signer::test_key();
    let sent = sample("MessageSent").unwrap().to_vec();
    let signed = signer.sign(&sent).headers();
    let mut forged = sent.clone();
    forged[100] ^= 1;
    let big = {
        let mut body = sent.clone();
        body.resize(LIMIT + 1, b' ');
        body
    };
    let not_json = b"<html>hello</html>".to_vec();
    let unknown =
        br#"{"event":"MessageArchived","timestamp":1.5,"payload":{},"uuid":"u-1"}"#.to_vec();
    let held = sample("MessageHeld").unwrap().to_vec();
    vec![
        case(
            "signed",
            "POST",
            signed.clone(),
            sent.clone(),
            200,
            true,
            "ok: 1 handler(s) ran",
        ),
        case(
            "GET",
            "GET",
            signed.clone(),
            Vec::new(),
            405,
            false,
            "method GET not allowed",
        ),
        case(
            "PUT",
            "PUT",
            signed.clone(),
            sent.clone(),
            405,
            false,
            "method PUT not allowed",
        ),
        case(
            "too large",
            "POST",
            signer.sign(&big).headers(),
            big,
            413,
            false,
            "body of 4097 bytes is over the limit of 4096",
        ),
        {
            let mut headers = signed.clone();
            set(&mut headers, "Content-Type", "text/plain");
            case(
                "text/plain",
                "POST",
                headers,
                sent.clone(),
                415,
                false,
                "unsupported Content-Type `text/plain`",
            )
        },
        {
            let mut headers = signed.clone();
            set(
                &mut headers,
                "Content-Type",
                "application/json; charset=utf-8",
            );
            case(
                "json with charset",
                "POST",
                headers,
                sent.clone(),
                200,
                true,
                "ok",
            )
        },
        case(
            "unsigned",
            "POST",
            vec![("Content-Type", "application/json".into())],
            sent.clone(),
            401,
            false,
            "signature verification failed: missing header",
        ),
        case(
            "forged body",
            "POST",
            signed.clone(),
            forged,
            401,
            false,
            "signature verification failed: signature mismatch",
        ),
        {
            // What a framework's JSON extractor hands over: the signed bytes are gone.
            let failed = sample("MessageDeliveryFailed").unwrap();
            let value: serde_json::Value = serde_json::from_slice(failed).unwrap();
            let reserialised = serde_json::to_vec(&value).unwrap();
            assert_ne!(reserialised, failed);
            Case {
                body_contains: "it looks re-serialised; verify the raw request bytes",
                ..case(
                    "re-serialised by serde_json",
                    "POST",
                    signer.sign(failed).headers(),
                    reserialised,
                    401,
                    false,
                    "signature verification failed: signature mismatch",
                )
            }
        },
        {
            let mut headers = signed.clone();
            set(&mut headers, "X-Postal-Signature-256", "!!!");
            case(
                "garbage base64",
                "POST",
                headers,
                sent.clone(),
                401,
                false,
                "signature verification failed: malformed header",
            )
        },
        {
            let mut headers = signed.clone();
            set(&mut headers, "X-Postal-Signature-Kid", &"ab".repeat(32));
            case(
                "unknown kid",
                "POST",
                headers,
                sent.clone(),
                401,
                false,
                "signature verification failed: no configured key",
            )
        },
        case(
            "sha1 only",
            "POST",
            signer.sign(&sent).legacy_headers(),
            sent.clone(),
            401,
            false,
            "signature verification failed: the request carries only the legacy SHA-1",
        ),
        case(
            "other key",
            "POST",
            Signer::test_key_1024().sign(&sent).headers(),
            sent.clone(),
            401,
            false,
            "signature verification failed",
        ),
        case(
            "signed, not JSON",
            "POST",
            signer.sign(&not_json).headers(),
            not_json,
            400,
            false,
            "invalid webhook body: the body is not JSON",
        ),
        case(
            "handler fails",
            "POST",
            signer.sign(&held).headers(),
            held,
            500,
            true,
            "1 of 2 handler(s) failed",
        ),
        case(
            "unknown event",
            "POST",
            signer.sign(&unknown).headers(),
            unknown,
            200,
            true,
            "ok",
        ),
    ]
}

/// Runs every case against `url`; `dispatched` counts handler runs of `on_any`.
async fn check_cases(url: &str, dispatched: &AtomicUsize, cases: Vec<Case>) {
    let client = reqwest::Client::new();
    for case in cases {
        let before = dispatched.load(Ordering::SeqCst);
        let mut request = client
            .request(case.method.parse().unwrap(), url)
            .body(case.body);
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let status = response.status().as_u16();
        let allow = response
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        assert_eq!(status, case.status, "{}: {text}", case.name);
        assert!(
            text.starts_with(case.body_starts_with) && text.contains(case.body_contains),
            "{}: {text}",
            case.name
        );
        let ran = dispatched.load(Ordering::SeqCst) - before;
        assert_eq!(
            ran,
            usize::from(case.dispatched),
            "{}: handler runs",
            case.name
        );
        if status == 405 {
            assert_eq!(allow.as_deref(), Some("POST"), "{}", case.name);
        }
    }
}

/// For a receiver that accepts SHA-1: a SHA-1-only request (Postal before 3.2) is
/// dispatched, and when both headers are present the SHA-256 one still decides.
fn sha1_cases() -> Vec<Case> {
    let signer = Signer::test_key();
    let body = sample("MessageSent").unwrap().to_vec();
    // A valid SHA-1 signature does not rescue a wrong SHA-256 one: no downgrade.
    let mut downgrade = signer.sign(&body).headers();
    let other = Signer::test_key_1024().sign(&body).sha256;
    set(&mut downgrade, "X-Postal-Signature-256", &other);
    vec![
        case(
            "sha1 only, opted in",
            "POST",
            signer.sign(&body).legacy_headers(),
            body.clone(),
            200,
            true,
            "ok",
        ),
        case(
            "valid sha1 beside a wrong sha256",
            "POST",
            downgrade,
            body,
            401,
            false,
            "signature verification failed",
        ),
    ]
}

/// An oversized body sent chunked (no Content-Length) over a raw socket: the adapter must
/// stop reading at the limit and answer 413.
async fn check_chunked_oversize(addr: SocketAddr, path: &str, dispatched: &AtomicUsize) {
    let before = dispatched.load(Ordering::SeqCst);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let chunk = vec![b' '; 1024];
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..8 {
        request.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend(&chunk);
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");
    // The server may answer and close before reading everything: ignore write errors.
    let _ = stream.write_all(&request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("over the limit of 4096 bytes"),
        "{response}"
    );
    assert_eq!(dispatched.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn axum_endpoint() {
    let (receiver, dispatched) = receiver();
    let addr = serve_axum(receiver).await;
    check_cases(
        &format!("http://{addr}/postal/webhook"),
        &dispatched,
        cases(),
    )
    .await;
    check_chunked_oversize(addr, "/postal/webhook", &dispatched).await;
    let (receiver, dispatched) = sha1_receiver();
    let addr = serve_axum(receiver).await;
    check_cases(
        &format!("http://{addr}/postal/webhook"),
        &dispatched,
        sha1_cases(),
    )
    .await;
}

#[tokio::test]
async fn axum_extractor() {
    use axum::http::StatusCode;
    use postal_hooks::axum::VerifiedWebhook;

    let (receiver, _) = receiver();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                move |VerifiedWebhook(envelope): VerifiedWebhook| async move {
                    record.lock().unwrap().push(envelope.uuid().to_owned());
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let body = sample("MessageBounced").unwrap();
    let client = reqwest::Client::new();
    let mut request = client.post(&url).body(body.to_vec());
    for (name, value) in Signer::test_key().sign(body).headers() {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status().as_u16(), 204);
    let unsigned = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body.to_vec());
    let response = unsigned.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("missing header X-Postal-Signature-256")
    );
    assert_eq!(
        *seen.lock().unwrap(),
        ["7c4a2e96-1d3b-4f85-9a0c-6e8b2d4f1a73"]
    );
}

#[tokio::test]
async fn tower_service_on_hyper() {
    let (receiver, dispatched) = receiver();
    let addr = serve_tower(receiver).await;
    check_cases(
        &format!("http://{addr}/postal/webhook"),
        &dispatched,
        cases(),
    )
    .await;
    check_chunked_oversize(addr, "/postal/webhook", &dispatched).await;
    let (receiver, dispatched) = sha1_receiver();
    let addr = serve_tower(receiver).await;
    check_cases(
        &format!("http://{addr}/postal/webhook"),
        &dispatched,
        sha1_cases(),
    )
    .await;
}

#[tokio::test]
async fn actix_resource() {
    let (receiver, dispatched) = receiver();
    let addr = serve_actix(receiver);
    check_cases(
        &format!("http://{addr}/postal/webhook"),
        &dispatched,
        cases(),
    )
    .await;
    check_chunked_oversize(addr, "/postal/webhook", &dispatched).await;
    let (receiver, dispatched) = sha1_receiver();
    let addr = serve_actix(receiver);
    check_cases(
        &format!("http://{addr}/postal/webhook"),
        &dispatched,
        sha1_cases(),
    )
    .await;
}
