//! `postal-hooks listen`: a verifying receiver that prints each verified event as one JSON
//! line, `{"event":…,"uuid":…,"payload":…}`.

use std::borrow::Cow;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use postal_hooks::Receiver;
use serde_json::value::RawValue;

use crate::Outcome;
use crate::key_source;

#[derive(clap::Args)]
pub struct Args {
    /// Where to listen, such as `127.0.0.1:3000` (`0.0.0.0:3000` for every interface).
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Postal's public key: its JWKS URL, `dns:<domain>`, `@file` (PEM, JWKS or DNS record
    /// value), or the key text itself.
    #[arg(long)]
    key: String,
    /// Accept requests signed only with the legacy SHA-1 signature (Postal before 3.2).
    #[arg(long)]
    allow_sha1: bool,
    /// How old a delivery's signed timestamp may be, humantime (`12h`), or `off` to print
    /// replayed captures too.
    #[arg(long, default_value = "12h")]
    replay_window: String,
}

/// The envelope, its payload kept as the bytes Postal sent.
#[derive(serde::Deserialize, serde::Serialize)]
struct Line<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow)]
    uuid: Cow<'a, str>,
    #[serde(borrow)]
    payload: &'a RawValue,
}

pub fn run(args: Args) -> Outcome {
    let window = crate::replay_window(&args.replay_window)?;
    let verifier = key_source::verifier(&args.key)?.allow_sha1(args.allow_sha1);
    let receiver = key_source::checking_receiver(verifier, window)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    runtime.block_on(serve(args.addr, receiver))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(addr: SocketAddr, receiver: Receiver) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    eprintln!("listening on http://{local}/postal/webhook");
    let app = axum::Router::new().route(
        "/postal/webhook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let receiver = receiver.clone();
            async move { answer(&receiver, &headers, &body).await }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|error| format!("serving {local}: {error}"))
}

/// Verifies, then prints the event's line on stdout; refusals go to stderr.
async fn answer(receiver: &Receiver, headers: &HeaderMap, body: &[u8]) -> (StatusCode, String) {
    let refused = match receiver.verify_and_parse_refreshing(headers, body).await {
        Ok(_) => match serde_json::from_slice::<Line<'_>>(body) {
            Ok(line) => match serde_json::to_string(&line) {
                Ok(text) => {
                    let mut stdout = std::io::stdout().lock();
                    let _ = writeln!(stdout, "{text}");
                    let _ = stdout.flush();
                    return (StatusCode::OK, "ok: printed\n".to_owned());
                }
                Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
            },
            Err(error) => (StatusCode::BAD_REQUEST, error.to_string()),
        },
        Err(error) => (error.http_status(), error.to_string()),
    };
    eprintln!("refused {}: {}", refused.0.as_u16(), refused.1);
    (refused.0, format!("{}\n", refused.1))
}
