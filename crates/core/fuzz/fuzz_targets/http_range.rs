//! `http_range::parse_range` on any header and size, and the multipart
//! layout of what it answers.
//!
//! Input: one byte `w`, then `w % 9` little-endian bytes of the
//! representation's size (so that small sizes are easy to reach), then the
//! header value; after a 0xFF byte (which UTF-8 never holds), the content type
//! of the parts.

#![no_main]

use std::ops::Range;

use cordvault_core::http_range::{
    COALESCE_GAP, FALLBACK_CONTENT_TYPE, MAX_RANGES, Multipart, RangeRequest, content_range, parse_range,
};
use libfuzzer_sys::fuzz_target;

/// A boundary as the server makes them (`random_hex::<12>()`).
const BOUNDARY: &str = "0123456789abcdef01234567";

fuzz_target!(|data: &[u8]| {
    let Some((&width, rest)) = data.split_first() else {
        return;
    };
    let width = usize::from(width % 9).min(rest.len());
    let (size_bytes, rest) = rest.split_at(width);
    let mut size = [0u8; 8];
    size[..width].copy_from_slice(size_bytes);
    let size = u64::from_le_bytes(size);
    let (header, content_type) = match rest.iter().position(|&byte| byte == 0xFF) {
        Some(at) => (&rest[..at], String::from_utf8_lossy(&rest[at + 1..])),
        None => (rest, "application/pdf".into()),
    };
    let header = String::from_utf8_lossy(header);

    let answer = parse_range(&header, size);
    match &answer {
        RangeRequest::Full => {}
        RangeRequest::Unsatisfiable => {
            // Nothing satisfiable in `size` bytes is satisfiable in fewer.
            assert_eq!(parse_range(&header, size / 2), RangeRequest::Unsatisfiable, "{header:?} {size}");
            assert_eq!(parse_range(&header, 0), RangeRequest::Unsatisfiable, "{header:?} {size}");
        }
        RangeRequest::Partial(ranges) => {
            check_ranges(&header, size, ranges);
            check_multipart(size, ranges, &content_type);
        }
    }
    // Deterministic.
    assert_eq!(parse_range(&header, size), answer);
});

fn check_ranges(header: &str, size: u64, ranges: &[Range<u64>]) {
    assert!(!ranges.is_empty(), "{header:?} {size}: Partial without ranges");
    assert!(ranges.len() <= MAX_RANGES, "{header:?} {size}: {} ranges", ranges.len());
    for range in ranges {
        assert!(range.start < range.end && range.end <= size, "{header:?} {size}: {range:?}");
    }
    for pair in ranges.windows(2) {
        // Sorted, disjoint, and not close enough to have been coalesced.
        assert!(
            pair[0].end.saturating_add(COALESCE_GAP) < pair[1].start,
            "{header:?} {size}: {:?} then {:?}",
            pair[0],
            pair[1]
        );
    }
    let total = ranges.iter().map(|range| range.end - range.start).fold(0u64, |sum, len| sum.checked_add(len).unwrap());
    assert!(total <= size, "{header:?} {size}: {total} bytes answered");

    // The answer, written back as a header, asks for exactly itself.
    let specs: Vec<String> = ranges.iter().map(|range| format!("{}-{}", range.start, range.end - 1)).collect();
    let again = format!("bytes={}", specs.join(","));
    assert_eq!(parse_range(&again, size), RangeRequest::Partial(ranges.to_vec()), "{header:?} {size}: {again:?}");
}

fn check_multipart(size: u64, ranges: &[Range<u64>], content_type: &str) {
    let multipart = Multipart::new(BOUNDARY.to_owned(), content_type, ranges, size);
    let opening = format!("\r\n--{BOUNDARY}\r\n");
    let type_line = match content_type {
        "" => String::new(),
        safe if safe.bytes().all(|byte| byte == b' ' || byte.is_ascii_graphic()) => {
            format!("Content-Type: {safe}\r\n")
        }
        _ => format!("Content-Type: {FALLBACK_CONTENT_TYPE}\r\n"),
    };
    let mut headers_len = 0u64;
    for (index, range) in ranges.iter().enumerate() {
        let header = multipart.part_header(index);
        // Exactly the expected lines: nothing in the content type can add
        // header lines of its own.
        let expected = format!("{opening}{type_line}Content-Range: {}\r\n\r\n", content_range(range, size));
        assert_eq!(header, expected, "part {index} of {ranges:?}, type {content_type:?}");
        headers_len += header.len() as u64;
    }
    assert_eq!(multipart.part_header(ranges.len()), "");
    assert_eq!(multipart.closing(), format!("\r\n--{BOUNDARY}--\r\n"));
    let ranges_len: u64 = ranges.iter().map(|range| range.end - range.start).sum();
    // Beyond u64 (a range of nearly 2^64 bytes), the length saturates.
    let expected = headers_len
        .checked_add(ranges_len)
        .and_then(|len| len.checked_add(multipart.closing().len() as u64))
        .unwrap_or(u64::MAX);
    assert_eq!(multipart.content_length(), expected, "{ranges:?} of {size}, type {content_type:?}");

    // For small representations, assemble the body as the server streams it.
    if size <= 1 << 16 {
        let content: Vec<u8> = (0..size).map(|offset| offset as u8).collect();
        let mut body = Vec::new();
        for (index, range) in ranges.iter().enumerate() {
            body.extend_from_slice(multipart.part_header(index).as_bytes());
            body.extend_from_slice(&content[range.start as usize..range.end as usize]);
        }
        body.extend_from_slice(multipart.closing().as_bytes());
        assert_eq!(multipart.content_length(), body.len() as u64);
    }
}
