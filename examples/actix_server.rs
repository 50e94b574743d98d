//! The webhook receiver on actix-web: `POST /postal/webhook`, verified, dispatched to the
//! `#[on_event]` handlers in `shared/`.
//!
//! ```text
//! POSTAL_PUBLIC_KEY=@core/samples/keys/test_signing.pub.pem cargo run --example actix_server
//! ```
//!
//! Settings: `POSTAL_PUBLIC_KEY` (required), `POSTAL_HOOKS_ADDR`, `POSTAL_ALLOW_SHA1=1`.

mod shared;

use actix_web::{App, HttpServer};

fn main() -> std::io::Result<()> {
    let (addr, receiver) = shared::receiver_from_env();
    actix_web::rt::System::new().block_on(async move {
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
