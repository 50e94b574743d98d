//! [`ParseError`]: what was wrong with a body, and where.

use std::fmt;

use serde::de::DeserializeSeed;
use serde_json::error::Category;

/// Why a body or payload could not be parsed.
///
/// Says what failed and where: the JSON path of a bad field, the line and column of broken
/// JSON, or that the body is not JSON at all.
///
/// ```
/// use postal_hooks::{Envelope, ParseErrorKind};
///
/// let err = Envelope::parse(br#"{"event":"MessageSent","timestamp":1.0,"payload":{}}"#).unwrap_err();
/// assert_eq!(err.kind(), ParseErrorKind::Data);
/// assert_eq!(err.to_string(), "payload: missing field `message` at line 1 column 51");
///
/// let err = Envelope::parse(b"<html>502 Bad Gateway</html>").unwrap_err();
/// assert_eq!(err.kind(), ParseErrorKind::NotJson);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    path: Option<String>,
    message: String,
    position: Option<(usize, usize)>,
}

/// The broad class of a [`ParseError`].
///
/// ```
/// use postal_hooks::{Envelope, ParseErrorKind};
///
/// fn kind(body: &[u8]) -> ParseErrorKind {
///     Envelope::parse(body).unwrap_err().kind()
/// }
/// assert_eq!(kind(b"<html>502 Bad Gateway</html>"), ParseErrorKind::NotJson);
/// assert_eq!(kind(br#"{"event":"MessageSent",}"#), ParseErrorKind::Syntax);
/// assert_eq!(kind(br#"{"event":"MessageSe"#), ParseErrorKind::Truncated); // cut off
/// assert_eq!(kind(br#"{"event":"MessageSent"}"#), ParseErrorKind::Data); // fields missing
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not JSON at all: an empty body, an HTML error page, form data, binary.
    NotJson,
    /// Malformed JSON: a stray or missing character, such as a trailing comma.
    Syntax,
    /// The JSON ends before it is complete (a cut-off body).
    Truncated,
    /// Well-formed JSON that does not match Postal's format: a missing field, a value of the
    /// wrong type, or a body that is not an object.
    Data,
}

impl ParseError {
    /// The class of error.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The JSON path of the offending value (`payload.message.id`), or `None` at the top.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// What was wrong, without the location (`invalid type: string "x", expected u64`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line of the error, when it is located in the input.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|(line, _)| line)
    }

    /// The 1-based column of the error, when it is located in the input.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|(_, column)| column)
    }

    /// Builds the error for `input` after the fast parse failed with `error`.
    ///
    /// Parsing tracks no path on the hot path. On failure the same input is read once more
    /// with `seed` under a path tracker, to name the field where it failed.
    pub(crate) fn locate<'de, S>(input: &'de [u8], seed: S, error: serde_json::Error) -> Self
    where
        S: DeserializeSeed<'de>,
    {
        Self::locate_or(input, seed, || Self::from_json(error, None))
    }

    /// Builds the error for `input` that is not UTF-8 (JSON is UTF-8, RFC 8259 §8.1).
    ///
    /// A bad byte inside a string is named by its field path; one elsewhere, such as in a
    /// field that would have been ignored, by its line and column.
    pub(crate) fn not_utf8<'de, S>(input: &'de [u8], seed: S, error: std::str::Utf8Error) -> Self
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

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some((line, column)) = self.position {
            write!(f, " at line {line} column {column}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

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
