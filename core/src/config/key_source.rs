//! Where the public key comes from, as `POSTAL_PUBLIC_KEY` (and the `postal-hooks` CLI's
//! key arguments) spell it: the key's text, Postal's JWKS URL, or `dns:<domain>`.

use std::net::SocketAddr;
use std::time::Duration;

use super::ConfigError;
use crate::verify::Verifier;

/// The verifier for a key source, as `POSTAL_PUBLIC_KEY` takes it:
///
/// - the key's text: PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`), a JWKS document, or Postal's
///   DNS record value (`v=DKIM1; … p=…`), as [`Verifier::from_key_text`] reads them;
/// - Postal's JWKS URL, `https://<postal host>/.well-known/jwks.json` (`http://` only to a
///   loopback host), fetched now and again on an unknown KID at most once per
///   `min_refresh` (feature `jwks`);
/// - `dns:<return-path domain>`, the TXT record `postal._domainkey.<domain>`, asked of
///   `dns_server` (`ip:port`) or the system's resolver (feature `dns`).
///
/// The `http`, `https` and `dns:` prefixes are matched without regard to case.
///
/// ```
/// use std::time::Duration;
/// use postal_hooks::config::{ConfigError, key_source_verifier};
///
/// # let pem = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/keys/test_signing.pub.pem"));
/// let verifier = key_source_verifier(pem, Duration::from_secs(30), None)?;
/// assert_eq!(verifier.keys().len(), 1);
///
/// let error = key_source_verifier("not a key", Duration::from_secs(30), None).unwrap_err();
/// assert!(matches!(error, ConfigError::Key(_)));
/// # Ok::<(), ConfigError>(())
/// ```
///
/// # Errors
///
/// - [`ConfigError::Key`]: no usable key in the text, or the JWKS URL or DNS record could
///   not be fetched or held none (its [`KeyError`](crate::KeyError) names the URL or the
///   record, and the cause);
/// - [`ConfigError::KeySourceNeedsFeature`]: a URL without feature `jwks`, or `dns:`
///   without feature `dns`.
pub fn key_source_verifier(
    value: &str,
    min_refresh: Duration,
    dns_server: Option<SocketAddr>,
) -> Result<Verifier, ConfigError> {
    let trimmed = value.trim();
    if let Some(domain) = strip_prefix_ignoring_case(trimmed, "dns:") {
        #[cfg(feature = "dns")]
        return Verifier::from_dns(domain, dns_server, crate::verify::DEFAULT_DNS_TIMEOUT)
            .map_err(ConfigError::Key);
        #[cfg(not(feature = "dns"))]
        {
            let _ = (domain, dns_server);
            return Err(ConfigError::KeySourceNeedsFeature {
                value: trimmed.to_owned(),
                feature: "dns",
            });
        }
    }
    #[cfg(not(feature = "dns"))]
    let _ = dns_server;
    let is_url = ["https://", "http://"]
        .iter()
        .any(|scheme| strip_prefix_ignoring_case(trimmed, scheme).is_some());
    if !is_url {
        return Verifier::from_key_text(value).map_err(ConfigError::Key);
    }
    #[cfg(feature = "jwks")]
    return Verifier::from_jwks_url(trimmed, crate::verify::DEFAULT_JWKS_TIMEOUT, min_refresh)
        .map_err(ConfigError::Key);
    #[cfg(not(feature = "jwks"))]
    {
        let _ = min_refresh;
        Err(ConfigError::KeySourceNeedsFeature {
            value: trimmed.to_owned(),
            feature: "jwks",
        })
    }
}

/// The DNS server `POSTAL_HOOKS_DNS_SERVER` names, `ip:port`; `None` when it is unset or
/// blank (the system's resolver is asked).
///
/// ```
/// use postal_hooks::config::{ConfigError, dns_server};
///
/// assert_eq!(dns_server(Some(" 127.0.0.1:5353 "))?, Some("127.0.0.1:5353".parse()?));
/// assert_eq!(dns_server(Some(""))?, None);
/// assert!(matches!(dns_server(Some("localhost")), Err(ConfigError::DnsServer { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`ConfigError::DnsServer`] when the value is not an IP address and port.
pub fn dns_server(value: Option<&str>) -> Result<Option<SocketAddr>, ConfigError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| ConfigError::DnsServer {
            value: text.to_owned(),
        }),
    }
}

/// `text` after `prefix`, compared without regard to ASCII case.
fn strip_prefix_ignoring_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_without_regard_to_case() {
        assert_eq!(
            strip_prefix_ignoring_case("DNS:example.com", "dns:"),
            Some("example.com")
        );
        assert_eq!(
            strip_prefix_ignoring_case("Https://x", "https://"),
            Some("x")
        );
        assert_eq!(strip_prefix_ignoring_case("dn", "dns:"), None);
        // A prefix length that falls inside a character is no match, not a panic.
        assert_eq!(strip_prefix_ignoring_case("dnsé", "dns:"), None);
        assert_eq!(strip_prefix_ignoring_case("éééé", "dns:"), None);
    }
}
