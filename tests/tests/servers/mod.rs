//! One server starter per adapter, on a free loopback port, shared by the adapter suites.
#![allow(dead_code)] // each suite starts the servers it needs

use std::net::SocketAddr;

use postal_hooks::Receiver;

/// `receiver` on axum at `/postal/webhook`, on a free loopback port.
pub async fn serve_axum(receiver: Receiver) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = postal_hooks::axum::router("/postal/webhook", receiver);
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// `receiver` as a tower `Service` on hyper (any path), on a free loopback port.
pub async fn serve_tower(receiver: Receiver) -> SocketAddr {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;

    let service = postal_hooks::tower::WebhookService::new(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    addr
}

/// `receiver` on actix-web at `/postal/webhook`: its own single-threaded system on a
/// thread of its own, on a free loopback port.
pub fn serve_actix(receiver: Receiver) -> SocketAddr {
    let (addr_sender, addr_receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new().service(postal_hooks::actix::resource(
                    "/postal/webhook",
                    receiver.clone(),
                ))
            })
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap();
            addr_sender.send(server.addrs()[0]).unwrap();
            server.run().await
        })
    });
    addr_receiver.recv().unwrap()
}
