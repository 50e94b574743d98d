//! Why a body that fails verification may have been changed after Postal sent it.
//!
//! Postal writes compact JSON on one line with Ruby's escaping: `<`, `>` and `&` as
//! `\u003c`, `\u003e` and `\u0026`, every other character raw UTF-8, `/` unescaped, and no
//! space after `:` or `,` (`SPEC.md`, "Body"). A body that differs in any of these was
//! re-encoded by something between Postal and the verifier, and its signature cannot match.

const VERIFY_RAW: &str =
    "verify the raw request bytes as received, before any JSON parsing or re-encoding";

/// A hint naming the first sign of re-encoding in `body`, if it shows one.
pub(super) fn hint(body: &[u8]) -> Option<String> {
    if let Some(raw) = [b'&', b'<', b'>']
        .into_iter()
        .find(|byte| body.contains(byte))
    {
        let escape = match raw {
            b'&' => "\\u0026",
            b'<' => "\\u003c",
            _ => "\\u003e",
        };
        return Some(format!(
            "the body contains a raw `{}`, which Postal always sends as `{escape}`: it looks re-serialised; {VERIFY_RAW}",
            char::from(raw)
        ));
    }
    // Postal's JSON is compact and one line; a newline can only be an escaped `\n`.
    if body.contains(&b'\n') {
        return Some(format!(
            "the body contains a line break, which Postal's compact JSON never has: it looks reformatted; {VERIFY_RAW}"
        ));
    }
    if let Some(separator) = [&b"\": "[..], b"\", "]
        .into_iter()
        .find(|separator| unescaped(body, separator).is_some())
    {
        let shown = String::from_utf8_lossy(separator);
        return Some(format!(
            "the body has `{shown}` between its fields, where Postal's compact JSON has no space: it looks re-encoded (Python's `json.dumps` writes this by default); {VERIFY_RAW}"
        ));
    }
    if let Some(at) = non_ascii_escape(body) {
        return Some(format!(
            "the body escapes a non-ASCII character (`{at}`), which Postal sends as raw UTF-8: it looks re-encoded (Python's `json.dumps` with `ensure_ascii`); {VERIFY_RAW}"
        ));
    }
    if unescaped(body, b"\\/").is_some() {
        return Some(format!(
            "the body escapes `/` as `\\/`, which Postal never does: it looks re-encoded (PHP's `json_encode`); {VERIFY_RAW}"
        ));
    }
    None
}

/// Where `pattern` first occurs in `body` as JSON syntax, not after an escaping backslash.
fn unescaped(body: &[u8], pattern: &[u8]) -> Option<usize> {
    (0..body.len())
        .find(|&at| body.get(at..at + pattern.len()) == Some(pattern) && !escaped(body, at))
}

/// Whether the byte at `at` is preceded by an odd number of backslashes.
fn escaped(body: &[u8], at: usize) -> bool {
    let before = body.get(..at).unwrap_or_default();
    before
        .iter()
        .rev()
        .take_while(|&&byte| byte == b'\\')
        .count()
        % 2
        == 1
}

/// The first `\uXXXX` escape of a character above U+007F, as written.
fn non_ascii_escape(body: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(offset) = unescaped(body.get(from..)?, b"\\u") {
        let at = from + offset;
        let digits = body.get(at + 2..at + 6)?;
        let code = std::str::from_utf8(digits)
            .ok()
            .and_then(|digits| u32::from_str_radix(digits, 16).ok());
        if code.is_some_and(|code| code > 0x7f) {
            return Some(String::from_utf8_lossy(body.get(at..at + 6)?).into_owned());
        }
        from = at + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_kind_of_re_encoding_and_spares_postals_own_bytes() {
        let postal = br#"{"event":"MessageSent","payload":{"subject":"Re: a \"quoted\", b \u003cc\u003e \u2013 ok? no: raw \u00e9 is not Postal's","url":"https://x/y"},"uuid":"u"}"#;
        // Postal's own escapes of ASCII, quotes inside strings: only the `\u2013`-style
        // escape of non-ASCII is a sign (Postal sends `–` raw).
        assert!(hint(postal).unwrap().contains("`\\u2013`"));
        let cases: [(&[u8], &str); 6] = [
            (br#"{"a": "b"}"#, "`\": `"),
            (br#"{"a":"b", "c":"d"}"#, "`\", `"),
            (br#"{"a":"caf\u00e9"}"#, "`\\u00e9`"),
            (br#"{"url":"https:\/\/x"}"#, "`\\/`"),
            (b"{\"a\":\"<b>\"}", "raw `<`"),
            (b"{\n\"a\":1}", "line break"),
        ];
        for (body, says) in cases {
            let hint = hint(body).unwrap_or_default();
            assert!(
                hint.contains(says),
                "{}: {hint}",
                String::from_utf8_lossy(body)
            );
        }
        // Escaped look-alikes are not signs: `\\/` is a backslash then a slash, and `\": `
        // sits inside a string.
        for body in [&br#"{"a":"c:\\/d"}"#[..], br#"{"a":"say \": \" ok"}"#] {
            assert_eq!(hint(body), None, "{}", String::from_utf8_lossy(body));
        }
    }
}
