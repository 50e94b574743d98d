//! Reading a PEM block (RFC 7468) the way OpenSSL does, and saying what to change when a
//! key was mangled on its way into a setting.
//!
//! `pem-rfc7468` reads the strict form: 64-column lines. RFC 7468 §2 lets parsers accept
//! other widths, and OpenSSL does, so keys re-wrapped at 76 columns (Python's
//! `base64.encodebytes`, PHP's `chunk_split`, .NET) are common. Those are read here too: the
//! lines between the `BEGIN` and `END` markers, whitespace removed, decoded as standard
//! base64 by the `base64` crate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::key_error::PemError;

/// The label and DER bytes of the one PEM block in `text`.
pub(crate) fn decode(text: &str) -> Result<(String, Vec<u8>), PemError> {
    let text = text.trim();
    if !text.contains('\n') && text.contains("\\n") {
        return Err(PemError::EscapedNewlines);
    }
    if !text.contains('\n') && text.contains("----- ") {
        return Err(PemError::LineBreaksBecameSpaces);
    }
    match pem_rfc7468::decode_vec(text.as_bytes()) {
        Ok((label, der)) => Ok((label.to_owned(), der)),
        Err(strict) => any_width(text).ok_or(PemError::Decode(strict)),
    }
}

/// The block with lines of any width, as OpenSSL reads it; `None` when it is not one.
fn any_width(text: &str) -> Option<(String, Vec<u8>)> {
    // Lines before the `BEGIN` marker are explanatory text, skipped as OpenSSL skips them.
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with("-----BEGIN "));
    let label = lines
        .next()?
        .strip_prefix("-----BEGIN ")?
        .strip_suffix("-----")?;
    let end = format!("-----END {label}-----");
    let mut base64 = String::new();
    for line in lines.by_ref() {
        if line == end {
            let der = STANDARD.decode(base64).ok()?;
            return Some((label.to_owned(), der));
        }
        base64.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../../samples/keys/test_signing.pub.pem");

    fn rewrapped(width: usize, newline: &str) -> String {
        let body: String = PEM
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(width)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----{newline}{}{newline}-----END PUBLIC KEY-----{newline}",
            lines.join(newline)
        )
    }

    #[test]
    fn reads_any_line_width_and_line_ending_openssl_reads() {
        let (label, der) = decode(PEM).unwrap();
        for (width, newline) in [
            (76, "\n"),
            (76, "\r\n"),
            (40, "\n"),
            (1000, "\n"),
            (64, "\r\n"),
        ] {
            let pem = rewrapped(width, newline);
            assert_eq!(
                decode(&pem),
                Ok((label.clone(), der.clone())),
                "{width} {newline:?}"
            );
        }
    }

    #[test]
    fn reads_past_text_before_the_block_as_openssl_does() {
        let (label, der) = decode(PEM).unwrap();
        let noted = format!(
            "Postal's signing key, from the DNS record:\n{}",
            rewrapped(76, "\n")
        );
        assert_eq!(decode(&noted), Ok((label, der)));
    }

    #[test]
    fn says_what_to_change_for_mangled_line_breaks() {
        let one_line = PEM.trim().replace('\n', " ");
        assert_eq!(decode(&one_line), Err(PemError::LineBreaksBecameSpaces));
        let escaped = PEM.trim().replace('\n', "\\n");
        assert_eq!(decode(&escaped), Err(PemError::EscapedNewlines));
        // Not base64 at all: the strict reader's error is kept.
        let garbage = "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----";
        assert!(matches!(decode(garbage), Err(PemError::Decode(_))));
    }
}
