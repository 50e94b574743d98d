use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event(MessageSent)]
fn sent(sent: &MessageSent) -> u64 {
    sent.message.id
}

fn main() {}
