//! Who may see the inspector: `Authorization: Bearer <token>`, or HTTP Basic with the token
//! as the password (RFC 7617, so a browser asks for it), compared in constant time. Actions
//! also need the page's CSRF token and a same-origin request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use subtle::ConstantTimeEq;

use super::Shared;

/// The realm the browser shows when it asks for the token.
const CHALLENGE: &str = r#"Basic realm="postal-hooks inspector", charset="UTF-8""#;

/// Proof that the request carried the token.
pub(super) struct Authorized;

impl FromRequestParts<std::sync::Arc<Shared>> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &std::sync::Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        if presented(&parts.headers).is_some_and(|token| equal(&token, &shared.token)) {
            Ok(Authorized)
        } else {
            Err(unauthorized())
        }
    }
}

/// 401 with the Basic challenge, so a browser asks for the token.
pub(super) fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, CHALLENGE), (header::CACHE_CONTROL, "no-store")],
        "the postal-hooks inspector needs its token: Authorization: Bearer <token>, or Basic with the token as password\n",
    )
        .into_response()
}

/// The token the request presents: a Bearer token, or a Basic password (any user name).
fn presented(headers: &HeaderMap) -> Option<Vec<u8>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.as_bytes().to_vec());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()?;
        let colon = decoded.iter().position(|&byte| byte == b':')?;
        return decoded.get(colon + 1..).map(<[u8]>::to_vec);
    }
    None
}

/// Constant-time equality (the length is not secret).
pub(super) fn equal(presented: &[u8], expected: &str) -> bool {
    presented.ct_eq(expected.as_bytes()).into()
}

/// An action (POST) must come from the inspector's own pages: the form's CSRF token, and,
/// when the browser says where the request comes from, the same origin.
pub(super) fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
                return false;
            };
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority == host)
        }
        (Some(_), None) => false,
        (None, _) => true,
    }
}
