use postal_hooks::on_event;

#[on_event(MessageBounced)]
fn suppress() {}

fn main() {}
