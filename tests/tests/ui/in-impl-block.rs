// Limitation: the attribute cannot see that this fn is inside an `impl` block, so it
// registers it like a free fn and rustc rejects the generated items. Use a free fn.
use postal_hooks::events::MessageBounced;
use postal_hooks::on_event;

struct Suppressor;

impl Suppressor {
    #[on_event(MessageBounced)]
    fn suppress(_bounce: &MessageBounced) {}
}

fn main() {}
