use std::rc::Rc;

use postal_hooks::events::MessageSent;
use postal_hooks::on_event;

#[on_event(MessageSent)]
async fn sent(sent: &MessageSent) {
    let id = Rc::new(sent.message.id);
    std::future::ready(()).await;
    println!("{id}");
}

fn main() {}
