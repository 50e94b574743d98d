//! The `postal-hooks` command-line tool (feature `cli`), run as the program it is, against
//! an example server, a JWKS served on loopback, its own `listen`, and an embedded inbox
//! holding a dead letter.
//!
//! The binary is built on first use with `cargo build -p postal-hooks --features cli --bin
//! postal-hooks` (a no-op when up to date).

// Test code: a failed step must stop the test, loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[path = "../../tests/tests/dns_support/mod.rs"]
mod dns_support;
#[path = "../../tests/tests/jwks_support/mod.rs"]
mod jwks_support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use common::{Server, free_port};
use jwks_support::JwksServer;
use postal_hooks::testing::{self, Signer};

/// The `postal-hooks` binary, built (or found up to date) by cargo on first use.
fn binary() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        // target/<profile>/deps/cli-<hash> -> target/<profile>/postal-hooks
        let exe = std::env::current_exe().unwrap();
        let path = exe
            .parent()
            .and_then(|deps| deps.parent())
            .unwrap()
            .join("postal-hooks");
        // Always: a no-op when up to date, and never an older binary.
        {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .args([
                    "build",
                    "-q",
                    "-p",
                    "postal-hooks",
                    "--features",
                    "cli",
                    "--bin",
                    "postal-hooks",
                ])
                .status()
                .unwrap();
            assert!(
                status.success(),
                "cargo build --features cli --bin postal-hooks failed"
            );
        }
        path
    })
}

fn run(args: &[&str]) -> Output {
    run_with(args, &[])
}

/// [`run`] with environment variables set for the command.
fn run_with(args: &[&str], envs: &[(&str, String)]) -> Output {
    Command::new(binary())
        .args(args)
        .envs(envs.iter().map(|(name, value)| (*name, value)))
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The command could not run (exit 2) and said `says` on stderr.
fn assert_cannot_run(output: &Output, says: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    assert!(stderr(output).contains(says), "{}", stderr(output));
}

/// The uuid `send` printed: `POST <url> (<n> bytes, uuid <uuid>, key <kid>)`.
fn sent_uuid(output: &Output) -> String {
    let text = stdout(output);
    let after = text
        .split("uuid ")
        .nth(1)
        .unwrap_or_else(|| panic!("no uuid in {text}"));
    after.split(',').next().unwrap().to_owned()
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("postal-hooks-cli-{}-{name}", std::process::id()))
}

#[test]
fn send_twice_gives_two_distinct_uuids_each_handled() {
    let server = Server::start("axum_server", None);
    let send = || {
        let output = run(&["send", "--url", &server.url, "--event", "MessageBounced"]);
        let text = stdout(&output);
        assert!(output.status.success(), "{text}{}", stderr(&output));
        assert!(text.contains("\n200 ok: "), "{text}");
        sent_uuid(&output)
    };
    let (first, second) = (send(), send());
    assert_ne!(first, second);
    let log = server.stop();
    for uuid in [&first, &second] {
        let handled = log
            .iter()
            .filter(|line| line.contains(&format!("uuid={uuid} handler=suppress_bounced")))
            .count();
        assert_eq!(handled, 1, "{uuid}\n{}", log.join("\n"));
    }
}

#[test]
fn send_keeps_the_capture_when_told_and_refuses_a_public_key() {
    // The default replay window refuses the 2024 capture sent as is.
    let server = Server::start_with(
        "axum_server",
        free_port(),
        &[("POSTAL_HOOKS_REPLAY_WINDOW", String::new())],
    );
    let output = run(&["send", "--url", &server.url, "--keep-uuid"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("\n400 stale delivery "),
        "{}",
        stdout(&output)
    );

    let public = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/samples/keys/test_signing.pub.pem"
    );
    let output = run(&["send", "--url", &server.url, "--key", public]);
    assert_cannot_run(
        &output,
        "this is a public key (`PUBLIC KEY`); signing needs the private key, such as Postal's signing.key",
    );

    // SHA-1 only (Postal before 3.2), to a server that did not opt in: refused, exit 1.
    let held = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/samples/MessageHeld.json"
    );
    let output = run(&["send", "--url", &server.url, "--file", held, "--legacy"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("\n401 signature verification failed"),
        "{}",
        stdout(&output)
    );

    let output = run(&["send", "--url", &server.url, "--event", "NoSuchEvent"]);
    assert_cannot_run(&output, "no sample for NoSuchEvent; samples: MessageSent");
}

#[test]
fn keys_prints_the_kid_size_and_pem_of_a_served_jwks() {
    let jwks = JwksServer::start(testing::TEST_JWKS);
    let url = jwks.url.clone();
    let output = run(&["keys", &url]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    assert_eq!(
        text,
        format!(
            "kid {}\nbits 2048\n{}",
            Signer::test_key().kid(),
            testing::TEST_PUBLIC_KEY_PEM.trim_end().to_owned() + "\n"
        )
    );
    // The same from a file.
    let file = format!(
        "@{}/../core/samples/keys/rsa1024/jwks.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = run(&["keys", &file]);
    assert!(
        stdout(&output).contains("\nbits 1024\n-----BEGIN PUBLIC KEY-----\n"),
        "{}",
        stdout(&output)
    );
    // Clear-text http to another host is refused, naming the URL.
    let output = run(&["keys", "http://postal.example.com/.well-known/jwks.json"]);
    assert_cannot_run(&output, "plain http:// is allowed only for a loopback host");
}

/// A child process stopped (by its pid) when dropped, a failed assertion included.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn keys_reads_postal_s_dns_record() {
    let dns = dns_support::FakeDns::start(vec![(
        "postal._domainkey.rp.example.test.".to_owned(),
        vec![
            include_str!("../../core/samples/keys/rsa1024/dns_txt_record.txt")
                .trim()
                .to_owned(),
        ],
    )]);
    let dns_server = [("POSTAL_HOOKS_DNS_SERVER", dns.addr.to_string())];
    let output = run_with(&["keys", "dns:rp.example.test"], &dns_server);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    let signer = Signer::test_key_1024();
    assert!(
        text.starts_with(&format!(
            "kid {}\nbits 1024\n-----BEGIN PUBLIC KEY-----\n",
            signer.kid()
        )),
        "{text}"
    );
    let output = run_with(&["keys", "dns:missing.example.test"], &dns_server);
    assert_cannot_run(
        &output,
        "cannot read Postal's key from the DNS record postal._domainkey.missing.example.test.: ",
    );
}

#[test]
fn listen_prints_the_event_a_send_delivered() {
    let port = free_port();
    let key = format!(
        "@{}/../core/samples/keys/test_signing.pub.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut listener = Child(
        Command::new(binary())
            .args([
                "listen",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--key",
                &key,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut errors = BufReader::new(listener.0.stderr.take().unwrap());
    let mut first = String::new();
    errors.read_line(&mut first).unwrap();
    assert_eq!(
        first.trim(),
        format!("listening on http://127.0.0.1:{port}/postal/webhook")
    );
    let url = format!("http://127.0.0.1:{port}/postal/webhook");
    let output = run(&["send", "--url", &url, "--event", "MessageBounced"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let sent = sent_uuid(&output);
    let mut lines = BufReader::new(listener.0.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    drop(listener);
    let printed: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(printed["event"], "MessageBounced");
    assert_eq!(printed["uuid"], sent.as_str());
    assert_eq!(
        printed["payload"]["original_message"]["to"],
        "jane.doe@example.net"
    );
    assert_eq!(printed.as_object().unwrap().len(), 3, "{line}");
}

#[test]
fn sign_then_verify_a_captured_request_and_say_why_a_tampered_one_fails() {
    let body = temp("body.json");
    let (fresh, _) = testing::fresh_sample::<postal_hooks::events::MessageHeld>();
    std::fs::write(&body, &fresh).unwrap();
    let output = run(&["sign", body.to_str().unwrap()]);
    let headers_text = stdout(&output);
    assert!(
        headers_text.contains("X-Postal-Signature-256: "),
        "{headers_text}"
    );
    let headers = temp("headers.txt");
    std::fs::write(
        &headers,
        format!("POST /postal/webhook HTTP/1.1\ncontent-type: application/json\n{headers_text}"),
    )
    .unwrap();
    let key = format!(
        "@{}/../core/samples/keys/test_signing.pub.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let verify = |body: &PathBuf, extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--key",
            &key,
            "--headers",
            headers.to_str().unwrap(),
            "--body",
            body.to_str().unwrap(),
        ];
        args.extend(extra);
        run(&args)
    };
    let output = verify(&body, &[]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).starts_with(&format!(
        "verified: X-Postal-Signature-256 by key {}\nevent MessageHeld uuid ",
        Signer::test_key().kid()
    )));

    let tampered = temp("tampered.json");
    let text = String::from_utf8(fresh).unwrap();
    std::fs::write(&tampered, text.replacen("Held", "Sent", 1)).unwrap();
    let output = verify(&tampered, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with("not verified: signature mismatch"),
        "{}",
        stdout(&output)
    );

    // Postal's 2024 capture, signed: verified, but stale for a receiver; fine with no window.
    let captured = temp("captured.json");
    std::fs::write(&captured, testing::sample("MessageHeld").unwrap()).unwrap();
    let output = run(&["sign", captured.to_str().unwrap()]);
    std::fs::write(
        &headers,
        format!("content-type: application/json\n{}", stdout(&output)),
    )
    .unwrap();
    let output = verify(&captured, &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("\nnot accepted (400): stale delivery ")
            && text.starts_with("verified: X-Postal-Signature-256 by key "),
        "{text}"
    );
    assert!(
        verify(&captured, &["--replay-window", "off"])
            .status
            .success()
    );
    let output = verify(&captured, &["--replay-window", "0"]);
    assert_cannot_run(&output, "shorter than the minimum of 40m");
    for path in [body, headers, tampered, captured] {
        let _ = std::fs::remove_file(path);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn inbox_list_retry_and_discard_dead_letters() {
    use postal_hooks::inbox::{Inbox, InboxSettings};
    use postal_hooks::{Dispatcher, Receiver, events::MessageSent};

    let dir = temp("inbox");
    let _ = std::fs::remove_dir_all(&dir);
    // Two deliveries whose handler always fails, dead-lettered at once.
    let settings = InboxSettings::default()
        .retry_max_age(Duration::ZERO)
        .retry_backoff(Duration::from_millis(1));
    let inbox = Inbox::open(&dir, settings).unwrap();
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .on(|_: &MessageSent| -> Result<(), String> { Err("crm down".into()) })
        .build()
        .unwrap();
    let workers = inbox.start(&dispatcher).unwrap();
    let receiver =
        Receiver::new(dispatcher, Signer::test_key().verifier()).with_inbox(inbox.clone());
    let mut uuids = Vec::new();
    for _ in 0..2 {
        let (body, uuid) = testing::fresh_sample::<MessageSent>();
        let headers = Signer::test_key().sign(&body).headers();
        assert_eq!(receiver.receive(&headers, &body).await.status(), 200);
        uuids.push(uuid);
    }
    let start = std::time::Instant::now();
    while inbox.stats().await.unwrap().dead_letters < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workers.shutdown(Duration::from_secs(5)).await;
    drop(receiver);
    drop(inbox);

    // The inbox's writer thread lets go of its lock shortly after the drop.
    let path = dir.to_str().unwrap();
    let start = std::time::Instant::now();
    let output = loop {
        let output = run(&["inbox", "list", "--inbox", path]);
        if output.status.success() || start.elapsed() > Duration::from_secs(10) {
            break output;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    for uuid in &uuids {
        assert!(
            text.contains(&format!("{uuid} MessageSent attempts=")),
            "{text}"
        );
    }
    assert!(text.contains(": crm down"), "{text}");
    let output = run(&["inbox", "retry", "--inbox", path, &uuids[0]]);
    assert!(
        stdout(&output).starts_with(&format!("retried {}", uuids[0])),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let output = run(&["inbox", "discard", "--inbox", path, &uuids[1]]);
    assert_eq!(stdout(&output).trim(), format!("discarded {}", uuids[1]));
    let output = run(&["inbox", "discard", "--inbox", path, &uuids[1]]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output).trim(),
        format!("{} is not a dead letter", uuids[1])
    );
    let output = run(&["inbox", "list", "--inbox", path]);
    assert_eq!(stdout(&output).trim(), "no dead letters");
    // A mistyped path is not an empty inbox.
    let missing = format!("{path}-typo");
    let output = run(&["inbox", "list", "--inbox", &missing]);
    assert_cannot_run(&output, &format!("no inbox at {missing}"));
    assert!(!std::path::Path::new(&missing).exists());
    let _ = std::fs::remove_dir_all(&dir);
}
