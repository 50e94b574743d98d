//! The hand-written baseline shared by the benchmarks: what a team would write by hand to
//! read Postal's bodies with `serde_json`, one struct per shape, strings where we have enums.
#![allow(dead_code)] // each benchmark uses part of it

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde::Deserialize;

/// Polls a future that completes without waiting (synchronous handlers): no executor cost
/// in the measurement.
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

pub const MESSAGE_SENT: &[u8] = include_bytes!("../../samples/MessageSent.json");
pub const MESSAGE_BOUNCED: &[u8] = include_bytes!("../../samples/MessageBounced.json");

#[allow(dead_code)] // fields exist to be deserialized, as in a hand-written receiver
pub mod hand {
    use super::Deserialize;

    #[derive(Deserialize)]
    pub struct Envelope<P> {
        pub event: String,
        pub timestamp: f64,
        pub payload: P,
        pub uuid: String,
    }

    #[derive(Deserialize)]
    pub struct Message {
        pub id: u64,
        pub token: String,
        pub direction: String,
        pub message_id: Option<String>,
        pub to: Option<String>,
        pub from: Option<String>,
        pub subject: Option<String>,
        pub timestamp: f64,
        pub spam_status: String,
        pub tag: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Delivery {
        pub message: Message,
        pub status: String,
        pub details: Option<String>,
        pub output: String,
        pub sent_with_ssl: Option<bool>,
        pub timestamp: f64,
        pub time: Option<f64>,
    }

    #[derive(Deserialize)]
    pub struct Bounced {
        pub original_message: Message,
        pub bounce: Message,
    }
}
