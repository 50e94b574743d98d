use postal_hooks::events::MessageLoaded;
use postal_hooks::on_event;

#[on_event(MessageLoaded, dedupe = "no")]
fn opened(_open: &MessageLoaded) {}

fn main() {}
