use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event(MessageSent)]
unsafe fn sent(_sent: &MessageSent) {}

fn main() {}
