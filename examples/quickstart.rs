//! Quickstart: one `#[on_event]` handler per Postal event, fed every sample body Postal
//! sends, printing what each handler saw, how each run ended, and the HTTP status to answer
//! with. It exits non-zero if any sample is not handled by exactly one successful handler.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use postal_hooks::events::{
    DomainDNSError, MessageBounced, MessageDelayed, MessageDeliveryFailed, MessageHeld,
    MessageLinkClicked, MessageLoaded, MessageSent, SendLimitApproaching, SendLimitExceeded,
};
use postal_hooks::testing::SAMPLES;
use postal_hooks::{Dispatcher, Meta, Outcome, on_event};

/// Two more bodies Postal sends, besides the ten in `postal_hooks::testing::SAMPLES` (one
/// per event): a message received into an HTTP endpoint, and a delay with no SMTP server to
/// try. Copied from Postal's fixtures into `core/samples/variants/`.
const VARIANTS: [(&str, &[u8]); 2] = [
    (
        "variants/MessageSent.incoming_http_endpoint",
        include_bytes!("../core/samples/variants/MessageSent.incoming_http_endpoint.json"),
    ),
    (
        "variants/MessageDelayed.no_smtp_servers",
        include_bytes!("../core/samples/variants/MessageDelayed.no_smtp_servers.json"),
    ),
];

#[on_event(MessageSent)]
fn delivered(sent: &MessageSent) {
    println!(
        "    delivered message {} to {:?}: {}",
        sent.message.id, sent.message.to, sent.output
    );
}

#[on_event(MessageDelayed)]
fn delayed(delayed: &MessageDelayed) {
    println!(
        "    delayed message {}: {:?}",
        delayed.message.id, delayed.details
    );
}

#[on_event(MessageDeliveryFailed)]
fn failed(failed: &MessageDeliveryFailed) {
    println!("    failed for {:?}: {}", failed.message.to, failed.output);
}

#[on_event(MessageHeld)]
fn held(held: &MessageHeld) {
    println!("    held message {}: {:?}", held.message.id, held.details);
}

#[on_event(MessageBounced)]
async fn suppress(bounce: &MessageBounced) -> Result<(), std::io::Error> {
    // A real handler would add the address to a suppression list here.
    println!(
        "    suppress {:?} (message {} bounced: {:?})",
        bounce.original_message.to, bounce.original_message.id, bounce.bounce.subject
    );
    Ok(())
}

#[on_event(MessageLinkClicked)]
fn clicked(click: &MessageLinkClicked, meta: &Meta) {
    println!(
        "    click on {} from {} (request {})",
        click.url,
        click.ip_address,
        meta.uuid().unwrap_or("-")
    );
}

#[on_event(MessageLoaded)]
fn opened(open: &MessageLoaded) {
    println!(
        "    message {} opened by {:?}",
        open.message.id, open.user_agent
    );
}

#[on_event(DomainDNSError)]
fn dns(dns: &DomainDNSError) {
    println!(
        "    page someone: {} has SPF {}, DKIM {}, MX {}, return path {}",
        dns.domain, dns.spf_status, dns.dkim_status, dns.mx_status, dns.return_path_status
    );
}

#[on_event(SendLimitApproaching)]
fn approaching(limit: &SendLimitApproaching) {
    println!(
        "    {} has sent {} of {:?} this hour",
        limit.server.name, limit.volume, limit.limit
    );
}

#[on_event(SendLimitExceeded)]
fn exceeded(limit: &SendLimitExceeded) {
    println!(
        "    {} hit its limit: {} of {:?}",
        limit.server.name, limit.volume, limit.limit
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dispatcher = Dispatcher::builder().build()?;
    println!("{} handlers registered:", dispatcher.handlers().len());
    for handler in dispatcher.handlers() {
        println!("  {handler}");
    }
    for &(sample, body) in SAMPLES.iter().chain(&VARIANTS) {
        println!("\n{sample} ({} bytes)", body.len());
        let report = dispatcher.dispatch(body).await?;
        for run in report.runs() {
            println!("  {run}");
        }
        println!("  => HTTP {}", report.http_status());
        // Each sample has exactly one handler above; anything else is a bug in this example
        // (or a handler that failed), and the run must say so with a non-zero exit.
        let ran_once = matches!(report.runs(), [run] if *run.outcome() == Outcome::Ok);
        if !ran_once {
            return Err(format!("{sample}: expected one successful handler, got: {report}").into());
        }
    }
    println!("\nall {} samples handled", SAMPLES.len() + VARIANTS.len());
    Ok(())
}
