//! Handlers shared by the server examples: each run prints one line with the request's uuid,
//! so an operator (or a test) can count runs per event from the logs.

#[allow(dead_code)] // the servers that use hyper directly
pub mod http1;
#[allow(dead_code)] // the demo builds its own receiver
pub mod extras;
#[allow(dead_code)] // the demo builds its own receiver
pub mod server;

pub use server::exit;

use postal_hooks::events::{Delivery, MessageBounced};
use postal_hooks::{Event, Meta, State, on_event};

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

/// `notify_crm`'s downstream: `POSTAL_HOOKS_EXAMPLE_CRM_URL`, when set.
pub struct Crm {
    client: reqwest::Client,
    url: Option<String>,
}

impl Crm {
    /// From `POSTAL_HOOKS_EXAMPLE_CRM_URL`; every call times out after 10 s.
    pub fn from_env() -> Crm {
        let url = std::env::var("POSTAL_HOOKS_EXAMPLE_CRM_URL")
            .ok()
            .filter(|url| !url.trim().is_empty());
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_else(|error| exit(&error));
        Crm { client, url }
    }
}

/// The most common real handler, a call to another service: when
/// `POSTAL_HOOKS_EXAMPLE_CRM_URL` is set, POSTs `{"event": …, "uuid": …}` there for every
/// event, and fails on a non-2xx answer, a timeout (10 s) or a connection error. Unset, it
/// does nothing.
#[on_event(*)]
pub async fn notify_crm(event: &Event, meta: &Meta, crm: State<Crm>) -> Result<(), String> {
    let Some(url) = &crm.url else {
        return Ok(());
    };
    let uuid = meta.uuid().unwrap_or("-");
    let body = serde_json::json!({ "event": event.name(), "uuid": uuid }).to_string();
    let response = crm
        .client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|error| format!("CRM at {url}: {error}"))?;
    if !response.status().is_success() {
        return Err(format!("CRM at {url} answered {}", response.status()));
    }
    println!(
        "handled event={} uuid={uuid} handler=notify_crm",
        event.name()
    );
    Ok(())
}

/// The path every example serves.
#[allow(dead_code)]
pub const WEBHOOK_PATH: &str = "/postal/webhook";
