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

/// Whether this run measures (`cargo bench`), rather than listing or smoke-testing.
pub fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|arg| arg == "--bench")
        && !args
            .iter()
            .any(|arg| arg == "--list" || arg == "--test" || arg == "--profile-time")
}

/// The ratio `ours / baseline`, measured paired: short batches of each alternate, and the
/// median of the per-pair ratios is reported with each side's median batch time.
///
/// Criterion measures one function for seconds, then the next; on a shared machine whose
/// speed drifts by tens of percent between those seconds, comparing the two estimates
/// mostly measures the drift. Alternating batches a few hundred microseconds long exposes
/// both sides to the same conditions, so their ratio is stable even when absolute times
/// are not.
pub fn paired_ratio(label: &str, batch: u32, mut ours: impl FnMut(), mut baseline: impl FnMut()) {
    const PAIRS: usize = 1001;
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_secs_f64() / f64::from(batch)
    };
    // Warm up both sides first.
    for _ in 0..50 {
        time(&mut ours);
        time(&mut baseline);
    }
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..PAIRS {
        let (x, y) = (time(&mut ours), time(&mut baseline));
        a.push(x);
        b.push(y);
        ratios.push(x / y);
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!(
        "{label}: paired ratio {:.3} (median of {PAIRS} alternating batches of {batch}; \
         medians {:.2} µs vs {:.2} µs)",
        median(&mut ratios),
        median(&mut a) * 1e6,
        median(&mut b) * 1e6,
    );
}
