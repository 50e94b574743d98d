//! Handlers shared by the server examples: each run prints one line with the request's uuid,
//! so an operator (or a test) can count runs per event from the logs.

use postal_hooks::events::{Delivery, MessageBounced};
use postal_hooks::{Event, Meta, on_event};

/// Every event, known or not.
#[on_event(*)]
pub fn log_event(event: &Event, meta: &Meta) {
    println!(
        "handled event={} uuid={} handler=log_event",
        event.name(),
        meta.uuid().unwrap_or("-")
    );
}

/// What a bounce handler sees.
#[on_event(MessageBounced)]
pub async fn suppress_bounced(bounce: &MessageBounced, meta: &Meta) {
    println!(
        "handled event=MessageBounced uuid={} handler=suppress_bounced to={}",
        meta.uuid().unwrap_or("-"),
        bounce.original_message.to.as_deref().unwrap_or("-")
    );
}

/// What a delivery handler sees.
#[on_event(MessageSent, MessageDelayed, MessageDeliveryFailed, MessageHeld)]
pub fn track_delivery(delivery: &Delivery, meta: &Meta) {
    println!(
        "handled event={} uuid={} handler=track_delivery message={} status={}",
        meta.event(),
        meta.uuid().unwrap_or("-"),
        delivery.message.id,
        delivery.status
    );
}

/// The receiver as a deployment configures it: `POSTAL_PUBLIC_KEY` (required),
/// `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1`. Exits with a message saying how to get the key
/// when it is missing.
#[allow(dead_code)] // the demo builds its own receiver
pub fn receiver_from_env() -> (std::net::SocketAddr, postal_hooks::Receiver) {
    let config = match postal_hooks::config::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    let dispatcher = match postal_hooks::Dispatcher::builder().build() {
        Ok(dispatcher) => dispatcher,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    for handler in dispatcher.handlers() {
        println!("registered {handler}");
    }
    (
        config.addr,
        postal_hooks::Receiver::new(dispatcher, config.verifier),
    )
}

/// The path every example serves.
#[allow(dead_code)]
pub const WEBHOOK_PATH: &str = "/postal/webhook";
