// A handler's own error type that is not a `std::error::Error`: the error says so.
use postal_hooks::events::MessageBounced;
use postal_hooks::on_event;

#[derive(Debug)]
struct SuppressionError;

#[on_event(MessageBounced)]
fn suppress(_bounce: &MessageBounced) -> Result<(), SuppressionError> {
    Ok(())
}

fn main() {}
