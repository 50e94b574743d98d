//! Calling an inspector's router in process, as a browser or an API client would.
#![allow(dead_code)]

use axum::body::Body;
use http::{HeaderMap, Request};
use http_body_util::BodyExt;
use tower_service::Service;

/// A token long enough for the inspector.
pub const TOKEN: &str = "test-inspector-token-0123456789";

/// `Authorization: Bearer <TOKEN>`.
pub fn bearer() -> (&'static str, String) {
    ("authorization", format!("Bearer {TOKEN}"))
}

/// One request to `router`: status, headers and body text.
pub async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, HeaderMap, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request.body(Body::from(body.to_owned())).unwrap();
    let response = router.clone().call(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// `GET <uri>` with the token.
pub async fn get(router: &axum::Router, uri: &str) -> (u16, String) {
    let (status, _, body) = call(router, "GET", uri, &[bearer()], "").await;
    (status, body)
}

/// The JSON API's deliveries.
pub async fn api(router: &axum::Router, query: &str) -> Vec<serde_json::Value> {
    let (status, body) = get(router, &format!("/postal/inspector/api/deliveries{query}")).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The CSRF token in a detail page's action forms.
pub fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("an action form") + 19;
    page[start..].split('"').next().unwrap().to_owned()
}

/// POSTs action `action` on delivery `id` as the page's own form would.
pub async fn act(router: &axum::Router, id: &str, action: &str) -> u16 {
    let (status, page) = get(router, &format!("/postal/inspector/deliveries/{id}")).await;
    assert_eq!(status, 200, "{page}");
    let csrf = csrf_of(&page);
    let (status, _, body) = call(
        router,
        "POST",
        &format!("/postal/inspector/deliveries/{id}/{action}"),
        &[
            bearer(),
            ("content-type", "application/x-www-form-urlencoded".into()),
            ("host", "127.0.0.1:3000".into()),
            ("origin", "http://127.0.0.1:3000".into()),
            ("sec-fetch-site", "same-origin".into()),
        ],
        &format!("csrf={csrf}"),
    )
    .await;
    assert!(status == 303 || status >= 400, "{status}: {body}");
    status
}
