use postal_hooks::events::MessageBounced;
use postal_hooks::on_event;

struct Suppressor;

impl Suppressor {
    #[on_event(MessageBounced)]
    fn suppress(&self, _bounce: &MessageBounced) {}
}

fn main() {}
