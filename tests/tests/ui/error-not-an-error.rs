// `Result<(), E>` needs an `E` that is an error: a bare number is not.
use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event(MessageSent)]
fn sent(_sent: &MessageSent) -> Result<(), u32> {
    Ok(())
}

fn main() {}
