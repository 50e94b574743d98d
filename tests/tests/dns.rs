//! Postal's key from its DNS record (feature `dns`): `Verifier::from_dns`, and
//! `POSTAL_PUBLIC_KEY=dns:<return-path domain>` with `POSTAL_HOOKS_DNS_SERVER`, against a
//! DNS server on loopback.

// Test code: a failed step must stop the test, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dns_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dns_support::FakeDns;
use postal_hooks::config::{Config, ConfigError, DNS_SERVER_VAR, PUBLIC_KEY_VAR};
use postal_hooks::testing::{self, Signer};
use postal_hooks::verify::{DEFAULT_DNS_TIMEOUT, DnsLookupError};
use postal_hooks::{KeyError, Verifier};

fn server() -> FakeDns {
    FakeDns::start(vec![
        (
            "postal._domainkey.rp.example.test.".to_owned(),
            vec![
                "some other text".to_owned(),
                testing::TEST_DNS_RECORD.trim().to_owned(),
            ],
        ),
        (
            "postal._domainkey.nokey.example.test.".to_owned(),
            vec!["v=spf1 -all".to_owned()],
        ),
    ])
}

#[test]
fn the_key_is_read_from_the_txt_record_and_verifies() {
    let dns = server();
    // The record is over 255 bytes: it arrives as two strings, joined again.
    assert!(testing::TEST_DNS_RECORD.trim().len() > 255);
    let verifier =
        Verifier::from_dns("rp.example.test", Some(dns.addr), DEFAULT_DNS_TIMEOUT).unwrap();
    let signer = Signer::test_key();
    assert_eq!(verifier.keys()[0].kid(), signer.kid());
    let (body, _) = testing::fresh_sample::<postal_hooks::events::MessageSent>();
    assert!(
        verifier
            .verify(&signer.sign(&body).headers(), &body)
            .is_ok()
    );
}

#[test]
fn the_setting_takes_dns_and_the_server() {
    let dns = server();
    let address = dns.addr.to_string();
    let config = Config::from_lookup(move |name| match name {
        PUBLIC_KEY_VAR => Some("dns:rp.example.test".into()),
        DNS_SERVER_VAR => Some(address.clone()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.verifier.keys()[0].kid(), Signer::test_key().kid());
    let error = Config::from_lookup(|name| match name {
        PUBLIC_KEY_VAR => Some("dns:rp.example.test".into()),
        DNS_SERVER_VAR => Some("my-dns".into()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(
        error,
        ConfigError::DnsServer {
            value: "my-dns".into()
        }
    );
}

#[test]
fn errors_name_the_record_and_the_cause() {
    let dns = server();
    let error = Verifier::from_dns("missing.example.test", Some(dns.addr), DEFAULT_DNS_TIMEOUT)
        .unwrap_err();
    assert!(
        matches!(&error, KeyError::Dns { name, cause: DnsLookupError::Lookup(_) } if name == "postal._domainkey.missing.example.test."),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(
            "cannot read Postal's key from the DNS record postal._domainkey.missing.example.test.: "
        ),
        "{error}"
    );
    let error =
        Verifier::from_dns("nokey.example.test", Some(dns.addr), DEFAULT_DNS_TIMEOUT).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot read Postal's key from the DNS record postal._domainkey.nokey.example.test.: 1 TXT record(s), none with a key (`p=…`)"
    );
}

#[test]
fn a_silent_server_is_a_timeout() {
    // A socket that receives and never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address: SocketAddr = silent.local_addr().unwrap();
    let started = Instant::now();
    let error = Verifier::from_dns("rp.example.test", Some(address), Duration::from_millis(300))
        .unwrap_err();
    assert!(
        matches!(
            error,
            KeyError::Dns {
                cause: DnsLookupError::Lookup(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
