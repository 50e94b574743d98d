//! `postal-hooks send`: a body signed as Postal signs it, POSTed to a receiver.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use postal_hooks::Envelope;
use postal_hooks::testing;

use crate::Outcome;
use crate::key_source;

/// How long the receiver may take to answer: Postal's own 5 s, doubled.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(clap::Args)]
pub struct Args {
    /// The receiver's webhook URL.
    #[arg(long)]
    url: String,
    /// Send Postal's sample body of this event (MessageSent, MessageBounced, …; default
    /// MessageSent).
    #[arg(long, conflicts_with = "file")]
    event: Option<String>,
    /// Send this body file instead of a sample.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Postal's private signing key (PEM, as in Postal's `signing.key`); default: the
    /// embedded test key, which the receiver must trust.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Send the body's own uuid and timestamp, byte for byte (a retry of the same
    /// delivery); by default both are replaced by a fresh uuid and the current time.
    #[arg(long)]
    keep_uuid: bool,
    /// Only the legacy SHA-1 signature, as Postal before 3.2.
    #[arg(long)]
    legacy: bool,
}

pub fn run(args: Args) -> Outcome {
    let signer = key_source::signer(args.key.as_deref())?;
    let captured = match (&args.event, &args.file) {
        (_, Some(path)) => key_source::read_body(path)?,
        (event, None) => {
            let name = event.as_deref().unwrap_or("MessageSent");
            let names: Vec<&str> = testing::SAMPLES.iter().map(|(name, _)| *name).collect();
            testing::sample(name)
                .ok_or_else(|| format!("no sample for {name}; samples: {}", names.join(", ")))?
                .to_vec()
        }
    };
    let body = if args.keep_uuid {
        captured
    } else {
        testing::fresh(&captured).0
    };
    let uuid = Envelope::parse(&body)
        .map_or_else(|_| "-".to_owned(), |envelope| envelope.uuid().to_owned());
    let signature = signer.sign(&body);
    let headers = if args.legacy {
        signature.legacy_headers()
    } else {
        signature.headers()
    };
    say!(
        "POST {} ({} bytes, uuid {uuid}, key {})",
        args.url,
        body.len(),
        signer.kid()
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.post(&args.url);
    for (name, value) in &headers {
        request = request.header(*name, value.as_str());
    }
    let mut response = request
        .send(&body[..])
        .map_err(|error| format!("POST {}: {error}", args.url))?;
    let status = response.status();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    say!("{} {}", status.as_u16(), text.trim_end());
    Ok(if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
