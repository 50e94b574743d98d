//! Parses a Postal webhook body and prints the typed event.
//!
//! ```text
//! cargo run --example parse                     # the embedded MessageBounced sample
//! cargo run --example parse -- path/to/body.json
//! ```
//!
//! On a body that does not parse it prints the [`postal_hooks::ParseError`], which names the
//! field path or the line and column, and exits with status 1.

use std::process::ExitCode;

use postal_hooks::{Envelope, Event};

/// The exact body Postal 3.3.6 sends for a bounce.
const SAMPLE: &[u8] = include_bytes!("../core/samples/MessageBounced.json");

fn main() -> ExitCode {
    let body = match std::env::args_os().nth(1) {
        Some(path) => match std::fs::read(&path) {
            Ok(body) => body,
            Err(error) => {
                eprintln!("cannot read {}: {error}", path.to_string_lossy());
                return ExitCode::FAILURE;
            }
        },
        None => SAMPLE.to_vec(),
    };
    match Envelope::parse(&body) {
        Ok(envelope) => {
            println!("event     {}", envelope.event().name());
            println!("uuid      {}", envelope.uuid());
            println!(
                "timestamp {} ({:?})",
                envelope.timestamp(),
                envelope.timestamp().to_system_time()
            );
            describe(envelope.event());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("not a Postal webhook body: {error}");
            ExitCode::FAILURE
        }
    }
}

fn describe(event: &Event) {
    match event {
        Event::MessageSent(postal_hooks::events::MessageSent(delivery))
        | Event::MessageDelayed(postal_hooks::events::MessageDelayed(delivery))
        | Event::MessageDeliveryFailed(postal_hooks::events::MessageDeliveryFailed(delivery))
        | Event::MessageHeld(postal_hooks::events::MessageHeld(delivery)) => println!(
            "delivery  message {} to {:?}: {} ({:?})",
            delivery.message.id, delivery.message.to, delivery.status, delivery.details
        ),
        Event::MessageBounced(bounce) => println!(
            "bounce    message {} to {:?} bounced: {:?}",
            bounce.original_message.id, bounce.original_message.to, bounce.bounce.subject
        ),
        Event::MessageLinkClicked(click) => {
            println!(
                "click     message {} link {} from {}",
                click.message.id, click.url, click.ip_address
            )
        }
        Event::MessageLoaded(open) => {
            println!(
                "open      message {} from {}",
                open.message.id, open.ip_address
            )
        }
        Event::DomainDNSError(dns) => println!(
            "dns       {}: spf {} dkim {} mx {} return-path {}",
            dns.domain, dns.spf_status, dns.dkim_status, dns.mx_status, dns.return_path_status
        ),
        Event::SendLimitApproaching(postal_hooks::events::SendLimitApproaching(limit))
        | Event::SendLimitExceeded(postal_hooks::events::SendLimitExceeded(limit)) => println!(
            "limit     server {}: {} of {:?} messages this hour",
            limit.server.name, limit.volume, limit.limit
        ),
        Event::Unknown { name, payload } => println!("unknown   {name}: {}", payload.get()),
        other => println!("other     {}", other.name()),
    }
}
