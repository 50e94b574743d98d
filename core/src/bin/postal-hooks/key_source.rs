//! Reading keys as the commands take them: Postal's JWKS URL, `dns:<domain>`, `@file`, or
//! the text itself; and the private signing key.

use std::path::Path;
use std::time::Duration;

use postal_hooks::config::{self, ConfigError, DNS_SERVER_VAR};
use postal_hooks::testing::Signer;
use postal_hooks::verify::DEFAULT_JWKS_MIN_REFRESH;
use postal_hooks::{Dispatcher, Receiver, Verifier};

/// A verifier for `source`: a JWKS URL (`https://…/.well-known/jwks.json`, or `http://` to
/// loopback), `dns:<return-path domain>`, `@path` to a file holding PEM, a JWKS document or
/// Postal's DNS record value, or that text itself. `@path` is read here; the rest is the
/// library's reading of `POSTAL_PUBLIC_KEY`, with `POSTAL_HOOKS_DNS_SERVER` for `dns:`.
pub fn verifier(source: &str) -> Result<Verifier, String> {
    let source = source.trim();
    if let Some(path) = source.strip_prefix('@') {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {path}: {error}"))?;
        return Verifier::from_key_text(&text).map_err(|error| format!("{path}: {error}"));
    }
    let dns_server = std::env::var(DNS_SERVER_VAR).ok();
    let dns_server =
        config::dns_server(dns_server.as_deref()).map_err(|error| error.to_string())?;
    config::key_source_verifier(source, DEFAULT_JWKS_MIN_REFRESH, dns_server).map_err(|error| {
        match error {
            // Said without the setting's name: here the key is an argument.
            ConfigError::Key(error) => error.to_string(),
            other => other.to_string(),
        }
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
