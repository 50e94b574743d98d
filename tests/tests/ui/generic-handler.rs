use postal_hooks::on_event;

#[on_event(MessageSent)]
fn sent<E: std::fmt::Debug>(event: &E) {
    println!("{event:?}");
}

fn main() {}
