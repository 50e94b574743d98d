//! Reaching the Redis the tests use, and starting private Redis servers.
//!
//! `POSTAL_HOOKS_TEST_REDIS_URL` names the Redis (`.ci/run` starts one). Without it the
//! Redis tests are skipped with a message, unless `POSTAL_HOOKS_REQUIRE_REDIS=1` (set by
//! `.ci/run`), which makes a missing URL a failure. A URL that is set but unreachable is
//! always a failure.
#![allow(dead_code)]

use postal_hooks::dedupe::RedisStore;

pub const URL_VAR: &str = "POSTAL_HOOKS_TEST_REDIS_URL";

/// The test Redis URL, or `None` (skip) when not configured and not required.
pub fn url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("POSTAL_HOOKS_REQUIRE_REDIS").as_deref() == Ok("1") => {
            panic!(
                "{URL_VAR} is not set, and POSTAL_HOOKS_REQUIRE_REDIS=1 requires the Redis tests to run"
            )
        }
        _ => {
            eprintln!("skipped: set {URL_VAR}=redis://127.0.0.1:6379 to run the Redis tests");
            None
        }
    }
}

/// A store on the test Redis under a prefix of its own, checked with a PING.
pub async fn store(url: &str, test: &str) -> RedisStore {
    let prefix = super::dedupe_support::fresh(&format!("test:{test}:"));
    match RedisStore::connect(url).await {
        Ok(store) => store.with_prefix(prefix),
        Err(error) => panic!("{URL_VAR}={url} is set but unreachable: {error}"),
    }
}

/// [`store`] on the test Redis, shared as the store scenarios take it; `None` (skip) when
/// the Redis tests are not configured.
pub async fn shared_store(test: &str) -> Option<std::sync::Arc<RedisStore>> {
    let url = url()?;
    Some(std::sync::Arc::new(store(&url, test).await))
}

mod private;
#[allow(unused_imports)] // not every test crate starts a Redis of its own
pub use private::PrivateRedis;
