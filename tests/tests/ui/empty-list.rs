use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event()]
fn sent(_sent: &MessageSent) {}

fn main() {}
