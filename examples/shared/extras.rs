//! What every server example sets up beside the webhook: a log subscriber (`RUST_LOG`),
//! Prometheus text at `GET /metrics` (`POSTAL_HOOKS_METRICS=1`), and the inspector at
//! `/postal/inspector` (`POSTAL_HOOKS_INSPECTOR_TOKEN`), on the same listener.

use std::io::IsTerminal;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use postal_hooks::inspect::Inspector;
use tracing_subscriber::EnvFilter;

/// `1` serves the metrics at `GET /metrics`.
pub const METRICS_VAR: &str = "POSTAL_HOOKS_METRICS";
/// The inspector's token; set, the inspector is mounted at `/postal/inspector`.
pub const INSPECTOR_TOKEN_VAR: &str = "POSTAL_HOOKS_INSPECTOR_TOKEN";
/// What is logged when `RUST_LOG` is unset: every request's line, warnings and errors.
pub const DEFAULT_LOG_FILTER: &str = "info";
/// Where the metrics are served.
pub const METRICS_PATH: &str = "/metrics";

/// Logs to stdout, filtered by `RUST_LOG` (default [`DEFAULT_LOG_FILTER`]), in colour only
/// on a terminal.
pub fn init_logging() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

/// The Prometheus recorder, installed when `POSTAL_HOOKS_METRICS=1`.
pub fn metrics_from_env() -> Option<PrometheusHandle> {
    match std::env::var(METRICS_VAR).ok().as_deref().map(str::trim) {
        None | Some("" | "0") => None,
        Some("1") => {
            // Buckets make postal_hooks_handler_duration_seconds a Prometheus histogram
            // (the exporter renders a summary otherwise): 1 ms to 30 s.
            let buckets = [0.001, 0.005, 0.025, 0.1, 0.25, 1.0, 2.5, 5.0, 10.0, 30.0];
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(postal_hooks::observe::HANDLER_DURATION_SECONDS.to_owned()),
                    &buckets,
                )
                .unwrap_or_else(|error| super::exit(&error))
                .install_recorder()
                .unwrap_or_else(|error| super::exit(&error));
            // Histograms are drained on render; upkeep keeps them bounded between scrapes.
            let upkeep = handle.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    upkeep.run_upkeep();
                }
            });
            println!("metrics at GET {METRICS_PATH}");
            Some(handle)
        }
        Some(other) => super::exit(&format!("{METRICS_VAR} must be 1 or 0, not `{other}`")),
    }
}

/// The inspector, when `POSTAL_HOOKS_INSPECTOR_TOKEN` is set (at least 16 characters).
pub fn inspector_from_env() -> Option<Inspector> {
    let token = std::env::var(INSPECTOR_TOKEN_VAR).ok()?;
    let inspector = Inspector::builder(token)
        .build()
        .unwrap_or_else(|error| super::exit(&format!("{INSPECTOR_TOKEN_VAR}: {error}")));
    println!("inspector at {}", inspector.mount());
    Some(inspector)
}

/// The routes beside the webhook: metrics and inspector, as configured (maybe none).
pub fn router(metrics: Option<PrometheusHandle>, inspector: Option<&Inspector>) -> axum::Router {
    let mut router = axum::Router::new();
    if let Some(handle) = metrics {
        router = router.route(
            METRICS_PATH,
            axum::routing::get(move || {
                let text = handle.render();
                async move { ([("content-type", "text/plain; version=0.0.4")], text) }
            }),
        );
    }
    if let Some(inspector) = inspector {
        router = router.merge(inspector.router());
    }
    router
}

/// Serves `request` with the `extras` router (its 404 for anything it does not route).
pub async fn serve<B>(
    mut extras: axum::Router,
    request: hyper::Request<B>,
) -> Result<hyper::Response<axum::body::Body>, std::convert::Infallible>
where
    B: hyper::body::Body<Data = hyper::body::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    use tower_service::Service as _;
    extras.call(request.map(axum::body::Body::new)).await
}

/// Serves an actix request with the `extras` router: the request rebuilt as an `http` one
/// (actix-web has its own `http` types), the response copied back.
pub async fn serve_actix(
    extras: axum::Router,
    request: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
) -> actix_web::HttpResponse {
    let mut rebuilt = hyper::Request::builder()
        .method(request.method().as_str())
        .uri(request.uri().to_string());
    for (name, value) in request.headers() {
        rebuilt = rebuilt.header(name.as_str(), value.as_bytes());
    }
    let Ok(rebuilt) = rebuilt.body(axum::body::Body::from(body)) else {
        return actix_web::HttpResponse::BadRequest().body("malformed request\n");
    };
    let Ok(response) = serve(extras, rebuilt).await;
    let (parts, body) = response.into_parts();
    let body = match http_body_util::BodyExt::collect(body).await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return actix_web::HttpResponse::InternalServerError().body(error.to_string());
        }
    };
    let status = actix_web::http::StatusCode::from_u16(parts.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut copied = actix_web::HttpResponse::build(status);
    for (name, value) in &parts.headers {
        copied.append_header((name.as_str(), value.as_bytes()));
    }
    copied.body(body.to_vec())
}
