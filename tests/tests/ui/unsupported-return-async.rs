use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event(MessageSent)]
async fn sent(_sent: &MessageSent) -> Option<()> {
    None
}

fn main() {}
