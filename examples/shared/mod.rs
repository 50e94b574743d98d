//! Handlers shared by the server examples: each run prints one line with the request's uuid,
//! so an operator (or a test) can count runs per event from the logs.

#[allow(dead_code)] // the servers that use hyper directly
pub mod http1;

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
/// `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1`, and `POSTAL_HOOKS_REDIS_URL` (idempotency
/// records in Redis, shared by replicas; in memory when unset). Exits with a message saying
/// what to fix (for a missing key: where to get Postal's) when a setting is wrong.
#[allow(dead_code)] // the demo builds its own receiver
pub async fn receiver_from_env() -> (std::net::SocketAddr, postal_hooks::Receiver) {
    let config = postal_hooks::config::Config::from_env().unwrap_or_else(|error| exit(&error));
    let mut builder = postal_hooks::Dispatcher::builder();
    match &config.redis_url {
        Some(url) => {
            let store = postal_hooks::dedupe::RedisStore::connect(url)
                .await
                .unwrap_or_else(|error| exit(&error));
            println!("idempotency records in Redis at {url}");
            builder = builder.idempotency_store(store);
        }
        None => {
            println!("idempotency records in memory (set POSTAL_HOOKS_REDIS_URL to share them)")
        }
    }
    let dispatcher = builder.build().unwrap_or_else(|error| exit(&error));
    for handler in dispatcher.handlers() {
        println!("registered {handler}");
    }
    (
        config.addr,
        postal_hooks::Receiver::new(dispatcher, config.verifier),
    )
}

fn exit(error: &dyn std::fmt::Display) -> ! {
    eprintln!("error: {error}");
    std::process::exit(2)
}

/// The path every example serves.
#[allow(dead_code)]
pub const WEBHOOK_PATH: &str = "/postal/webhook";
