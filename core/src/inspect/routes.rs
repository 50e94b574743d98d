//! The inspector's routes, under its mount path: the list, one delivery, the JSON API and
//! the actions. Every route needs the token ([`Authorized`]); actions are `POST` with the
//! page's CSRF token, from the same origin.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::Shared;
use super::auth::{Authorized, equal, same_origin};
use super::filter::Filter;
use super::html;
use super::record::{DeliveryRecord, DeliveryState};
use crate::shared_error::SharedError;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    let mount = shared.mount.clone();
    Router::new()
        .route(&mount, get(list))
        .route(&format!("{mount}/"), get(list))
        .route(&format!("{mount}/api/deliveries"), get(api))
        .route(&format!("{mount}/deliveries/{{id}}"), get(detail))
        .route(&format!("{mount}/deliveries/{{id}}/retry"), post(retry))
        .route(&format!("{mount}/deliveries/{{id}}/discard"), post(discard))
        .with_state(shared)
}

/// The headers of every page: HTML, never cached, never framed, no script, no referrer to other sites.
fn html_page(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            // Same-origin: a form POST then carries `Origin` (`no-referrer` would make it `null`).
            (header::REFERRER_POLICY, "same-origin"),
        ],
        body,
    )
        .into_response()
}

/// A plain-text error page (it may quote the URL's id: never sniffed as HTML).
fn failure(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        format!("{message}\n"),
    )
        .into_response()
}

async fn list(
    _: Authorized,
    State(shared): State<Arc<Shared>>,
    Query(filter): Query<Filter>,
) -> Response {
    let filter = filter.normalised();
    let records = match shared.records().await {
        Ok(records) => records,
        Err(error) => return failure(StatusCode::SERVICE_UNAVAILABLE, error),
    };
    let shown: Vec<&DeliveryRecord> = records
        .iter()
        .filter(|record| filter.matches(record))
        .take(filter.limit())
        .collect();
    let chart = super::chart::svg(records.iter(), SystemTime::now());
    html_page(html::list(&shared, &records, &shown, &filter, &chart))
}

async fn api(
    _: Authorized,
    State(shared): State<Arc<Shared>>,
    Query(filter): Query<Filter>,
) -> Response {
    let filter = filter.normalised();
    let records = match shared.records().await {
        Ok(records) => records,
        Err(error) => return failure(StatusCode::SERVICE_UNAVAILABLE, error),
    };
    let shown: Vec<DeliveryRecord> = records
        .into_iter()
        .filter(|record| filter.matches(record))
        .take(filter.limit())
        .collect();
    match shared.with_bodies(shown).await {
        Ok(shown) => {
            let json: Vec<serde_json::Value> =
                shown.iter().map(|record| shared.json(record)).collect();
            ([(header::CACHE_CONTROL, "no-store")], Json(json)).into_response()
        }
        Err(error) => failure(StatusCode::SERVICE_UNAVAILABLE, error),
    }
}

async fn detail(
    _: Authorized,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    match shared.find(&id).await {
        Ok(Some(record)) => {
            let mut actions = Vec::new();
            if html::retryable(record.state) && shared.can_retry(&record) {
                actions.push(("retry", "Retry"));
            }
            if record.state == DeliveryState::DeadLettered {
                actions.push(("discard", "Discard"));
            }
            html_page(html::detail(&shared, &record, &actions))
        }
        Ok(None) => failure(
            StatusCode::NOT_FOUND,
            format_args!("no delivery {id} is kept"),
        ),
        Err(error) => failure(StatusCode::SERVICE_UNAVAILABLE, error),
    }
}

/// The form every action posts.
#[derive(Deserialize)]
struct Action {
    csrf: String,
}

/// The action's checks beyond the token: same origin, and the page's CSRF token.
fn allowed(shared: &Shared, headers: &HeaderMap, action: &Action) -> bool {
    same_origin(headers) && equal(action.csrf.as_bytes(), &shared.csrf)
}

/// 403 for an action that fails the CSRF checks.
fn forbidden() -> Response {
    failure(
        StatusCode::FORBIDDEN,
        "refused: actions must come from the inspector's own page (CSRF check)",
    )
}

async fn retry(
    _: Authorized,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(action): Form<Action>,
) -> Response {
    if !allowed(&shared, &headers, &action) {
        return forbidden();
    }
    answer(
        shared.retry(&id).await,
        &format!("{}/deliveries/{id}", shared.mount),
        format_args!("delivery {id} cannot be retried (not failed, or no longer kept)"),
    )
}

async fn discard(
    _: Authorized,
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(action): Form<Action>,
) -> Response {
    if !allowed(&shared, &headers, &action) {
        return forbidden();
    }
    answer(
        shared.discard(&id).await,
        &shared.mount,
        format_args!("delivery {id} is not a dead letter"),
    )
}

/// An action's answer: a redirect to `then` when it was done, 409 with `conflict` when
/// the delivery was not in a state for it, 503 when the store failed.
fn answer(done: Result<bool, SharedError>, then: &str, conflict: std::fmt::Arguments) -> Response {
    match done {
        Ok(true) => Redirect::to(then).into_response(),
        Ok(false) => failure(StatusCode::CONFLICT, conflict),
        Err(error) => failure(StatusCode::SERVICE_UNAVAILABLE, error),
    }
}
