//! Opening sealed chunks (`ChunkCodec::open_chunk` and, for a range of
//! blocks, `ChunkCodec::span` + `ChunkCodec::open`) from damaged or foreign
//! bytes.
//!
//! The first input byte chooses the mode:
//! - even: take a chunk sealed with a fixed key (one block, or two), damage
//!   it as the rest of the input says, maybe claim another position or
//!   length for it, and open it whole and for a range. Authenticated
//!   encryption: the result is an error or exactly the original plaintext,
//!   never other bytes.
//! - odd: open the raw input as a chunk (sealed with the fixed key, or
//!   plain), with a position, length and range the input chooses.

#![no_main]

use std::ops::Range;
use std::sync::OnceLock;

use cordvault_core::ErrorCode;
use cordvault_core::chunk::{BLOCK_SIZE, ChunkCodec, HEADER_LEN};
use cordvault_core::crypto::SecretKey;
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = *b"cordvault fuzzing key, 32 bytes!";
const CHUNK_INDEX: u64 = 3;

/// A chunk sealed once per process (sealing draws a random nonce prefix).
struct Sealed {
    plaintext: Vec<u8>,
    sealed: Vec<u8>,
}

fn codec() -> ChunkCodec {
    ChunkCodec::Sealed(SecretKey::from_bytes(&KEY).unwrap())
}

fn fixtures() -> &'static [Sealed; 2] {
    static FIXTURES: OnceLock<[Sealed; 2]> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let seal = |len: u64| {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
            let sealed = codec().seal(CHUNK_INDEX, &plaintext);
            Sealed { plaintext, sealed }
        };
        // One short block, and a full block plus a short one.
        [seal(100), seal(BLOCK_SIZE + 100)]
    })
}

/// Reads the input front to back; zeros once it is used up.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&first, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        first
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A range within `0..len`, possibly empty, from two numbers of the input.
fn range_within((a, b): (u32, u32), len: u64) -> Range<u64> {
    let (a, b) = (u64::from(a) % (len + 1), u64::from(b) % (len + 1));
    a.min(b)..a.max(b)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    if input.byte() % 2 == 0 { damaged(&mut input) } else { raw(&mut input) }
});

fn damaged(input: &mut Input) {
    let fixture = &fixtures()[usize::from(input.byte() % 2)];
    let real_len = fixture.plaintext.len() as u64;
    let (mut index, mut plain_len) = (CHUNK_INDEX, real_len);
    let within_seed = (input.u32(), input.u32());
    let mut sealed = fixture.sealed.clone();
    while !input.is_empty() {
        let op = input.byte();
        let at = input.u32();
        let value = input.byte();
        match op % 6 {
            0 | 1 if !sealed.is_empty() => {
                let at = at as usize % sealed.len();
                sealed[at] ^= value.max(1);
            }
            2 => sealed.truncate(at as usize % (sealed.len() + 1)),
            3 => sealed.extend(std::iter::repeat_n(value, at as usize % 64 + 1)),
            4 => index ^= u64::from(value),
            5 => plain_len = u64::from(at) % (2 * BLOCK_SIZE + 200),
            _ => {}
        }
    }
    let honest_claim = index == CHUNK_INDEX && plain_len == real_len;
    let intact = sealed == fixture.sealed;
    let codec = codec();

    // Whole chunk.
    let expected = 0..plain_len;
    let result = codec.open_chunk(index, plain_len, &sealed);
    check(&result, &fixture.plaintext, honest_claim, &expected);
    if intact && honest_claim {
        assert_eq!(result.as_ref().ok(), Some(&fixture.plaintext), "an intact chunk does not open");
    }

    // A range of it, fetching the header and the blocks apart as reads do.
    let within = range_within(within_seed, plain_len);
    let span = codec.span(plain_len, within.clone());
    let header = &sealed[..(HEADER_LEN as usize).min(sealed.len())];
    let blocks = sealed.get(span.blocks.start as usize..span.blocks.end as usize).unwrap_or_else(|| {
        // What a short read of a truncated object returns.
        &sealed[(span.blocks.start as usize).min(sealed.len())..]
    });
    let result = codec.open(index, plain_len, header, &span, blocks.to_vec());
    check(&result, &fixture.plaintext, honest_claim, &within);
    if intact && honest_claim {
        let plain = &fixture.plaintext[within.start as usize..within.end as usize];
        assert_eq!(result.as_deref().ok(), Some(plain), "an intact range {within:?} does not open");
    }
}

/// An error is DATA_LOSS; what opens is exactly the requested plaintext.
fn check(result: &cordvault_core::Result<Vec<u8>>, plaintext: &[u8], honest_claim: bool, within: &Range<u64>) {
    let opened = match result {
        Ok(opened) => opened,
        Err(err) => {
            assert_eq!(err.code, ErrorCode::DataLoss, "{err}");
            return;
        }
    };
    assert_eq!(opened.len() as u64, within.end - within.start, "{within:?} opened to {} bytes", opened.len());
    if opened.is_empty() {
        return;
    }
    // The position and length are authenticated: a false claim cannot open.
    assert!(honest_claim, "bytes opened under another chunk index or length");
    assert!(
        opened[..] == plaintext[within.start as usize..within.end as usize],
        "{within:?} opened to bytes that were never sealed"
    );
}

fn raw(input: &mut Input) {
    let mode = input.byte();
    let codec = if mode & 1 == 0 { codec() } else { ChunkCodec::Plain };
    let index = u64::from(input.byte());
    let plain_len = u64::from(input.u32()) % (2 * BLOCK_SIZE + 200);
    let within = range_within((input.u32(), input.u32()), plain_len);
    let header_len = usize::from(mode >> 1) % 16;
    let rest = input.0;

    // The whole input as a stored chunk.
    match codec.open_chunk(index, plain_len, rest) {
        Ok(opened) => {
            assert_eq!(opened.len() as u64, plain_len);
            if let ChunkCodec::Plain = codec {
                assert_eq!(
                    Some(&opened[..]),
                    rest.get(HEADER_LEN as usize..),
                    "a plain chunk opens to its stored bytes"
                );
            }
        }
        Err(err) => assert_eq!(err.code, ErrorCode::DataLoss, "{err}"),
    }

    // A header and blocks fetched apart, for a range.
    let span = codec.span(plain_len, within.clone());
    let (header, blocks) = rest.split_at(header_len.min(rest.len()));
    match codec.open(index, plain_len, header, &span, blocks.to_vec()) {
        Ok(opened) => assert_eq!(opened.len() as u64, within.end - within.start),
        Err(err) => assert_eq!(err.code, ErrorCode::DataLoss, "{err}"),
    }
}
