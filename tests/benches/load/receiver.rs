//! The servers the harness measures: the hand-written reference, the product with each
//! store, and a baseline build of the product.

use std::path::Path;

use super::Settings;
use super::processes::{Redis, Server};

/// A server the harness measures, one row per mode and round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    HandWritten,
    InMemory,
    /// The same without INFO-level tracing (issue 13's line per request and the request,
    /// dispatch and handler spans): what they cost.
    InMemoryQuiet,
    Redis,
    BaselineInMemory,
    BaselineRedis,
}

impl Receiver {
    /// Its row's name.
    pub fn name(self) -> &'static str {
        match self {
            Receiver::HandWritten => "hand-written",
            Receiver::InMemory => "product, in-memory",
            Receiver::InMemoryQuiet => "product, in-memory, RUST_LOG=warn",
            Receiver::Redis => "product, Redis",
            Receiver::BaselineInMemory => "baseline, in-memory",
            Receiver::BaselineRedis => "baseline, Redis",
        }
    }

    /// Starts it; with the Redis it uses, if any.
    pub fn start<'a>(
        self,
        product: &Path,
        settings: &Settings,
        redis: Option<&'a Redis>,
    ) -> (Server, Option<&'a Redis>) {
        let baseline = || {
            settings
                .baseline
                .as_deref()
                .expect("baseline rows only with LOAD_BASELINE")
        };
        let url = || redis.map(|redis| redis.url.as_str());
        match self {
            Receiver::HandWritten => (Server::reference(), None),
            Receiver::InMemory => (Server::product(product, None), None),
            Receiver::InMemoryQuiet => (
                Server::product_with(product, &[("RUST_LOG", "warn".to_owned())]),
                None,
            ),
            Receiver::Redis => (Server::product(product, url()), redis),
            Receiver::BaselineInMemory => (Server::product(baseline(), None), None),
            Receiver::BaselineRedis => (Server::product(baseline(), url()), redis),
        }
    }
}
