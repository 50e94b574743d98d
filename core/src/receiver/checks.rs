//! The checks made before the signature: method, size and content type.

use super::error::ReceiveError;
use crate::headers::Headers;

pub(super) fn check_method(method: &str) -> Result<(), ReceiveError> {
    if method.eq_ignore_ascii_case("POST") {
        Ok(())
    } else {
        Err(ReceiveError::MethodNotAllowed {
            method: method.to_owned(),
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
            content_type: value.map(|value| String::from_utf8_lossy(value).into_owned()),
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
