//! The webhook receiver on actix-web: `POST /postal/webhook`, verified, dispatched to the
//! `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example actix_server
//! ```
//!
//! Settings: `POSTAL_PUBLIC_KEY` (required), `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1=1`,
//! `POSTAL_HOOKS_REDIS_URL` (idempotency records shared by replicas; in memory otherwise).

mod shared;

use actix_web::{App, HttpServer};

fn main() -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let (addr, receiver) = shared::receiver_from_env().await;
        let server = HttpServer::new(move || {
            App::new().service(postal_hooks::actix::resource(
                shared::WEBHOOK_PATH,
                receiver.clone(),
            ))
        })
        .workers(2)
        .bind(addr)?;
        for bound in server.addrs() {
            println!("listening on http://{bound}{}", shared::WEBHOOK_PATH);
        }
        server.run().await
    })
}
