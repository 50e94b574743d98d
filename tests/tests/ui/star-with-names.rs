use postal_hooks::{on_event, Event};

#[on_event(*, MessageSent)]
fn everything(_event: &Event) {}

fn main() {}
