//! Naming what is wrong with a body that did not parse: the field path, the line and
//! column, or that it is not JSON at all.
//!
//! The fast parse tracks no path. Only when it fails is the same input read once more under
//! `serde_path_to_error`, so a valid body pays nothing for the error's precision.

use serde::de::DeserializeSeed;
use serde_json::error::Category;

use super::error::{ParseError, ParseErrorKind};

impl ParseError {
    /// Builds the error for `input` after the fast parse failed with `error`.
    ///
    /// Parsing tracks no path on the hot path. On failure the same input is read once more
    /// with `seed` under a path tracker, to name the field where it failed.
    pub(super) fn locate<'de, S>(input: &'de [u8], seed: S, error: serde_json::Error) -> Self
    where
        S: DeserializeSeed<'de>,
    {
        Self::locate_or(input, seed, || Self::from_json(error, None))
    }

    /// Builds the error for `input` that is not UTF-8 (JSON is UTF-8, RFC 8259 §8.1).
    ///
    /// A bad byte inside a string is named by its field path; one elsewhere, such as in a
    /// field that would have been ignored, by its line and column.
    pub(super) fn not_utf8<'de, S>(input: &'de [u8], seed: S, error: std::str::Utf8Error) -> Self
    where
        S: DeserializeSeed<'de>,
    {
        Self::locate_or(input, seed, || {
            let offset = error.valid_up_to();
            let before = input.get(..offset).unwrap_or_default();
            let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
            let column = offset
                - before
                    .iter()
                    .rposition(|&byte| byte == b'\n')
                    .map_or(0, |newline| newline + 1)
                + 1;
            let byte = input.get(offset).copied().unwrap_or_default();
            Self {
                kind: ParseErrorKind::Syntax,
                path: None,
                message: format!("invalid UTF-8 (byte 0x{byte:02x})"),
                position: Some((line, column)),
            }
        })
    }

    /// Names what is wrong with `input`, reading it again under a path tracker; `otherwise`
    /// when that reading succeeds.
    fn locate_or<'de, S>(input: &'de [u8], seed: S, otherwise: impl FnOnce() -> Self) -> Self
    where
        S: DeserializeSeed<'de>,
    {
        if let Some(what) = not_json(input) {
            return Self {
                kind: ParseErrorKind::NotJson,
                path: None,
                message: format!("the body is not JSON: {what}"),
                position: None,
            };
        }
        let mut track = serde_path_to_error::Track::new();
        let mut deserializer = serde_json::Deserializer::from_slice(input);
        let tracked = seed
            .deserialize(serde_path_to_error::Deserializer::new(
                &mut deserializer,
                &mut track,
            ))
            .and_then(|_| deserializer.end());
        match tracked {
            Err(tracked_error) => Self::from_json(tracked_error, render_path(&track.path())),
            Ok(()) => otherwise(),
        }
    }

    fn from_json(error: serde_json::Error, path: Option<String>) -> Self {
        let kind = match error.classify() {
            Category::Eof => ParseErrorKind::Truncated,
            Category::Syntax | Category::Io => ParseErrorKind::Syntax,
            Category::Data => ParseErrorKind::Data,
        };
        let position = (error.line() > 0).then(|| (error.line(), error.column()));
        let mut message = error.to_string();
        if let Some((line, column)) = position {
            let suffix = format!(" at line {line} column {column}");
            if message.ends_with(&suffix) {
                message.truncate(message.len() - suffix.len());
            }
        }
        Self {
            kind,
            path,
            message,
            position,
        }
    }
}

/// `payload.message.id`, `keys[0]`; `None` for the top level.
fn render_path(path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;

    let mut rendered = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => rendered.push_str(&format!("[{index}]")),
            Segment::Map { key } => push_dotted(&mut rendered, key),
            Segment::Enum { variant } => push_dotted(&mut rendered, variant),
            // A key that could not be read (the error is in the key itself): say nothing.
            Segment::Unknown => {}
        }
    }
    (!rendered.is_empty()).then_some(rendered)
}

fn push_dotted(rendered: &mut String, name: &str) {
    if !rendered.is_empty() {
        rendered.push('.');
    }
    rendered.push_str(name);
}

/// Describes `input` if it cannot be JSON at all, judging by how it starts.
fn not_json(input: &[u8]) -> Option<String> {
    let start = input.iter().position(|byte| !byte.is_ascii_whitespace());
    let Some(rest) = start.and_then(|start| input.get(start..)) else {
        return Some("it is empty".into());
    };
    let first = *rest.first()?;
    let literal_prefix = |literal: &[u8]| {
        let len = rest.len().min(literal.len());
        rest.get(..len) == literal.get(..len)
    };
    match first {
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' => None,
        b't' if literal_prefix(b"true") => None,
        b'f' if literal_prefix(b"false") => None,
        b'n' if literal_prefix(b"null") => None,
        b'<' => Some("it looks like HTML or XML (it starts with `<`)".into()),
        _ if looks_like_form(rest) => {
            Some("it looks like form data (`key=value&…`), not a JSON object".into())
        }
        byte if byte.is_ascii_graphic() => Some(format!(
            "it starts with `{}`, which cannot begin a JSON value",
            char::from(byte)
        )),
        byte => Some(format!(
            "it starts with byte 0x{byte:02x}, which cannot begin a JSON value"
        )),
    }
}

/// `name=value` before any whitespace or brace: an `application/x-www-form-urlencoded` body.
fn looks_like_form(input: &[u8]) -> bool {
    let key_len = input
        .iter()
        .take_while(|byte| byte.is_ascii_alphanumeric() || b"_-.%[]".contains(byte))
        .count();
    key_len > 0 && input.get(key_len) == Some(&b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_what_is_not_json() {
        assert!(not_json(b"").is_some());
        assert!(not_json(b" \r\n\t").is_some());
        assert!(not_json(b"<!DOCTYPE html>").unwrap().contains("HTML"));
        assert!(not_json(b"event=MessageSent&x=1").unwrap().contains("form"));
        assert!(not_json(b"nonsense").is_some());
        assert!(not_json(b"\xff\xfe").unwrap().contains("0xff"));
        for json in [
            &b"{}"[..],
            b" [1]",
            b"nul",
            b"null",
            b"true",
            b"-1",
            b"\"s\"",
        ] {
            assert_eq!(not_json(json), None, "{:?}", String::from_utf8_lossy(json));
        }
    }
}
