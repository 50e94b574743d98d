//! Delivering a signed sample to a receiver in one call, as Postal would.

use super::Signer;
use super::typed::fresh_sample;
use crate::events::EventType;
use crate::receiver::{Receiver, Reply};

impl Signer {
    /// Signs `body` and hands it to `receiver` as Postal's `POST` would, with
    /// `Content-Type: application/json`. The receiver must trust this signer's key (for
    /// the test key: [`Signer::verifier`]).
    pub async fn deliver(&self, receiver: &Receiver, body: &[u8]) -> Reply {
        let headers = self.sign(body).headers();
        receiver.receive_request("POST", &headers, body).await
    }

    /// Postal's sample of event type `E`, with a fresh uuid (so its handlers run each
    /// time), signed and delivered to `receiver`.
    ///
    /// ```
    /// use postal_hooks::events::MessageBounced;
    /// use postal_hooks::testing::Signer;
    /// use postal_hooks::{Dispatcher, Receiver};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let signer = Signer::test_key();
    /// let dispatcher = Dispatcher::builder()
    ///     .without_registered_handlers()
    ///     .on(|_: &MessageBounced| {})
    ///     .build()?;
    /// let receiver = Receiver::new(dispatcher, signer.verifier());
    /// let reply = signer.deliver_sample_blocking::<MessageBounced>(&receiver);
    /// assert_eq!(reply.body(), "ok: 1 handler(s) ran");
    /// // A fresh uuid each call: the handler runs again.
    /// let again = signer.deliver_sample_blocking::<MessageBounced>(&receiver);
    /// assert_eq!(again.body(), "ok: 1 handler(s) ran");
    /// # Ok(()) }
    /// ```
    pub async fn deliver_sample<E: EventType>(&self, receiver: &Receiver) -> Reply {
        let (body, _) = fresh_sample::<E>();
        self.deliver(receiver, &body).await
    }

    /// [`deliver_sample`](Self::deliver_sample) without an async runtime (see
    /// [`Receiver::receive_blocking`]).
    pub fn deliver_sample_blocking<E: EventType>(&self, receiver: &Receiver) -> Reply {
        let (body, _) = fresh_sample::<E>();
        let headers = self.sign(&body).headers();
        receiver.receive_blocking(&headers, &body)
    }
}
