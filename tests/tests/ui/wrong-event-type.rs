use postal_hooks::events::MessageBounced;
use postal_hooks::on_event;

#[on_event(MessageSent)]
fn sent(_sent: &MessageBounced) {}

fn main() {}
