//! The plain values requests carry, checked once for every service that
//! takes them: usernames, passwords, SHA-256 digests and list page tokens.
//! Ids, paths, upload tokens, tickets and media types have modules of their own.

use crate::error::{Error, Result};

pub const MAX_USERNAME_BYTES: usize = 32;
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;

/// Lower-case ASCII letters, digits, `_`, `.` and `-`: names that read the
/// same everywhere and need no normalisation.
pub fn validate_username(username: &str) -> Result<()> {
    if username.is_empty() || username.len() > MAX_USERNAME_BYTES {
        return Err(Error::invalid_argument(format!("username must be 1 to {MAX_USERNAME_BYTES} characters long")));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-');
    if !username.chars().all(allowed) {
        return Err(Error::invalid_argument("username may contain only lower-case letters, digits, '_', '.' and '-'"));
    }
    Ok(())
}

pub fn validate_password(password: &str) -> Result<()> {
    if !PASSWORD_CHARS.contains(&password.chars().count()) {
        let (least, most) = (PASSWORD_CHARS.start(), PASSWORD_CHARS.end());
        return Err(Error::invalid_argument(format!("password must be {least} to {most} characters long")));
    }
    Ok(())
}

/// A content hash as the API spells it: 64 lower-case hex digits.
pub fn validate_sha256(sha256: &str) -> Result<()> {
    if !is_lower_hex(sha256, 32) {
        return Err(Error::invalid_argument("sha256 must be 64 lower-case hex digits"));
    }
    Ok(())
}

pub(crate) fn is_lower_hex(text: &str, bytes: usize) -> bool {
    text.len() == bytes * 2 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where a folder listing goes on: the offset of its next entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageToken {
    pub offset: i64,
}

impl PageToken {
    /// The empty token starts at the first entry.
    pub fn parse(token: &str) -> Result<PageToken> {
        if token.is_empty() {
            return Ok(PageToken { offset: 0 });
        }
        token
            .strip_prefix('p')
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<i64>().ok())
            .map(|offset| PageToken { offset })
            .ok_or_else(|| Error::invalid_argument("page_token is not one this server issued"))
    }

    /// The token of the page after one of `page_size` entries from here.
    pub fn after(self, page_size: u32) -> String {
        format!("p{}", self.offset.saturating_add(i64::from(page_size)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn usernames() {
        for good in ["a", "alice", "bob.smith-2_x", &"a".repeat(32)] {
            assert!(validate_username(good).is_ok(), "{good}");
        }
        for bad in ["", "Alice", "al ice", "al/ice", "élise", &"a".repeat(33)] {
            assert_eq!(validate_username(bad).unwrap_err().code, ErrorCode::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password("1234567").is_err());
        assert!(validate_password(&"é".repeat(256)).is_ok());
        assert!(validate_password(&"é".repeat(257)).is_err());
    }

    #[test]
    fn digests_are_lower_hex_of_one_length() {
        assert!(validate_sha256(&"ab".repeat(32)).is_ok());
        assert!(validate_sha256(&"AB".repeat(32)).is_err());
        assert!(validate_sha256(&"ab".repeat(31)).is_err());
    }

    #[test]
    fn page_tokens_round_trip_and_refuse_strangers() {
        let first = PageToken::parse("").unwrap();
        assert_eq!(first.offset, 0);
        let next = first.after(50);
        assert_eq!(PageToken::parse(&next).unwrap().offset, 50);
        for bad in ["p", "p-1", "p+1", "q5", "p1x", "p99999999999999999999", " p1"] {
            assert!(PageToken::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PageToken { offset: i64::MAX }.after(10), format!("p{}", i64::MAX));
    }
}
