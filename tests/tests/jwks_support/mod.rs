//! A JWKS server on loopback, for the tests of keys fetched from Postal's JWKS URL (the
//! library's and the CLI's).
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A JWKS server on loopback, on a thread and runtime of its own (the startup fetch
/// blocks its caller), answering `GET /.well-known/jwks.json` with what it is told.
pub struct JwksServer {
    pub url: String,
    answer: Arc<Mutex<(u16, String)>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    pub fn start(document: &str) -> JwksServer {
        let answer = Arc::new(Mutex::new((200, document.to_owned())));
        let hits = Arc::new(AtomicUsize::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let (served, counted) = (answer.clone(), hits.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let app = axum::Router::new().route(
                    "/.well-known/jwks.json",
                    axum::routing::get(move || {
                        let (status, body) = served.lock().unwrap().clone();
                        counted.fetch_add(1, Ordering::SeqCst);
                        async move { (axum::http::StatusCode::from_u16(status).unwrap(), body) }
                    }),
                );
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        JwksServer { url, answer, hits }
    }

    pub fn serve(&self, status: u16, document: &str) {
        *self.answer.lock().unwrap() = (status, document.to_owned());
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
