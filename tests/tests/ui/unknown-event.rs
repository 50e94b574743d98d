use postal_hooks::events::MessageBounced;
use postal_hooks::on_event;

#[on_event(MessageBounce)]
fn suppress(_bounce: &MessageBounced) {}

fn main() {}
