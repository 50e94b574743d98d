//! [`Headers`]: read request headers from any framework, case-insensitively.

/// Request headers, looked up by name case-insensitively (Postal sends
/// `X-Postal-Signature-Kid`; HTTP/2 proxies lower-case every name).
///
/// Implemented for `http::HeaderMap` (axum, hyper, tower, reqwest…) and for slices and
/// vectors of `(name, value)` pairs, so any framework can hand its headers over.
///
/// ```
/// use postal_hooks::Headers;
///
/// let pairs = [("content-type", "application/json"), ("X-Postal-Signature-Kid", "78d6…")];
/// assert_eq!(pairs.header("x-postal-signature-kid"), Some(&b"78d6\xe2\x80\xa6"[..]));
/// assert_eq!(pairs.header("Content-Type"), Some(&b"application/json"[..]));
/// ```
pub trait Headers {
    /// The first value of the header `name` (any case), as bytes.
    fn header(&self, name: &str) -> Option<&[u8]>;

    /// The declared `Content-Length` in bytes, when there is a valid one: for checking a
    /// body's size before reading it.
    ///
    /// ```
    /// use postal_hooks::Headers;
    ///
    /// assert_eq!([("Content-Length", "2048")].content_length(), Some(2048));
    /// assert_eq!([("Content-Length", "lots")].content_length(), None);
    /// ```
    fn content_length(&self) -> Option<u64> {
        let value = self.header("content-length")?;
        std::str::from_utf8(value).ok()?.trim().parse().ok()
    }
}

impl Headers for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        // `HeaderMap` stores names lower-cased; `get` with a `&str` lower-cases nothing, so
        // look the name up in its canonical form.
        match http::HeaderName::from_bytes(name.as_bytes()) {
            Ok(name) => self.get(name).map(http::HeaderValue::as_bytes),
            Err(_) => None,
        }
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for [(N, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(candidate, _)| candidate.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_ref())
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>, const LEN: usize> Headers for [(N, V); LEN] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(N, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

impl<T: Headers + ?Sized> Headers for &T {
    fn header(&self, name: &str) -> Option<&[u8]> {
        (**self).header(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_map_lookup_ignores_case() {
        let mut map = http::HeaderMap::new();
        map.insert(
            "x-postal-signature-kid",
            http::HeaderValue::from_static("abc"),
        );
        assert_eq!(map.header("X-Postal-Signature-Kid"), Some(&b"abc"[..]));
        assert_eq!(map.header("X-POSTAL-SIGNATURE-KID"), Some(&b"abc"[..]));
        assert_eq!(map.header("not a header name"), None);
        let pairs = vec![(String::from("X-Postal-Signature-Kid"), b"abc".to_vec())];
        assert_eq!(pairs.header("x-postal-signature-kid"), Some(&b"abc"[..]));
    }
}
