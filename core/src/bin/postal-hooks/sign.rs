//! `postal-hooks sign`: the signature headers Postal would send with a body.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::Outcome;
use crate::key_source;

#[derive(clap::Args)]
pub struct Args {
    /// The body to sign, byte for byte (`-` for standard input).
    #[arg(default_value = "-")]
    body: PathBuf,
    /// Postal's private signing key (PEM); default: the embedded test key.
    #[arg(long)]
    key: Option<PathBuf>,
    /// Only the legacy SHA-1 signature, as Postal before 3.2.
    #[arg(long)]
    legacy: bool,
}

pub fn run(args: Args) -> Outcome {
    let signer = key_source::signer(args.key.as_deref())?;
    let body = key_source::read_body(&args.body)?;
    let signature = signer.sign(&body);
    let headers = if args.legacy {
        signature.legacy_headers()
    } else {
        signature.headers()
    };
    for (name, value) in headers {
        say!("{name}: {value}");
    }
    Ok(ExitCode::SUCCESS)
}
