//! The checks made before the signature: method, size and content type. What they quote
//! back comes from an unauthenticated client, so it is cut short and escaped.

use super::error::ReceiveError;
use crate::headers::Headers;
use crate::shared_error::excerpt;

pub(super) fn check_method(method: &str) -> Result<(), ReceiveError> {
    if method.eq_ignore_ascii_case("POST") {
        Ok(())
    } else {
        Err(ReceiveError::MethodNotAllowed {
            method: excerpt(method),
        })
    }
}

/// `application/json`, any case, parameters allowed (`; charset=utf-8`).
pub(super) fn check_content_type(headers: &impl Headers) -> Result<(), ReceiveError> {
    let value = headers.header("content-type");
    let essence = value
        .and_then(|value| value.split(|&byte| byte == b';').next())
        .map(|essence| essence.trim_ascii());
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case(b"application/json") => Ok(()),
        _ => Err(ReceiveError::UnsupportedMediaType {
            content_type: value.map(|value| excerpt(&String::from_utf8_lossy(value))),
        }),
    }
}

/// A body, or a declared `Content-Length`, over `limit` bytes.
pub(super) fn check_length(limit: usize, length: Option<u64>) -> Result<(), ReceiveError> {
    match length {
        Some(length) if length > limit as u64 => Err(ReceiveError::PayloadTooLarge {
            limit,
            length: Some(length),
        }),
        _ => Ok(()),
    }
}
