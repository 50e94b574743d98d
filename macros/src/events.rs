//! The event names `#[on_event]` accepts, and the "did you mean" for the ones it does not.

/// Postal's ten webhook events; must match `postal_hooks::Event::KNOWN_NAMES` (a test in
/// `tests/` registers a handler for each through the macro).
pub const EVENTS: [&str; 10] = [
    "MessageSent",
    "MessageDelayed",
    "MessageDeliveryFailed",
    "MessageHeld",
    "MessageBounced",
    "MessageLinkClicked",
    "MessageLoaded",
    "DomainDNSError",
    "SendLimitApproaching",
    "SendLimitExceeded",
];

/// The known event closest to `name`, if it is close enough to be a typo.
pub fn closest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    EVENTS
        .iter()
        .map(|&event| (distance(&lower, &event.to_lowercase()), event))
        .filter(|&(distance, event)| distance <= 3.max(event.len() / 4))
        .min()
        .map(|(_, event)| event)
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitute =
                previous.get(j).copied().unwrap_or(usize::MAX - 1) + usize::from(a_char != *b_char);
            let delete = previous.get(j + 1).copied().unwrap_or(usize::MAX - 1) + 1;
            let insert = current.get(j).copied().unwrap_or(usize::MAX - 1) + 1;
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_and_case_slips() {
        assert_eq!(closest("MessageBounce"), Some("MessageBounced"));
        assert_eq!(closest("messagesent"), Some("MessageSent"));
        assert_eq!(closest("DomainDnsError"), Some("DomainDNSError"));
        assert_eq!(closest("MessageClicked"), Some("MessageLinkClicked"));
        assert_eq!(closest("Unrelated"), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
