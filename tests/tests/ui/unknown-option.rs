use postal_hooks::events::MessageLoaded;
use postal_hooks::on_event;

#[on_event(MessageLoaded, retries = 3)]
fn opened(_open: &MessageLoaded) {}

fn main() {}
