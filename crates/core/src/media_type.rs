//! Media types ("text/plain; charset=utf-8") as clients announce them for
//! uploads. They are stored and later sent back in listings and in
//! Content-Type headers, so they are checked first: a value holding CR/LF
//! would inject header lines, and one of megabytes would bloat every listing.
//!
//! The syntax is RFC 9110 section 8.3.1 with the type and subtype names of
//! RFC 6838 section 4.2, in ASCII only (quoted strings may not use the
//! obsolete non-ASCII text).

use crate::path::quote;
use crate::{Error, Result};

/// Longest media type, parameters included, in bytes.
pub const MAX_MEDIA_TYPE_BYTES: usize = 255;
/// Longest type or subtype name, in bytes (RFC 6838 section 4.2).
pub const MAX_MEDIA_NAME_BYTES: usize = 127;

/// Checks a media type given by a client and returns it with the type and
/// subtype lowercased (they are case-insensitive) and the parameters as given.
pub fn validate_media_type(value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(Error::invalid_argument("media type is empty"));
    }
    // First, so that nothing below walks a huge value.
    if value.len() > MAX_MEDIA_TYPE_BYTES {
        return Err(invalid(value, format!("is {} bytes long, more than {MAX_MEDIA_TYPE_BYTES}", value.len())));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(invalid(value, format!("contains U+{:04X}, a control character", u32::from(c))));
    }
    if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
        return Err(invalid(value, format!("contains U+{:04X}; media types are ASCII", u32::from(c))));
    }
    if value.starts_with(' ') || value.ends_with(' ') {
        return Err(invalid(value, "starts or ends with a space"));
    }
    // Neither name may hold ';', so the first one ends them. Spaces may stand
    // before it (RFC 9110: OWS ";" OWS parameter).
    let essence_end = value.find(';').unwrap_or(value.len());
    let essence = value[..essence_end].trim_end_matches(' ');
    let parameters = &value[essence.len()..];
    let Some((type_name, subtype)) = essence.split_once('/') else {
        return Err(invalid(value, "has no subtype (it must be type/subtype)"));
    };
    check_name(value, "type", type_name)?;
    check_name(value, "subtype", subtype)?;
    check_parameters(value, parameters)?;
    Ok(format!("{}/{}{parameters}", type_name.to_ascii_lowercase(), subtype.to_ascii_lowercase()))
}

fn invalid(value: &str, problem: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!("media type {} {problem}", quote(value)))
}

/// A type or subtype: an RFC 6838 restricted-name.
fn check_name(value: &str, what: &str, name: &str) -> Result<()> {
    let Some(first) = name.chars().next() else {
        return Err(invalid(value, format!("has an empty {what}")));
    };
    if name.len() > MAX_MEDIA_NAME_BYTES {
        return Err(invalid(value, format!("has a {what} of {} bytes, more than {MAX_MEDIA_NAME_BYTES}", name.len())));
    }
    if !first.is_ascii_alphanumeric() {
        return Err(invalid(value, format!("has a {what} that does not start with a letter or digit")));
    }
    if let Some(c) = name.chars().find(|&c| !is_restricted_name_char(c)) {
        return Err(invalid(value, format!("has U+{:04X} {c:?} in its {what}", u32::from(c))));
    }
    Ok(())
}

/// `restricted-name-chars` of RFC 6838 section 4.2.
fn is_restricted_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '!' | '#' | '$' | '&' | '-' | '^' | '_' | '.' | '+')
}

/// `tchar` of RFC 9110 section 5.6.2: what a token is made of.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '+' | '-' | '.' | '^' | '_' | '`' | '|' | '~')
}

/// `*( OWS ";" OWS [ parameter ] )`: empty parameters are tolerated, as
/// RFC 9110 allows.
fn check_parameters(value: &str, parameters: &str) -> Result<()> {
    let mut rest = parameters;
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return Ok(());
        }
        let Some(after) = rest.strip_prefix(';') else {
            return Err(invalid(value, format!("has {} where ';' or the end was expected", quote(rest))));
        };
        rest = after.trim_start_matches(' ');
        if rest.is_empty() || rest.starts_with(';') {
            continue;
        }
        rest = parameter(value, rest)?;
    }
}

/// Reads `name=token` or `name="quoted string"` at the start of `rest` and
/// returns what follows.
fn parameter<'a>(value: &str, rest: &'a str) -> Result<&'a str> {
    let name_end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
    let (name, rest) = rest.split_at(name_end);
    if name.is_empty() {
        return Err(invalid(value, format!("has a parameter without a name at {}", quote(rest))));
    }
    let Some(rest) = rest.strip_prefix('=') else {
        return Err(invalid(value, format!("has a parameter {name:?} without '=value'")));
    };
    if let Some(quoted) = rest.strip_prefix('"') {
        return after_quoted_string(value, name, quoted);
    }
    let value_end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
    if value_end == 0 {
        return Err(invalid(value, format!("has a parameter {name:?} without a value")));
    }
    Ok(&rest[value_end..])
}

/// Skips the body of a quoted string (after its opening quote) and returns
/// what follows its closing quote. Control and non-ASCII characters were
/// refused before, so every other character may stand in it.
fn after_quoted_string<'a>(value: &str, name: &str, quoted: &'a str) -> Result<&'a str> {
    let mut chars = quoted.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok(&quoted[index + 1..]),
            // A quoted-pair: the next character stands for itself.
            '\\' if chars.next().is_none() => break,
            _ => {}
        }
    }
    Err(invalid(value, format!("has a parameter {name:?} whose quoted value is not closed")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn accepts_common_types_unchanged() {
        for value in [
            "text/plain",
            "text/plain; charset=utf-8",
            "text/plain;charset=utf-8;format=flowed",
            "text/plain ; charset=utf-8",
            "text/plain;",
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/x-www-form-urlencoded",
            "image/svg+xml",
            "audio/x-m4a",
            "video/mp4; codecs=\"avc1.42E01E, mp4a.40.2\"",
            "multipart/form-data; boundary=\"a b;c=d\"",
            "text/plain; title=\"say \\\"hi\\\"\"",
            "application/x-foo; a=!#$%&'*+-.^_`|~",
        ] {
            assert_eq!(validate_media_type(value).as_deref(), Ok(value), "{value:?}");
        }
    }

    #[test]
    fn lowercases_type_and_subtype_only() {
        assert_eq!(validate_media_type("Text/HTML").unwrap(), "text/html");
        assert_eq!(validate_media_type("TEXT/PLAIN; Charset=UTF-8").unwrap(), "text/plain; Charset=UTF-8");
        assert_eq!(
            validate_media_type("Application/VND.Foo+JSON;V=\"A\"").unwrap(),
            "application/vnd.foo+json;V=\"A\""
        );
    }

    #[test]
    fn accepts_the_length_limits() {
        let name = "a".repeat(MAX_MEDIA_NAME_BYTES);
        assert!(validate_media_type(&format!("{name}/{name}")).is_ok());
        let long = format!("text/plain; x={}", "y".repeat(MAX_MEDIA_TYPE_BYTES - "text/plain; x=".len()));
        assert_eq!(long.len(), MAX_MEDIA_TYPE_BYTES);
        assert!(validate_media_type(&long).is_ok());
    }

    /// The message of the error refusing `value`, which must be refused.
    fn refusal(value: &str) -> String {
        let err = validate_media_type(value).expect_err(value);
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{value:?}");
        assert!(err.message.len() < 300, "messages stay short: {}", err.message);
        err.message
    }

    #[test]
    fn refuses_bad_values_with_a_reason() {
        let name = "a".repeat(MAX_MEDIA_NAME_BYTES + 1);
        let long_type = format!("{name}/plain");
        let long_subtype = format!("text/{name}");
        for (value, reason) in [
            ("", "empty"),
            ("text/plain\r\nSet-Cookie: x=1", "U+000D"),
            ("text/plain\n", "U+000A"),
            ("text/plain\0", "U+0000"),
            ("text/plain; a=\"x\ty\"", "U+0009"),
            ("text/plain\u{7F}", "U+007F"),
            ("text/pläin", "U+00E4"),
            ("text/plain; charset=\"ütf\"", "U+00FC"),
            ("text", "no subtype"),
            ("text/", "empty subtype"),
            ("/plain", "empty type"),
            ("te xt/plain", "U+0020"),
            ("text /plain", "U+0020"),
            ("text/pl ain", "U+0020"),
            ("text/plain charset=utf-8", "U+0020"),
            (" text/plain", "space"),
            ("text/plain ", "space"),
            ("text/plain/x", "U+002F"),
            ("text/plain,text/html", "U+002C"),
            ("-text/plain", "does not start with a letter or digit"),
            ("text/.plain", "does not start with a letter or digit"),
            ("text(x)/plain", "U+0028"),
            (&long_type, "type of 128 bytes"),
            (&long_subtype, "subtype of 128 bytes"),
            ("text/plain; charset", "without '=value'"),
            ("text/plain; charset =utf-8", "without '=value'"),
            ("text/plain; =utf-8", "without a name"),
            ("text/plain; charset=", "without a value"),
            ("text/plain; charset= utf-8", "without a value"),
            ("text/plain; charset=utf 8", "where ';' or the end was expected"),
            ("text/plain; charset=\"utf-8", "not closed"),
            ("text/plain; charset=\"utf-8\\\"", "not closed"),
            ("text/plain; charset=\"utf-8\\", "not closed"),
            ("text/plain; a=b@c", "where ';' or the end was expected"),
        ] {
            let message = refusal(value);
            assert!(message.contains(reason), "{value:?}: {message}");
        }
    }

    #[test]
    fn refuses_huge_values() {
        let huge = format!("text/plain; x={}", "y".repeat(1 << 20));
        let message = refusal(&huge);
        assert!(message.contains("more than 255"), "{message}");
        let just_over = format!("text/plain; x={}", "y".repeat(MAX_MEDIA_TYPE_BYTES + 1 - "text/plain; x=".len()));
        assert!(refusal(&just_over).contains("256 bytes"));
    }

    #[test]
    fn messages_quote_the_value_escaped() {
        let message = refusal("text/plain\r\nSet-Cookie: x=1");
        assert!(message.contains("\"text/plain\\r\\nSet-Cookie: x=1\""), "{message}");
        assert!(!message.contains('\r') && !message.contains('\n'), "{message}");
    }
}
