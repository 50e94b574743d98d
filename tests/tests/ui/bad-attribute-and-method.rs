// A malformed attribute does not hide the fn's own mistake: one build reports both.
use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

struct Tracker;

impl Tracker {
    #[on_event(MessageSent dedupe = false)]
    fn sent(&self, _sent: &MessageSent) {}
}

fn main() {}
