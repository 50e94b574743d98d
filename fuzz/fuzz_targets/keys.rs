//! Key parsing: any text, as PEM, a DNS record, a JWKS document or whatever
//! `PublicKey::parse_all` makes of it, gives keys or a `KeyError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postal_hooks::{MAX_KEY_BITS, MIN_KEY_BITS, PublicKey};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut keys = Vec::new();
    keys.extend(PublicKey::parse_all(&text).unwrap_or_default());
    keys.extend(PublicKey::from_pem(&text));
    keys.extend(PublicKey::from_dns_record(&text));
    keys.extend(PublicKey::from_jwks(&text).unwrap_or_default());
    keys.extend(PublicKey::from_spki_der(data));
    keys.extend(PublicKey::from_pkcs1_der(data));
    for key in keys {
        assert!((MIN_KEY_BITS..=MAX_KEY_BITS).contains(&key.bits()));
        assert_eq!(key.kid().len(), 64);
    }
});
