//! The timestamps Discord packages hold, as Unix seconds (UTC).
//!
//! Messages carry "2024-03-01 12:34:56" (or, in old CSV exports,
//! "2017-10-01 18:20:34.469000+00:00"); analytics events carry ISO 8601
//! strings wrapped in an extra pair of quotes ("\"2024-03-01T12:34:56.789Z\"")
//! in current exports and bare in old ones; payments carry ISO 8601 with an
//! offset. All of them read here, seconds and offset included (the original
//! dropped the seconds and ignored offsets).

use cordvault_core::calendar::UtcDateTime;

/// Unix seconds of `text`, or None when it is not a timestamp.
pub fn parse(text: &str) -> Option<i64> {
    let text = text.trim().trim_matches('"');
    let bytes = text.as_bytes();
    if bytes.len() < 16
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b' ')
        || bytes[13] != b':'
    {
        return None;
    }
    let mut time = UtcDateTime {
        year: i64::from(digits(text, 0..4)?),
        month: digits(text, 5..7)?,
        day: digits(text, 8..10)?,
        hour: digits(text, 11..13)?,
        minute: digits(text, 14..16)?,
        second: 0,
    };
    let mut rest = &text[16..];
    if let Some(after) = rest.strip_prefix(':') {
        time.second = digits(after, 0..2)?;
        rest = &after[2..];
    }
    if let Some(fraction) = rest.strip_prefix('.') {
        rest = fraction.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = zone_offset(rest)?;
    Some(time.to_unix()? - offset)
}

/// Seconds east of UTC of a zone suffix: "", "Z", " UTC", "+01:00", "-0530".
fn zone_offset(zone: &str) -> Option<i64> {
    let zone = zone.trim();
    if zone.is_empty() || zone == "Z" || zone == "UTC" {
        return Some(0);
    }
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let numbers = zone[1..].replace(':', "");
    if numbers.len() != 4 {
        return None;
    }
    let hours = i64::from(digits(&numbers, 0..2)?);
    let minutes = i64::from(digits(&numbers, 2..4)?);
    Some(sign * (hours * 3600 + minutes * 60))
}

fn digits(text: &str, range: std::ops::Range<usize>) -> Option<u32> {
    let part = text.get(range)?;
    if !part.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn every_form_a_package_holds() {
        let noon = 1_709_296_496; // 2024-03-01T12:34:56Z
        assert_eq!(parse("2024-03-01 12:34:56"), Some(noon));
        assert_eq!(parse("2024-03-01T12:34:56.789Z"), Some(noon));
        assert_eq!(parse("\"2024-03-01T12:34:56.789Z\""), Some(noon));
        assert_eq!(parse("2024-03-01 12:34:56.469000+00:00"), Some(noon));
        assert_eq!(parse("2024-03-01T14:34:56+02:00"), Some(noon));
        assert_eq!(parse("2024-03-01T07:04:56-0530"), Some(noon));
        assert_eq!(parse("2024-03-01T12:34"), Some(noon - 56));
        assert_eq!(parse("2024-03-01 12:34:56 UTC"), Some(noon));
    }

    #[test]
    fn garbage_is_none() {
        for text in [
            "",
            "null",
            "2024-03-01",
            "2024-13-01 00:00:00",
            "2024-02-30 00:00:00",
            "2024-03-01 12:34:5x",
            "x024-03-01 12:34:56",
            "2024-03-01 12:34:56+1",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
