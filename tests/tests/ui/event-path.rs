use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event(postal_hooks::events::MessageSent)]
fn sent(_sent: &MessageSent) {}

fn main() {}
