use postal_hooks::events::Delivery;
use postal_hooks::on_event;

#[on_event(MessageSent, MessageHeld, MessageSent)]
fn delivered(_delivery: &Delivery) {}

fn main() {}
