use postal_hooks::on_event;

#[on_event(MessageSent)]
struct Handler;

fn main() {}
