use postal_hooks::{on_event, Event};

#[on_event(OrderShipped)]
fn ship(_event: &Event) {}

fn main() {}
