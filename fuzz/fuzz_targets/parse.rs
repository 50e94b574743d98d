//! Envelope and payload parsing: any bytes give an envelope or a `ParseError`, never a
//! panic; an envelope that parses serializes to JSON that parses to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postal_hooks::{Envelope, Event};

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::parse(data) {
        let json = serde_json::to_vec(&envelope).expect("a parsed envelope serializes");
        let again = Envelope::parse(&json).expect("its own JSON parses");
        assert_eq!(again.event(), envelope.event());
        assert_eq!(again.uuid(), envelope.uuid());
    }
    // The rest as a bare payload, for an event picked by the first byte (or an unknown one).
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let names = Event::KNOWN_NAMES;
    let name = names
        .get(usize::from(pick) % (names.len() + 1))
        .copied()
        .unwrap_or("SomethingNew");
    if let Ok(event) = Event::from_payload(name, payload) {
        assert_eq!(event.name(), name);
    }
});
