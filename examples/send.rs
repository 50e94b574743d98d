//! Signs a body and POSTs it to any endpoint, exactly as Postal would: the tool for testing
//! your own deployment.
//!
//! ```text
//! cargo run --example send -- --url http://127.0.0.1:3000/postal/webhook --event MessageBounced
//! cargo run --example send -- --url https://hooks.example.com/postal --file body.json --key signing.key
//! ```
//!
//! Options: `--url URL` (required); `--event NAME` (Postal's sample body, default
//! `MessageSent`, as if queued just now: a fresh uuid, so the handlers run each time, and
//! the current time as its `timestamp`, inside the receiver's replay window) or
//! `--file BODY.json` (sent byte for byte); `--keep-uuid` (the sample exactly as captured,
//! uuid and 2024 timestamp, which a receiver refuses unless its window is `off`); `--key PATH` (the RSA private key in PEM, as
//! Postal's `signing.key`; default: the embedded test key, which your receiver must trust,
//! e.g. `POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem`); `--legacy` (only the
//! SHA-1 signature, as Postal before 3.2).

use std::process::ExitCode;

use postal_hooks::testing::{self, Signer};

struct Args {
    url: String,
    body: Vec<u8>,
    signer: Signer,
    legacy: bool,
}

/// What `--event` or `--file` gave, before `--keep-uuid` is known.
enum Body {
    Sample(&'static [u8]),
    File(Vec<u8>),
}

const USAGE: &str = "usage: send --url URL [--event NAME | --file BODY.json] [--keep-uuid] [--key PRIVATE_KEY.pem] [--legacy]";

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut body = None;
    let mut signer = None;
    let mut legacy = false;
    let mut keep_uuid = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--url" => url = Some(value()?),
            "--event" => {
                let name = value()?;
                let sample = testing::sample(&name).ok_or_else(|| {
                    let names: Vec<_> = testing::SAMPLES.iter().map(|(name, _)| *name).collect();
                    format!("no sample for {name}; samples: {}", names.join(", "))
                })?;
                body = Some(Body::Sample(sample));
            }
            "--file" => {
                let path = value()?;
                let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
                body = Some(Body::File(bytes));
            }
            "--key" => {
                let path = value()?;
                let pem = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {path}: {e}"))?;
                signer = Some(Signer::from_pem(&pem).map_err(|e| format!("{path}: {e}"))?);
            }
            "--legacy" => legacy = true,
            "--keep-uuid" => keep_uuid = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(Args {
        url: url.ok_or(format!("--url is required\n{USAGE}"))?,
        body: match body {
            Some(Body::File(bytes)) => bytes,
            Some(Body::Sample(sample)) if keep_uuid => sample.to_vec(),
            Some(Body::Sample(sample)) => testing::fresh(sample).0,
            None => testing::fresh(testing::sample("MessageSent").unwrap_or_default()).0,
        },
        signer: signer.unwrap_or_else(Signer::test_key),
        legacy,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let signature = args.signer.sign(&args.body);
    let headers = if args.legacy {
        signature.legacy_headers()
    } else {
        signature.headers()
    };
    let mut request = reqwest::Client::new()
        .post(&args.url)
        .body(args.body.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    println!(
        "POST {} ({} bytes, key {})",
        args.url,
        args.body.len(),
        args.signer.kid()
    );
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            println!("{} {text}", status.as_u16());
            if status.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("request failed: {error}");
            ExitCode::FAILURE
        }
    }
}
