//! HTTP range requests (RFC 9110 section 14) and the headers and body layout
//! of their answers, kept free of any HTTP library so they can be tested on
//! their own.
//!
//! Parsing leans towards answering with the whole file: a server may always
//! ignore a Range header, so anything it does not understand, or that looks
//! like abuse, gets a plain 200 instead of an error.

use std::ops::Range;

/// Most range specs read from one header; more is treated as abuse and
/// answered in full. It only bounds the parsing work: well above what a real
/// client sends, and what is answered is bounded by [`MAX_RANGES`].
pub const MAX_SPECS: usize = 256;

/// Most ranges answered, after coalescing; more is answered in full. Every
/// range is read and decrypted on its own and costs a part header, so many
/// scattered small ranges cost far more than the file. Real clients (PDF
/// viewers, media players) ask for a handful.
pub const MAX_RANGES: usize = 16;

/// Ranges this close (in bytes) are coalesced into one: sending the bytes
/// between them costs no more than the header of another part (about 80
/// bytes: boundary, Content-Type and Content-Range lines). RFC 9110 section
/// 14.2 allows it.
pub const COALESCE_GAP: u64 = 80;

/// What a Range header asks of a representation of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// Ignore the header and send everything (200).
    Full,
    /// Send these byte ranges (206): none empty, in ascending order, and
    /// farther apart than [`COALESCE_GAP`], as overlapping and close ranges
    /// are coalesced.
    Partial(Vec<Range<u64>>),
    /// No range overlaps the representation (416).
    Unsatisfiable,
}

/// One syntactically valid range spec.
enum Spec {
    /// `first-last`, or `first-` when `last` is None.
    FromTo { first: u64, last: Option<u64> },
    /// `-length`: the last `length` bytes.
    Suffix { length: u64 },
}

/// Interprets a Range header value for a representation of `size` bytes.
pub fn parse_range(header: &str, size: u64) -> RangeRequest {
    let Some(specs) = parse_specs(header) else {
        return RangeRequest::Full;
    };
    let ranges: Vec<Range<u64>> = specs.iter().filter_map(|spec| resolve(spec, size)).collect();
    if ranges.is_empty() {
        return RangeRequest::Unsatisfiable;
    }
    let ranges = coalesce(ranges);
    // Coalesced ranges are disjoint, so they cannot add up to more than the
    // size; the guard stays in case that ever changes, since sending more
    // than the file is the amplification these limits prevent.
    let total = ranges.iter().map(|range| range.end - range.start).fold(0, u64::saturating_add);
    if ranges.len() > MAX_RANGES || total > size {
        return RangeRequest::Full;
    }
    RangeRequest::Partial(ranges)
}

/// Sorts `ranges` (non-empty each) and merges those that overlap or are at
/// most [`COALESCE_GAP`] bytes apart, so that no byte is sent twice
/// (`bytes=0-,0-,...` would otherwise send the file many times over).
fn coalesce(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.sort_unstable_by_key(|range| range.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end.saturating_add(COALESCE_GAP) => {
                last.end = last.end.max(range.end);
            }
            _ => merged.push(range),
        }
    }
    merged
}

/// The syntax: `bytes=spec, spec, ...`. None for another unit, a malformed
/// header, or more than [`MAX_SPECS`] specs.
fn parse_specs(header: &str) -> Option<Vec<Spec>> {
    let (unit, set) = header.split_once('=')?;
    if !unit.trim_matches(is_ows).eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    // RFC 9110 section 5.6.1: empty list elements are tolerated.
    for element in set.split(',').map(|element| element.trim_matches(is_ows)).filter(|element| !element.is_empty()) {
        if specs.len() == MAX_SPECS {
            return None;
        }
        specs.push(parse_spec(element)?);
    }
    if specs.is_empty() { None } else { Some(specs) }
}

fn parse_spec(spec: &str) -> Option<Spec> {
    let (first, last) = spec.split_once('-')?;
    if first.is_empty() {
        return Some(Spec::Suffix { length: parse_number(last)? });
    }
    let first = parse_number(first)?;
    if last.is_empty() {
        return Some(Spec::FromTo { first, last: None });
    }
    let last = parse_number(last)?;
    if first > last {
        return None;
    }
    Some(Spec::FromTo { first, last: Some(last) })
}

/// Digits only: `str::parse` would also take a sign. None on overflow.
fn parse_number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The bytes a spec selects, or None when it is unsatisfiable.
fn resolve(spec: &Spec, size: u64) -> Option<Range<u64>> {
    match *spec {
        Spec::FromTo { first, last } => {
            if first >= size {
                return None;
            }
            let end = match last {
                Some(last) => last.min(size - 1) + 1,
                None => size,
            };
            Some(first..end)
        }
        Spec::Suffix { length } => {
            if length == 0 || size == 0 {
                return None;
            }
            Some(size.saturating_sub(length)..size)
        }
    }
}

/// Optional whitespace (RFC 9110 section 5.6.3).
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The Content-Range of one non-empty range: "bytes 0-99/1000".
pub fn content_range(range: &Range<u64>, size: u64) -> String {
    format!("bytes {}-{}/{}", range.start, range.end.saturating_sub(1), size)
}

/// The Content-Range of a 416 answer: "bytes */1000".
pub fn unsatisfied_content_range(size: u64) -> String {
    format!("bytes */{size}")
}

/// multipart/byteranges body layout: the boundary, and for each part its
/// header text; plus closing text. The body is, for each range in order,
/// `part_header(i)` followed by the range's bytes, then `closing()`.
///
/// Every part header starts with CRLF, the first one included: the body then
/// opens with an empty preamble, which RFC 2046 allows, and all parts look
/// alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// 1 to 70 characters from RFC 2046's set, chosen so it cannot occur in
    /// the content (a random token); the caller's choice.
    pub boundary: String,
    part_headers: Vec<String>,
    closing: String,
    content_length: u64,
}

impl Multipart {
    /// Lays out the parts for `ranges` (non-empty, within `size`) of a
    /// representation of type `content_type`; an empty type leaves out the
    /// parts' Content-Type line, and one that could break the part header
    /// (CR, LF or any byte but visible ASCII and space) becomes
    /// [`FALLBACK_CONTENT_TYPE`].
    pub fn new(boundary: String, content_type: &str, ranges: &[Range<u64>], size: u64) -> Self {
        let type_line = match content_type {
            "" => String::new(),
            safe if is_header_safe(safe) => format!("Content-Type: {safe}\r\n"),
            _ => format!("Content-Type: {FALLBACK_CONTENT_TYPE}\r\n"),
        };
        let part_headers: Vec<String> = ranges
            .iter()
            .map(|range| {
                format!("\r\n--{boundary}\r\n{type_line}Content-Range: {}\r\n\r\n", content_range(range, size))
            })
            .collect();
        let closing = format!("\r\n--{boundary}--\r\n");
        let headers_len = part_headers.iter().map(|header| header.len() as u64).fold(0, u64::saturating_add);
        let ranges_len = ranges.iter().map(|range| range.end.saturating_sub(range.start)).fold(0, u64::saturating_add);
        let content_length = headers_len.saturating_add(ranges_len).saturating_add(closing.len() as u64);
        Multipart { boundary, part_headers, closing, content_length }
    }

    /// The text before the bytes of range `index`; empty for an index past
    /// the last range.
    pub fn part_header(&self, index: usize) -> &str {
        self.part_headers.get(index).map_or("", String::as_str)
    }

    /// The text after the last part.
    pub fn closing(&self) -> &str {
        &self.closing
    }

    /// Total body length including range bytes, for Content-Length.
    pub fn content_length(&self) -> u64 {
        self.content_length
    }

    /// The Content-Type of the whole answer.
    pub fn content_type(&self) -> String {
        format!("multipart/byteranges; boundary={}", self.boundary)
    }
}

/// The part type used in place of one that is unsafe in a header.
pub const FALLBACK_CONTENT_TYPE: &str = "application/octet-stream";

/// Whether `value` is only visible ASCII and spaces. Stored media types come
/// from clients; one holding CR or LF would add header lines of its own to
/// every part (defence in depth: uploads validate them too).
fn is_header_safe(value: &str) -> bool {
    value.bytes().all(|byte| byte == b' ' || byte.is_ascii_graphic())
}

/// Content-Disposition per RFC 6266 / RFC 8187: an ASCII fallback
/// `filename="..."` for old clients (non-ASCII and quotes/backslashes replaced
/// by '_') plus `filename*=UTF-8''percent-encoded`, which current browsers
/// prefer. Control characters are replaced or encoded too, so a name can
/// never break the header. An empty name gives the bare disposition.
pub fn content_disposition(disposition: &str, file_name: &str) -> String {
    if file_name.is_empty() {
        return disposition.to_owned();
    }
    let fallback: String = file_name.chars().map(fallback_char).collect();
    let mut encoded = String::with_capacity(file_name.len() * 3);
    for byte in file_name.bytes() {
        if is_attr_char(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A character of the quoted ASCII fallback name: printable ASCII except the
/// two that would need escaping, which some clients get wrong.
fn fallback_char(c: char) -> char {
    let keep = c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\');
    if keep { c } else { '_' }
}

/// `attr-char` of RFC 8187: what a parameter value may hold unencoded.
fn is_attr_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(byte, b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partial(ranges: &[Range<u64>]) -> RangeRequest {
        RangeRequest::Partial(ranges.to_vec())
    }

    fn one(range: Range<u64>) -> RangeRequest {
        RangeRequest::Partial(vec![range])
    }

    #[test]
    fn closed_ranges_are_clamped_to_the_end() {
        assert_eq!(parse_range("bytes=0-99", 1000), one(0..100));
        assert_eq!(parse_range("bytes=10-10", 1000), one(10..11));
        assert_eq!(parse_range("bytes=900-5000", 1000), one(900..1000));
        assert_eq!(parse_range("bytes=999-999", 1000), one(999..1000));
        assert_eq!(parse_range("bytes=0-18446744073709551615", 1000), one(0..1000));
    }

    #[test]
    fn open_ranges_run_to_the_end() {
        assert_eq!(parse_range("bytes=0-", 1000), one(0..1000));
        assert_eq!(parse_range("bytes=500-", 1000), one(500..1000));
        assert_eq!(parse_range("bytes=999-", 1000), one(999..1000));
    }

    #[test]
    fn suffix_ranges_take_the_last_bytes() {
        assert_eq!(parse_range("bytes=-1", 1000), one(999..1000));
        assert_eq!(parse_range("bytes=-100", 1000), one(900..1000));
        assert_eq!(parse_range("bytes=-1000", 1000), one(0..1000));
        assert_eq!(parse_range("bytes=-5000", 1000), one(0..1000));
        assert_eq!(parse_range("bytes=-0", 1000), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn whole_file_still_answers_partial() {
        assert_eq!(parse_range("bytes=0-999", 1000), one(0..1000));
        assert_eq!(parse_range("bytes=0-", 1), one(0..1));
    }

    #[test]
    fn unit_is_case_insensitive_and_only_bytes() {
        assert_eq!(parse_range("BYTES=0-1", 10), one(0..2));
        assert_eq!(parse_range("Bytes=0-1", 10), one(0..2));
        assert_eq!(parse_range(" bytes = 0-1 ", 10), one(0..2));
        assert_eq!(parse_range("items=0-1", 10), RangeRequest::Full);
        assert_eq!(parse_range("bits=0-1", 10), RangeRequest::Full);
        assert_eq!(parse_range("0-1", 10), RangeRequest::Full);
    }

    #[test]
    fn malformed_headers_answer_in_full() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "bytes= , ,",
            "bytes=-",
            "bytes=abc",
            "bytes=1",
            "bytes=5-1",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=-+2",
            "bytes=0x10-20",
            "bytes=1 -2",
            "bytes=1- 2",
            "bytes=1.5-2",
            "bytes=0-1,garbage",
            "bytes=0-1;2-3",
            "bytes=١-٢",
            "bytes=18446744073709551616-",
            "bytes=0-18446744073709551616",
            "bytes=-99999999999999999999999",
        ] {
            assert_eq!(parse_range(header, 1000), RangeRequest::Full, "{header:?}");
        }
    }

    #[test]
    fn lists_tolerate_whitespace() {
        assert_eq!(parse_range("bytes=0-0 ,\t200-200 , , 400-400,", 1000), partial(&[0..1, 200..201, 400..401]));
    }

    #[test]
    fn ranges_come_back_sorted() {
        assert_eq!(parse_range("bytes=500-599, 0-99,-10", 1000), partial(&[0..100, 500..600, 990..1000]));
        assert_eq!(parse_range("bytes=900-909,100-109,500-509", 1000), partial(&[100..110, 500..510, 900..910]));
    }

    #[test]
    fn repeated_whole_ranges_become_one() {
        let size = 4 << 20;
        let header = format!("bytes={}", vec!["0-"; 64].join(","));
        assert_eq!(parse_range(&header, size), one(0..size));
        assert_eq!(parse_range("bytes=1-,1-", 100), one(1..100));
        assert_eq!(parse_range("bytes=-100,0-,50-60", 100), one(0..100));
    }

    #[test]
    fn overlapping_ranges_are_merged() {
        assert_eq!(parse_range("bytes=0-9,5-19", 1000), one(0..20));
        assert_eq!(parse_range("bytes=5-19,0-9", 1000), one(0..20));
        // A range inside another adds nothing.
        assert_eq!(parse_range("bytes=0-99,10-19", 1000), one(0..100));
        // Touching ranges too.
        assert_eq!(parse_range("bytes=0-9,10-19", 1000), one(0..20));
    }

    #[test]
    fn close_ranges_are_merged_far_ones_kept() {
        assert_eq!(parse_range("bytes=0-9,200-209", 1000), partial(&[0..10, 200..210]));
        // The gap between 0..10 and 90..100 is exactly COALESCE_GAP bytes.
        assert_eq!(COALESCE_GAP, 80);
        assert_eq!(parse_range("bytes=0-9,90-99", 1000), one(0..100));
        assert_eq!(parse_range("bytes=0-9,91-99", 1000), partial(&[0..10, 91..100]));
        // Merging chains: each gap is small, the whole spans more.
        assert_eq!(parse_range("bytes=0-9,50-59,100-109,150-159", 1000), one(0..160));
    }

    #[test]
    fn overlaps_are_resolved_against_the_size_first() {
        // Both clamp to the last byte, then merge.
        assert_eq!(parse_range("bytes=990-5000,995-6000", 1000), one(990..1000));
        // Unsatisfiable specs are dropped before merging.
        assert_eq!(parse_range("bytes=2000-,0-9,1500-", 1000), one(0..10));
    }

    #[test]
    fn unsatisfiable_specs_are_dropped() {
        assert_eq!(parse_range("bytes=1000-", 1000), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-2000", 1000), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-2000,-0", 1000), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=5000-,0-1,-0,999-", 1000), partial(&[0..2, 999..1000]));
        // A malformed spec anywhere still means the whole file.
        assert_eq!(parse_range("bytes=5000-,x", 1000), RangeRequest::Full);
    }

    #[test]
    fn empty_files_satisfy_no_range() {
        for header in ["bytes=0-", "bytes=0-0", "bytes=-1", "bytes=-0", "bytes=0-10,-5"] {
            assert_eq!(parse_range(header, 0), RangeRequest::Unsatisfiable, "{header:?}");
        }
        assert_eq!(parse_range("bytes=x", 0), RangeRequest::Full);
    }

    /// `count` one-byte specs 1000 bytes apart, too far to merge.
    fn far_apart(count: u64) -> String {
        let specs: Vec<String> = (0..count).map(|index| format!("{0}-{0}", index * 1000)).collect();
        format!("bytes={}", specs.join(","))
    }

    #[test]
    fn too_many_ranges_answer_in_full() {
        assert_eq!(MAX_RANGES, 16);
        match parse_range(&far_apart(16), 1_000_000) {
            RangeRequest::Partial(ranges) => assert_eq!(ranges.len(), 16),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_range(&far_apart(17), 1_000_000), RangeRequest::Full);
        // Counted after coalescing: 17 specs that merge into one are fine.
        let close: Vec<String> = (0..17).map(|index| format!("{0}-{0}", index * 10)).collect();
        assert_eq!(parse_range(&format!("bytes={}", close.join(",")), 1000), one(0..161));
        // Counted after dropping unsatisfiable specs too.
        let with_beyond = format!("{},20000-,30000-", far_apart(16));
        assert_eq!(parse_range(&with_beyond, 16_000), parse_range(&far_apart(16), 16_000));
    }

    #[test]
    fn too_many_specs_answer_in_full() {
        let same = |count: usize| format!("bytes={}", vec!["0-"; count].join(","));
        assert_eq!(parse_range(&same(MAX_SPECS), 1000), one(0..1000));
        assert_eq!(parse_range(&same(MAX_SPECS + 1), 1000), RangeRequest::Full);
        // Unsatisfiable specs count too.
        let far = vec!["5000-"; MAX_SPECS + 1].join(",");
        assert_eq!(parse_range(&format!("bytes={far}"), 1000), RangeRequest::Full);
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        let max = u64::MAX;
        assert_eq!(parse_range("bytes=0-18446744073709551615", max), one(0..max));
        assert_eq!(parse_range("bytes=-18446744073709551615", max), one(0..max));
        assert_eq!(parse_range("bytes=18446744073709551614-", max), one(max - 1..max));
        assert_eq!(parse_range("bytes=18446744073709551615-", max), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn content_range_headers() {
        assert_eq!(content_range(&(0..100), 1000), "bytes 0-99/1000");
        assert_eq!(content_range(&(999..1000), 1000), "bytes 999-999/1000");
        assert_eq!(unsatisfied_content_range(1000), "bytes */1000");
        assert_eq!(unsatisfied_content_range(0), "bytes */0");
    }

    /// Assembles a multipart body the way the server streams it.
    fn assemble(multipart: &Multipart, ranges: &[Range<u64>], content: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        for (index, range) in ranges.iter().enumerate() {
            body.extend_from_slice(multipart.part_header(index).as_bytes());
            body.extend_from_slice(&content[range.start as usize..range.end as usize]);
        }
        body.extend_from_slice(multipart.closing().as_bytes());
        body
    }

    #[test]
    fn multipart_layout() {
        let content: Vec<u8> = (0..=255).collect();
        let ranges = [0..3, 250..256];
        let multipart = Multipart::new("B0UND".to_owned(), "text/plain", &ranges, 256);
        assert_eq!(multipart.content_type(), "multipart/byteranges; boundary=B0UND");
        assert_eq!(
            multipart.part_header(0),
            "\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-2/256\r\n\r\n"
        );
        assert_eq!(
            multipart.part_header(1),
            "\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 250-255/256\r\n\r\n"
        );
        assert_eq!(multipart.part_header(2), "");
        assert_eq!(multipart.closing(), "\r\n--B0UND--\r\n");

        let body = assemble(&multipart, &ranges, &content);
        assert_eq!(multipart.content_length(), body.len() as u64);
        let mut expected = b"\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-2/256\r\n\r\n".to_vec();
        expected.extend_from_slice(&[0, 1, 2]);
        expected
            .extend_from_slice(b"\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 250-255/256\r\n\r\n");
        expected.extend_from_slice(&[250, 251, 252, 253, 254, 255]);
        expected.extend_from_slice(b"\r\n--B0UND--\r\n");
        assert_eq!(body, expected);
    }

    #[test]
    fn multipart_content_length_matches_assembled_body() {
        let content = vec![b'x'; 100_000];
        for header in ["bytes=0-0", "bytes=0-9,20-29,-5", "bytes=99990-,0-99999,5-5"] {
            let RangeRequest::Partial(ranges) = parse_range(header, content.len() as u64) else {
                panic!("{header}");
            };
            for content_type in ["application/octet-stream", ""] {
                let multipart = Multipart::new("abc123".to_owned(), content_type, &ranges, content.len() as u64);
                let body = assemble(&multipart, &ranges, &content);
                assert_eq!(multipart.content_length(), body.len() as u64, "{header} {content_type:?}");
                assert_eq!(multipart.part_header(0).contains("Content-Type"), !content_type.is_empty());
            }
        }
    }

    #[test]
    fn multipart_refuses_unsafe_content_types() {
        let ranges = [0..3, 250..256];
        for content_type in
            ["text/plain\r\nSet-Cookie: x=1", "text/plain\n", "text/plain\0", "text/plain\t", "tëxt/plain"]
        {
            let multipart = Multipart::new("B0UND".to_owned(), content_type, &ranges, 256);
            for index in 0..ranges.len() {
                assert!(
                    multipart
                        .part_header(index)
                        .starts_with("\r\n--B0UND\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "),
                    "{content_type:?}: {:?}",
                    multipart.part_header(index)
                );
            }
            let content: Vec<u8> = (0..=255).collect();
            assert_eq!(multipart.content_length(), assemble(&multipart, &ranges, &content).len() as u64);
        }
        let safe = Multipart::new("B0UND".to_owned(), "text/plain; charset=\"utf-8\"", &ranges, 256);
        assert!(safe.part_header(0).contains("Content-Type: text/plain; charset=\"utf-8\"\r\n"));
    }

    #[test]
    fn content_disposition_headers() {
        assert_eq!(
            content_disposition("attachment", "a b.txt"),
            "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt"
        );
        assert_eq!(
            content_disposition("attachment", "naïve \"x\".pdf"),
            "attachment; filename=\"na_ve _x_.pdf\"; filename*=UTF-8''na%C3%AFve%20%22x%22.pdf"
        );
        assert_eq!(
            content_disposition("inline", "日本.txt"),
            "inline; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"
        );
        assert_eq!(
            content_disposition("attachment", "a\\b\r\nSet-Cookie: x;y%.txt"),
            "attachment; filename=\"a_b__Set-Cookie: x;y%.txt\"; \
             filename*=UTF-8''a%5Cb%0D%0ASet-Cookie%3A%20x%3By%25.txt"
        );
        assert_eq!(content_disposition("attachment", ""), "attachment");
    }
}
