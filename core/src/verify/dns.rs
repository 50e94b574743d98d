//! Postal's key from DNS: the TXT record `postal._domainkey.<return-path domain>`, whose
//! value is `v=DKIM1; t=s; h=sha256; p=<base64 SubjectPublicKeyInfo>;` (SPEC §3). Read
//! through hickory-resolver, on a thread with a runtime of its own, so that the caller
//! needs no async runtime and may be inside one. Feature `dns`.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

use super::key::PublicKey;
use super::key_error::{DnsLookupError, KeyError};
use crate::shared_error::SharedError;

/// How long a DNS lookup of Postal's key may take: 5 s.
pub const DEFAULT_DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// The record's name for a return-path domain: `postal._domainkey.<domain>.` (absolute).
pub(crate) fn record_name(domain: &str) -> String {
    format!("postal._domainkey.{}.", domain.trim().trim_end_matches('.'))
}

/// Looks the record up, with the system's resolver configuration or at `server`, and
/// reads the key in it.
pub(crate) fn lookup(
    domain: &str,
    server: Option<SocketAddr>,
    timeout: Duration,
) -> Result<PublicKey, KeyError> {
    let name = record_name(domain);
    let failed = |cause| KeyError::Dns {
        name: name.clone(),
        cause,
    };
    let query = name.clone();
    let texts = std::thread::Builder::new()
        .name("postal-hooks-dns".to_owned())
        .spawn(move || resolve(&query, server, timeout))
        .map_err(|error| failed(DnsLookupError::Lookup(SharedError::new(error))))?
        .join()
        .map_err(|_| {
            failed(DnsLookupError::Lookup(SharedError::new(
                std::io::Error::other("the lookup thread panicked"),
            )))
        })?
        .map_err(|error| failed(DnsLookupError::Lookup(error)))?;
    let Some(record) = texts.iter().find(|text| text.contains("p=")) else {
        return Err(failed(DnsLookupError::NoKeyRecord { found: texts.len() }));
    };
    PublicKey::from_dns_record(record)
        .map_err(|error| failed(DnsLookupError::Record(Box::new(error))))
}

/// The TXT records at `name`, each one's strings joined (a value over 255 bytes is split
/// into several strings on the wire).
fn resolve(
    name: &str,
    server: Option<SocketAddr>,
    timeout: Duration,
) -> Result<Vec<String>, SharedError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SharedError::new)?;
    runtime.block_on(async {
        let mut builder = match server {
            Some(address) => {
                let mut server = NameServerConfig::udp_and_tcp(address.ip());
                for connection in &mut server.connections {
                    connection.port = address.port();
                }
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => TokioResolver::builder_tokio().map_err(SharedError::new)?,
        };
        builder.options_mut().timeout = timeout;
        builder.options_mut().attempts = 1;
        let resolver = builder.build().map_err(SharedError::new)?;
        let answer = resolver.txt_lookup(name).await.map_err(SharedError::new)?;
        Ok(answer
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_record_name_is_absolute() {
        assert_eq!(
            super::record_name(" rp.example.com. "),
            "postal._domainkey.rp.example.com."
        );
    }
}
