//! `--range START-END` (inclusive, like HTTP) or `START-`.

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive; None reads to the end of the file.
    pub end: Option<u64>,
}

impl FromStr for ByteRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("{text:?} is not a byte range: use START-END (inclusive) or START-");
        let (start, end) = text.split_once('-').ok_or_else(usage)?;
        let start = start.trim().parse::<u64>().map_err(|_| usage())?;
        let end = match end.trim() {
            "" => None,
            end => Some(end.parse::<u64>().map_err(|_| usage())?),
        };
        if end.is_some_and(|end| end < start) {
            return Err(format!("byte range {text:?} ends before it starts"));
        }
        Ok(ByteRange { start, end })
    }
}

impl ByteRange {
    /// The SDK's (offset, length) form, where length 0 means "to the end".
    pub fn offset_and_length(self) -> (u64, u64) {
        match self.end {
            // Saturating: "0-18446744073709551615" is every byte, not an overflow.
            Some(end) => (self.start, (end - self.start).saturating_add(1)),
            None => (self.start, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_closed_and_open_ranges() {
        assert_eq!("100-199".parse(), Ok(ByteRange { start: 100, end: Some(199) }));
        assert_eq!("100-199".parse::<ByteRange>().unwrap().offset_and_length(), (100, 100));
        assert_eq!("5-".parse::<ByteRange>().unwrap().offset_and_length(), (5, 0));
        assert_eq!("7-7".parse::<ByteRange>().unwrap().offset_and_length(), (7, 1));
        assert_eq!(format!("0-{}", u64::MAX).parse::<ByteRange>().unwrap().offset_and_length(), (0, u64::MAX));
    }

    #[test]
    fn rejects_nonsense() {
        for text in ["", "-5", "a-b", "10", "9-3", "1-2-3"] {
            assert!(text.parse::<ByteRange>().is_err(), "{text}");
        }
    }
}
