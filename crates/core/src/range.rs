//! Range arithmetic: which chunks, and which bytes of each, a file range needs.

use std::ops::Range;

/// Number of chunks of a file; a 0-byte file has none.
pub fn chunk_count(size: u64, chunk_size: u64) -> u64 {
    size.div_ceil(chunk_size)
}

/// Plaintext length of chunk `index` of a file.
pub fn chunk_len(size: u64, chunk_size: u64, index: u64) -> u64 {
    let start = index * chunk_size;
    size.saturating_sub(start).min(chunk_size)
}

/// Checks that `len` bytes are chunk `index` of a file: an index within the
/// file, and exactly that chunk's length.
pub fn check_chunk(size: u64, chunk_size: u64, index: u64, len: u64) -> crate::Result<()> {
    let count = chunk_count(size, chunk_size);
    if index >= count {
        return Err(crate::Error::invalid_argument(format!(
            "chunk {index} is out of range: the upload has {count} chunks"
        )));
    }
    let expected = chunk_len(size, chunk_size, index);
    if len != expected {
        return Err(crate::Error::invalid_argument(format!("chunk {index} must hold {expected} bytes, not {len}")));
    }
    Ok(())
}

/// One piece of a file range that lies inside one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSlice {
    pub chunk_index: u64,
    /// Bytes within the chunk's plaintext.
    pub within: Range<u64>,
}

/// Splits `range` (already cut to the file size) into per-chunk slices.
pub fn chunk_slices(range: Range<u64>, chunk_size: u64) -> impl Iterator<Item = ChunkSlice> {
    let mut position = range.start;
    std::iter::from_fn(move || {
        if position >= range.end {
            return None;
        }
        let chunk_index = position / chunk_size;
        let chunk_start = chunk_index * chunk_size;
        let end = range.end.min(chunk_start + chunk_size);
        let slice = ChunkSlice { chunk_index, within: position - chunk_start..end - chunk_start };
        position = end;
        Some(slice)
    })
}

/// Resolves a requested (offset, length) against a file size: length 0 means
/// "to the end", and ranges past the end are cut at it. None when the offset
/// lies beyond the end.
pub fn resolve(offset: u64, length: u64, size: u64) -> Option<Range<u64>> {
    if offset > size {
        return None;
    }
    let end = if length == 0 { size } else { offset.saturating_add(length).min(size) };
    Some(offset..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_chunks() {
        assert_eq!(chunk_count(0, 10), 0);
        assert_eq!(chunk_count(10, 10), 1);
        assert_eq!(chunk_count(11, 10), 2);
        assert_eq!(chunk_len(25, 10, 2), 5);
        assert_eq!(chunk_len(25, 10, 1), 10);
    }

    #[test]
    fn a_chunk_must_be_inside_the_file_and_whole() {
        assert!(check_chunk(25, 10, 0, 10).is_ok());
        assert!(check_chunk(25, 10, 2, 5).is_ok());
        let code = |index, len| check_chunk(25, 10, index, len).unwrap_err().code;
        assert_eq!(code(3, 0), crate::ErrorCode::InvalidArgument, "past the last chunk");
        assert_eq!(code(2, 10), crate::ErrorCode::InvalidArgument, "a short last chunk sent long");
        assert_eq!(code(0, 9), crate::ErrorCode::InvalidArgument, "a full chunk sent short");
        assert!(check_chunk(0, 10, 0, 0).is_err(), "an empty file has no chunks");
    }

    #[test]
    fn slices_ranges_at_chunk_boundaries() {
        let slices: Vec<_> = chunk_slices(5..25, 10).collect();
        assert_eq!(
            slices,
            vec![
                ChunkSlice { chunk_index: 0, within: 5..10 },
                ChunkSlice { chunk_index: 1, within: 0..10 },
                ChunkSlice { chunk_index: 2, within: 0..5 },
            ]
        );
        assert_eq!(chunk_slices(7..7, 10).count(), 0);
    }

    #[test]
    fn resolves_requests() {
        assert_eq!(resolve(0, 0, 100), Some(0..100));
        assert_eq!(resolve(90, 50, 100), Some(90..100));
        assert_eq!(resolve(100, 1, 100), Some(100..100));
        assert_eq!(resolve(101, 1, 100), None);
        assert_eq!(resolve(5, u64::MAX, 100), Some(5..100));
    }
}
