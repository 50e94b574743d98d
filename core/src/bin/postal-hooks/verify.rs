//! `postal-hooks verify`: a captured request checked as the receiver checks it.

use std::path::PathBuf;
use std::process::ExitCode;

use postal_hooks::Verified;

use crate::Outcome;
use crate::key_source;

#[derive(clap::Args)]
pub struct Args {
    /// The key to verify with: Postal's JWKS URL, `dns:<domain>`, `@file` (PEM, JWKS or DNS
    /// record value), or the key text itself.
    #[arg(long)]
    key: String,
    /// The request's headers, one `Name: value` per line (a request or status line, such
    /// as `curl -D` writes, is skipped).
    #[arg(long)]
    headers: PathBuf,
    /// The request's body, byte for byte.
    #[arg(long)]
    body: PathBuf,
    /// Accept a request signed only with the legacy SHA-1 signature (Postal before 3.2).
    #[arg(long)]
    allow_sha1: bool,
    /// The receiver's replay window, humantime (`12h`), or `off` for an old capture.
    #[arg(long, default_value = "12h")]
    replay_window: String,
}

/// The signature first (which key, which header), then everything else a receiver checks:
/// content type, size, the body as a Postal webhook, the replay window.
pub fn run(args: Args) -> Outcome {
    let window = crate::replay_window(&args.replay_window)?;
    let verifier = key_source::verifier(&args.key)?.allow_sha1(args.allow_sha1);
    let text = std::fs::read_to_string(&args.headers)
        .map_err(|error| format!("cannot read {}: {error}", args.headers.display()))?;
    let headers = parse_headers(&text);
    let body = key_source::read_body(&args.body)?;
    match verifier.verify(&headers, &body) {
        Ok(Verified::Sha256 { kid }) => say!("verified: X-Postal-Signature-256 by key {kid}"),
        Ok(Verified::Sha1 { kid }) => say!("verified: X-Postal-Signature (SHA-1) by key {kid}"),
        Ok(other) => say!("verified: {other:?}"),
        Err(error) => {
            say!("not verified: {error}");
            return Ok(ExitCode::FAILURE);
        }
    }
    let receiver = key_source::checking_receiver(verifier, window)?;
    match receiver.verify_and_parse(&headers, &body) {
        Ok(envelope) => {
            say!(
                "event {} uuid {} timestamp {}",
                envelope.event().name(),
                envelope.uuid(),
                envelope.timestamp()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            say!("not accepted ({}): {error}", error.http_status().as_u16());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `Name: value` lines; any line without a colon before its first space (a request or
/// status line) is skipped.
fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            (!name.is_empty() && !name.contains(' '))
                .then(|| (name.to_owned(), value.trim().to_owned()))
        })
        .collect()
}
