//! Reading keys as the commands take them: Postal's JWKS URL, `dns:<domain>`, `@file`, or
//! the text itself; and the private signing key.

use std::path::Path;
use std::time::Duration;

use postal_hooks::testing::Signer;
use postal_hooks::verify::{DEFAULT_DNS_TIMEOUT, DEFAULT_JWKS_MIN_REFRESH, DEFAULT_JWKS_TIMEOUT};
use postal_hooks::{Dispatcher, KeyError, Receiver, Verifier};

/// A verifier for `source`: a JWKS URL (`https://…/.well-known/jwks.json`, or `http://` to
/// loopback), `dns:<return-path domain>`, `@path` to a file holding PEM, a JWKS document or Postal's DNS record value,
/// or that text itself.
pub fn verifier(source: &str) -> Result<Verifier, String> {
    verifier_refreshing(source, DEFAULT_JWKS_MIN_REFRESH)
}

/// [`verifier`], with the shortest time between two fetches of a JWKS URL.
pub fn verifier_refreshing(source: &str, min_refresh: Duration) -> Result<Verifier, String> {
    let source = source.trim();
    let lower = source.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Verifier::from_jwks_url(source, DEFAULT_JWKS_TIMEOUT, min_refresh)
            .map_err(|error| error.to_string());
    }
    if lower.starts_with("dns:") {
        // The system's resolver, or POSTAL_HOOKS_DNS_SERVER (ip:port).
        let server = match std::env::var("POSTAL_HOOKS_DNS_SERVER") {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().parse().map_err(|_| {
                format!("POSTAL_HOOKS_DNS_SERVER={text:?} is not an address like 127.0.0.1:53")
            })?),
            _ => None,
        };
        let domain = source.get(4..).unwrap_or_default();
        return Verifier::from_dns(domain, server, DEFAULT_DNS_TIMEOUT)
            .map_err(|error| error.to_string());
    }
    let text = match source.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|error| format!("cannot read {path}: {error}"))?
        }
        None => source.to_owned(),
    };
    Verifier::from_key_text(&text).map_err(|error: KeyError| match source.strip_prefix('@') {
        Some(path) => format!("{path}: {error}"),
        None => error.to_string(),
    })
}

/// The signer for Postal's private key at `path` (`signing.key`), or the embedded test
/// key.
pub fn signer(path: Option<&Path>) -> Result<Signer, String> {
    let Some(path) = path else {
        return Ok(Signer::test_key());
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    Signer::from_pem(&pem).map_err(|error| format!("{}: {error}", path.display()))
}

/// The bytes of `path`, or of standard input for `-`.
pub fn read_body(path: &Path) -> Result<Vec<u8>, String> {
    if path == Path::new("-") {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
            .map_err(|error| format!("cannot read standard input: {error}"))?;
        return Ok(body);
    }
    std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// A receiver that checks what a receiver checks (signature, content type, size, the body,
/// the replay window) and dispatches to nothing: for `verify` and `listen`.
pub fn checking_receiver(verifier: Verifier, window: Option<Duration>) -> Result<Receiver, String> {
    let dispatcher = Dispatcher::builder()
        .without_registered_handlers()
        .allow_no_handlers()
        .without_dedupe()
        .build()
        .map_err(|error| error.to_string())?;
    Ok(Receiver::new(dispatcher, verifier).with_replay_window(window))
}
