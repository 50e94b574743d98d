//! Helpers shared by the integration tests: the Postal fixtures in `../shared/postal`.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::PathBuf;

pub mod trace;

/// `../shared/postal` beside the repository root (present in every session and in CI).
pub fn shared_postal() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/postal");
    assert!(
        dir.is_dir(),
        "fixtures not found at {}: ../shared must sit beside the repo root",
        dir.display()
    );
    dir
}

/// The exact bytes of `payloads/<relative>`.
pub fn payload(relative: &str) -> Vec<u8> {
    let path = shared_postal().join("payloads").join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Every body in `payloads/` and `payloads/variants/`, as (path relative to payloads/, bytes).
pub fn all_payloads() -> Vec<(String, Vec<u8>)> {
    let root = shared_postal().join("payloads");
    let mut bodies = Vec::new();
    for dir in [root.clone(), root.join("variants")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "json") {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                bodies.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    bodies.sort();
    assert_eq!(
        bodies.len(),
        12,
        "expected ten event bodies and two variants"
    );
    bodies
}

/// The file text of `relative` under `../shared/postal`.
pub fn shared_text(relative: &str) -> String {
    std::fs::read_to_string(shared_postal().join(relative)).unwrap()
}

/// `payloads/<relative>` with its envelope uuid replaced by `uuid`, so that each test can
/// pick out its own runs from process-wide handler records.
pub fn payload_with_uuid(relative: &str, uuid: &str) -> Vec<u8> {
    let body = String::from_utf8(payload(relative)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let original = value["uuid"].as_str().unwrap();
    let needle = format!(r#""uuid":"{original}"}}"#);
    assert!(
        body.ends_with(&needle),
        "{relative}: envelope uuid is not last"
    );
    body.replace(&needle, &format!(r#""uuid":"{uuid}"}}"#))
        .into_bytes()
}

/// What handlers saw: (envelope uuid, handler, detail), shared by all tests of one binary.
pub static RECORDS: std::sync::Mutex<Vec<(String, &'static str, String)>> =
    std::sync::Mutex::new(Vec::new());

/// Records that `handler` ran for the request `uuid`.
pub fn record(meta: &postal_hooks::Meta, handler: &'static str, detail: impl Into<String>) {
    let uuid = meta.uuid().unwrap_or("(none)").to_owned();
    RECORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((uuid, handler, detail.into()));
}

/// (handler, detail) for every run recorded for `uuid`, in the order they ran.
pub fn records(uuid: &str) -> Vec<(&'static str, String)> {
    RECORDS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(seen, _, _)| seen == uuid)
        .map(|(_, handler, detail)| (*handler, detail.clone()))
        .collect()
}

/// One real signature vector: a body and the headers Postal sent with it.
pub struct Vector {
    pub name: String,
    pub body: Vec<u8>,
    pub sha1: String,
    pub sha256: String,
    pub kid: String,
}

impl Vector {
    /// The full header set of Postal 3.3.6, as `(name, value)` pairs.
    pub fn headers(&self) -> Vec<(String, String)> {
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-Postal-Signature-Kid".into(), self.kid.clone()),
            ("X-Postal-Signature".into(), self.sha1.clone()),
            ("X-Postal-Signature-256".into(), self.sha256.clone()),
        ]
    }
}

/// The vectors of `test_vectors/` (`""`, RSA-2048) or `test_vectors/rsa1024/`, each with
/// its body read from `payloads/`. The two files differ in shape; both are read here.
pub fn vectors(key_dir: &str) -> Vec<Vector> {
    let dir = shared_postal().join("test_vectors").join(key_dir);
    let text = std::fs::read_to_string(dir.join("signatures.json")).unwrap();
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    let kid = document["kid"].as_str().unwrap().to_owned();
    let mut vectors = Vec::new();
    for (name, vector) in document["vectors"].as_object().unwrap() {
        let signatures = if vector["headers"].is_object() {
            &vector["headers"]
        } else {
            vector
        };
        let body_file = vector["body_file"].as_str().unwrap();
        let body = payload(body_file);
        assert_eq!(
            postal_hooks::testing::sha256_hex(&body),
            vector["body_sha256"].as_str().unwrap()
        );
        assert_eq!(signatures["X-Postal-Signature-Kid"].as_str().unwrap(), kid);
        vectors.push(Vector {
            name: name.clone(),
            body,
            sha1: signatures["X-Postal-Signature"]
                .as_str()
                .unwrap()
                .to_owned(),
            sha256: signatures["X-Postal-Signature-256"]
                .as_str()
                .unwrap()
                .to_owned(),
            kid: kid.clone(),
        });
    }
    assert!(vectors.len() >= 10, "{key_dir}: {} vectors", vectors.len());
    vectors
}

/// The KID Postal sends for the RSA-2048 test key.
pub const KID_2048: &str = "78d66404005aa63fe93defe2de44269a737a434d6a7c06a8d0f0f4db7da9d7b8";
/// The KID Postal sends for the 1024-bit test key (the size Postal's installer generates).
pub const KID_1024: &str = "f91bbe950ee40f1f05661658251d98ff84bd3537e335a86dd75e0d590ef8aed0";

/// The same key read from PEM, the DNS record and the JWKS document.
pub fn key_forms(dir: &str) -> Vec<(&'static str, postal_hooks::PublicKey)> {
    let read = |file: &str| shared_text(&format!("test_vectors/{dir}{file}"));
    let from_jwks = postal_hooks::PublicKey::from_jwks(&read("jwks.json")).unwrap();
    assert_eq!(from_jwks.len(), 1);
    vec![
        (
            "PEM",
            postal_hooks::PublicKey::from_pem(&read("test_signing.pub.pem")).unwrap(),
        ),
        (
            "DNS record",
            postal_hooks::PublicKey::from_dns_record(&read("dns_txt_record.txt")).unwrap(),
        ),
        ("JWKS", from_jwks.into_iter().next().unwrap()),
    ]
}

/// Handlers: one catch-all that counts its runs (no `#[on_event]` fn), and the count.
pub fn counting_handlers() -> (
    postal_hooks::DispatcherBuilder,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let builder = postal_hooks::Dispatcher::builder()
        .without_registered_handlers()
        .on_any(move |_: &postal_hooks::Event| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    (builder, runs)
}

/// A receiver for `verifier` whose one catch-all handler counts its runs, with no replay
/// window (the fixtures are Postal's 2024 captures).
pub fn counting_receiver(
    verifier: postal_hooks::Verifier,
) -> (
    postal_hooks::Receiver,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let (builder, runs) = counting_handlers();
    (
        postal_hooks::Receiver::new(builder.build().unwrap(), verifier).with_replay_window(None),
        runs,
    )
}
