use postal_hooks::events::MessageLoaded;
use postal_hooks::on_event;

#[on_event(dedupe = false)]
fn opened(_open: &MessageLoaded) {}

fn main() {}
