//! The server examples against hostile and odd HTTP (issue 11): a client that stalls
//! mid-body, a webhook URL with a query, request smuggling with two `Content-Length`s, a
//! proxy's Latin-1 header, a 405 that must name `POST`, and connections that send nothing
//! or half their headers. Raw TCP, so each request is exactly the bytes under test.

// Test code: a failed step must stop the test, loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{SERVER_EXAMPLES, Server};
use postal_hooks::testing::{Signer, sample};

/// The MessageSent sample under a uuid of its own, and its signed headers as lines.
fn signed_delivery(uuid: &str) -> (Vec<u8>, String) {
    let body = String::from_utf8(sample("MessageSent").unwrap().to_vec()).unwrap();
    let at = body.rfind(r#""uuid":""#).unwrap() + r#""uuid":""#.len();
    let end = at + body[at..].find('"').unwrap();
    let body = format!("{}{uuid}{}", &body[..at], &body[end..]).into_bytes();
    let headers = Signer::test_key()
        .sign(&body)
        .headers()
        .into_iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    (body, headers)
}

/// Sends `request` on a fresh connection and reads the whole response (`Connection:
/// close`), giving up after 5 s: Postal's own timeout.
fn exchange(addr: &str, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    match stream.read_to_end(&mut response) {
        Ok(_) => {}
        Err(error) => panic!(
            "no complete answer within 5 s ({error}); got {:?}",
            String::from_utf8_lossy(&response)
        ),
    }
    String::from_utf8_lossy(&response).into_owned()
}

/// A signed delivery of a fresh uuid to `target` (path and query), with `extra` header
/// lines: its response.
fn deliver(server: &Server, target: &str, uuid: &str, extra: &[u8]) -> String {
    let (body, headers) = signed_delivery(uuid);
    let mut request = format!(
        "POST {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n{headers}",
        server.addr,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(extra);
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(&body);
    exchange(&server.addr, &request)
}

fn status(response: &str) -> &str {
    response.get(9..12).unwrap_or("")
}

fn uuid(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{label}-{nanos:x}")
}

/// Every check that does not need to wait out a timeout, on `name`.
fn strict_and_available(name: &str) {
    let server = Server::start(name, None);

    // One client that stalls mid-body (1,100 of 2,048 bytes) must not stop the others.
    let mut stalled = TcpStream::connect(&server.addr).unwrap();
    let head = format!(
        "POST /postal/webhook HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 2048\r\n\r\n",
        server.addr
    );
    stalled.write_all(head.as_bytes()).unwrap();
    stalled.write_all(&[b' '; 1100]).unwrap();
    let genuine = uuid("after-stall");
    let response = deliver(&server, "/postal/webhook", &genuine, b"");
    assert_eq!(status(&response), "200", "{name}: {response}");

    // Postal's webhook URL may carry a query (a shared secret); a bare `?` too.
    for target in ["/postal/webhook?token=abc", "/postal/webhook?"] {
        let response = deliver(&server, target, &uuid("query"), b"");
        assert_eq!(status(&response), "200", "{name} {target}: {response}");
    }

    // A proxy's Latin-1 header value (a byte >= 0x80) on a genuine delivery.
    let latin1 = uuid("latin1");
    let response = deliver(
        &server,
        "/postal/webhook",
        &latin1,
        b"X-Forwarded-Name: caf\xe9\r\n",
    );
    assert_eq!(status(&response), "200", "{name}: {response}");

    // Two different Content-Lengths: request smuggling (RFC 9112 §6.3), refused, not run.
    let smuggled = uuid("smuggled");
    let response = deliver(
        &server,
        "/postal/webhook",
        &smuggled,
        b"Content-Length: 5\r\n",
    );
    assert_eq!(status(&response), "400", "{name}: {response}");

    // A 405 names the method Postal uses.
    let response = exchange(
        &server.addr,
        format!(
            "GET /postal/webhook HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert_eq!(status(&response), "405", "{name}: {response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("\r\nallow: post\r\n"),
        "{name}: {response}"
    );

    drop(stalled);
    let log = server.stop();
    let ran = |uuid: &str| log.iter().filter(|line| line.contains(uuid)).count();
    assert!(ran(&genuine) > 0 && ran(&latin1) > 0, "{name}: {log:#?}");
    assert_eq!(ran(&smuggled), 0, "{name}: a smuggled request ran handlers");
}

#[test]
fn the_blocking_server_is_strict_and_available() {
    strict_and_available("blocking_server");
}

#[test]
fn the_axum_server_is_strict_and_available() {
    strict_and_available("axum_server");
}

#[test]
fn the_hyper_server_is_strict_and_available() {
    strict_and_available("hyper_server");
}

#[test]
fn the_actix_server_is_strict_and_available() {
    strict_and_available("actix_server");
}

/// `Expect: 100-continue` with a body over the limit gets 413 at once, not `100 Continue`
/// and then 413; a genuine delivery that asks the same is invited and handled.
#[test]
fn expect_continue_is_answered_by_the_receivers_checks() {
    for name in SERVER_EXAMPLES {
        let server = Server::start(name, None);
        for (method, length, content_type, first) in [
            ("POST", 5 * 1024 * 1024, "application/json", "413"),
            ("POST", 2048, "text/plain", "415"),
            ("PUT", 2048, "application/json", "405"),
        ] {
            let mut stream = TcpStream::connect(&server.addr).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let head = format!(
                "{method} /postal/webhook HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nExpect: 100-continue\r\n\r\n",
                server.addr
            );
            stream.write_all(head.as_bytes()).unwrap();
            let mut answer = [0u8; 12];
            stream.read_exact(&mut answer).unwrap();
            let answer = String::from_utf8_lossy(&answer);
            assert_eq!(&answer[9..12], first, "{name} {method} {length}: {answer}");
        }
        let (body, headers) = signed_delivery(&uuid("expect"));
        let head = format!(
            "POST /postal/webhook HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\nExpect: 100-continue\r\n{headers}\r\n",
            server.addr,
            body.len()
        );
        let mut stream = TcpStream::connect(&server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut interim = [0u8; 12];
        stream.read_exact(&mut interim).unwrap();
        assert_eq!(&interim[9..12], b"100", "{name}");
        stream.write_all(&body).unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).unwrap();
        let rest = String::from_utf8_lossy(&rest);
        assert!(rest.contains("HTTP/1.1 200"), "{name}: {rest}");
        server.stop();
    }
}

/// Whether the server closes a connection that sent `sent` and then nothing, within 15 s
/// (the servers allow 10 s for a request head).
fn closes_a_silent_connection(server: &Server, sent: &[u8]) -> bool {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream.write_all(sent).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 512];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {} // an error response before closing is fine
            Err(error) if started.elapsed() >= Duration::from_secs(15) => {
                eprintln!("still open after 15 s: {error}");
                return false;
            }
            Err(_) => return true, // reset
        }
    }
}

#[test]
fn connections_that_send_nothing_or_half_their_headers_are_closed_in_time() {
    let servers: Vec<Server> = SERVER_EXAMPLES
        .into_iter()
        .map(|name| Server::start(name, None))
        .collect();
    std::thread::scope(|scope| {
        for server in &servers {
            for sent in [
                &b""[..],
                b"POST /postal/webhook HTTP/1.1\r\nHost: x\r\nContent-",
            ] {
                scope.spawn(move || {
                    assert!(
                        closes_a_silent_connection(server, sent),
                        "{} kept a connection open that sent {:?}",
                        server.url,
                        String::from_utf8_lossy(sent)
                    );
                });
            }
        }
    });
    for server in servers {
        server.stop();
    }
}
