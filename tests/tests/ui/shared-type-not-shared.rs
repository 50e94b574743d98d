use postal_hooks::events::Delivery;
use postal_hooks::on_event;

// `Delivery` is the payload of the four delivery events, not of `MessageBounced`.
#[on_event(MessageSent, MessageBounced)]
fn delivered(_delivery: &Delivery) {}

fn main() {}
