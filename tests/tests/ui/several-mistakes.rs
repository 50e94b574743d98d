// Independent mistakes are all reported by one build.
use postal_hooks::on_event;

#[on_event(MessageSend, MessageHold)]
fn delivered<T>(_event: &T) {}

fn main() {}
