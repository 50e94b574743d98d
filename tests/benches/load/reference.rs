//! The reference: a minimal receiver as a team would write it by hand. axum, the
//! `X-Postal-Signature-256` header checked with aws-lc-rs against a key parsed once, the
//! envelope read with `serde_json`, 200. No dedupe, no limits, no handlers.

use std::sync::Arc;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;

#[derive(serde::Deserialize)]
#[allow(dead_code)] // read, as a handler would, and dropped
struct Envelope {
    event: String,
    timestamp: f64,
    uuid: String,
    payload: serde_json::Value,
}

async fn webhook(
    State(key): State<Arc<ParsedPublicKey>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers.get("x-postal-signature-256").and_then(|value| {
        base64::engine::general_purpose::STANDARD
            .decode(value.as_bytes())
            .ok()
    });
    let Some(signature) = signature else {
        return StatusCode::UNAUTHORIZED;
    };
    if key.verify_sig(&body, &signature).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_slice::<Envelope>(&body) {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// Serves the reference on `addr` until killed, on the same runtime the product uses
/// (`#[tokio::main]`'s multi-threaded one).
pub fn serve(addr: &str) {
    let pem = postal_hooks::testing::TEST_PUBLIC_KEY_PEM;
    let base64: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(base64)
        .unwrap();
    let key = Arc::new(ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der).unwrap());
    let app = axum::Router::new()
        .route("/postal/webhook", axum::routing::post(webhook))
        .with_state(key);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        // In a runtime task, as the product's examples accept (`examples/shared/http1.rs`):
        // not on the main thread, which would hand each connection to the worker.
        let serving = tokio::spawn(async move { axum::serve(listener, app).await });
        serving.await.unwrap().unwrap();
    });
}
