use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event(MessageSent)]
fn sent(_sent: &MessageSent, _pool: &String) {}

fn main() {}
