//! `postal-hooks keys`: Postal's public key(s), as a receiver would trust them.

use std::process::ExitCode;

use crate::Outcome;
use crate::key_source;

#[derive(clap::Args)]
pub struct Args {
    /// Where the key is: Postal's JWKS URL (`https://<postal host>/.well-known/jwks.json`),
    /// `dns:<return-path domain>` (the TXT record `postal._domainkey.<domain>`; the DNS
    /// server from `POSTAL_HOOKS_DNS_SERVER` if set), or `@file` holding PEM, a JWKS
    /// document or Postal's DNS record value.
    source: String,
}

pub fn run(args: Args) -> Outcome {
    let verifier = key_source::verifier(&args.source)?;
    for key in verifier.keys().iter() {
        say!("kid {}", key.kid());
        say!("bits {}", key.bits());
        say_part!("{}", key.to_pem());
    }
    Ok(ExitCode::SUCCESS)
}
