//! The sealed chunk format: how one chunk of a file's plaintext is stored.
//!
//! ```text
//! header  = magic "CVC1" | nonce prefix (8 random bytes, fresh for every seal)
//! block i = AES-256-GCM(data key, nonce = prefix | be32(i),
//!                       aad = "cordvault-chunk-v1" | be64(chunk index) | be32(i) | be64(chunk length),
//!                       64 KiB of plaintext) = ciphertext | tag (16)
//! ```
//!
//! Blocks sit at fixed offsets, so a range read fetches the header and only
//! the blocks it needs, and authenticates each before returning a byte. The
//! chunk's position and length are bound in as associated data: a block moved
//! to another place, another chunk or a truncated chunk fails to open. With
//! encryption disabled ("CVP1") the blocks are stored as they are.

use std::ops::Range;

use ring::aead::{Aad, NONCE_LEN, Nonce};

use crate::crypto::{MasterKey, SecretKey, random_bytes};
use crate::{Error, Result};

/// Plaintext bytes per authenticated block.
pub const BLOCK_SIZE: u64 = 64 * 1024;
pub const HEADER_LEN: u64 = 12;
const TAG_LEN: u64 = 16;
const MAGIC_SEALED: &[u8; 4] = b"CVC1";
const MAGIC_PLAIN: &[u8; 4] = b"CVP1";
const AAD_LABEL: &[u8] = b"cordvault-chunk-v1";

/// Seals and opens chunks: with a file's data key, or in the clear when the
/// operator disabled encryption.
#[derive(Clone, Debug)]
pub enum ChunkCodec {
    Sealed(SecretKey),
    Plain,
}

/// The part of a sealed chunk needed for a plaintext range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSpan {
    /// Bytes of the sealed chunk holding the needed blocks.
    pub blocks: Range<u64>,
    first_block: u64,
    /// Offset of the range's first byte within the first block's plaintext.
    skip: u64,
    len: u64,
}

impl ChunkCodec {
    /// The codec of stored content: sealed with its data key, which the
    /// master key unwraps, or plain when it was stored without encryption.
    pub fn for_content(master: Option<&MasterKey>, wrapped_key: &[u8]) -> Result<ChunkCodec> {
        match master {
            None if wrapped_key.is_empty() => Ok(ChunkCodec::Plain),
            None => Err(Error::failed_precondition(
                "this content is encrypted but the server runs without MESSAGE_ENCRYPTION_KEY",
            )),
            Some(master) => Ok(ChunkCodec::Sealed(master.unwrap(wrapped_key)?)),
        }
    }

    /// The data key as workers receive it: empty for plain chunks.
    pub fn data_key(&self) -> Vec<u8> {
        match self {
            ChunkCodec::Sealed(key) => key.as_bytes().to_vec(),
            ChunkCodec::Plain => Vec::new(),
        }
    }

    /// The codec of a data key as workers receive it.
    pub fn from_data_key(data_key: &[u8]) -> Result<ChunkCodec> {
        if data_key.is_empty() {
            return Ok(ChunkCodec::Plain);
        }
        SecretKey::from_bytes(data_key).map(ChunkCodec::Sealed)
    }

    fn tag_len(&self) -> u64 {
        match self {
            ChunkCodec::Sealed(_) => TAG_LEN,
            ChunkCodec::Plain => 0,
        }
    }

    fn sealed_block_len(&self) -> u64 {
        BLOCK_SIZE + self.tag_len()
    }

    /// Length of the sealed form of `plain_len` bytes.
    pub fn sealed_len(&self, plain_len: u64) -> u64 {
        HEADER_LEN + plain_len + plain_len.div_ceil(BLOCK_SIZE) * self.tag_len()
    }

    /// Seals chunk `chunk_index` of a file. Every call draws a fresh nonce
    /// prefix, so sealing the same chunk again (a retry) never reuses a nonce.
    pub fn seal(&self, chunk_index: u64, plaintext: &[u8]) -> Vec<u8> {
        let plain_len = plaintext.len() as u64;
        let mut out = Vec::with_capacity(self.sealed_len(plain_len) as usize);
        let ChunkCodec::Sealed(key) = self else {
            out.extend_from_slice(MAGIC_PLAIN);
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(plaintext);
            return out;
        };
        let prefix = random_bytes::<8>();
        out.extend_from_slice(MAGIC_SEALED);
        out.extend_from_slice(&prefix);
        let aead = key.aead();
        for (block_index, block) in plaintext.chunks(BLOCK_SIZE as usize).enumerate() {
            let block_index = block_index as u32;
            let start = out.len();
            out.extend_from_slice(block);
            let tag = aead
                .seal_in_place_separate_tag(
                    nonce(&prefix, block_index),
                    Aad::from(aad(chunk_index, block_index, plain_len)),
                    &mut out[start..],
                )
                .expect("a block is far below AES-GCM's length limit");
            out.extend_from_slice(tag.as_ref());
        }
        out
    }

    /// Which sealed bytes (besides the header) hold plaintext `within` of a
    /// chunk of `plain_len` bytes. `within` must lie inside the chunk.
    pub fn span(&self, plain_len: u64, within: Range<u64>) -> SealedSpan {
        debug_assert!(within.start <= within.end && within.end <= plain_len);
        let first_block = within.start / BLOCK_SIZE;
        let end_block = within.end.div_ceil(BLOCK_SIZE).max(first_block);
        let block_bytes = |block: u64| {
            let plain = (plain_len - (block * BLOCK_SIZE).min(plain_len)).min(BLOCK_SIZE);
            plain + self.tag_len()
        };
        let start = HEADER_LEN + first_block * self.sealed_block_len();
        let end = if end_block == first_block {
            start
        } else {
            HEADER_LEN + (end_block - 1) * self.sealed_block_len() + block_bytes(end_block - 1)
        };
        SealedSpan {
            blocks: start..end,
            first_block,
            skip: within.start - first_block * BLOCK_SIZE,
            len: within.end - within.start,
        }
    }

    /// Authenticates and decrypts a whole chunk as the store holds it.
    pub fn open_chunk(&self, chunk_index: u64, plain_len: u64, sealed: &[u8]) -> Result<Vec<u8>> {
        let span = self.span(plain_len, 0..plain_len);
        let header = &sealed[..(HEADER_LEN as usize).min(sealed.len())];
        let blocks = sealed[(span.blocks.start as usize).min(sealed.len())..].to_vec();
        self.open(chunk_index, plain_len, header, &span, blocks)
    }

    /// Authenticates and decrypts the blocks of `span` and returns exactly the
    /// requested plaintext. Any mismatch is DATA_LOSS; no unauthenticated byte
    /// is returned.
    pub fn open(
        &self,
        chunk_index: u64,
        plain_len: u64,
        header: &[u8],
        span: &SealedSpan,
        mut blocks: Vec<u8>,
    ) -> Result<Vec<u8>> {
        if blocks.len() as u64 != span.blocks.end - span.blocks.start {
            return Err(Error::data_loss(format!("chunk {chunk_index} is shorter than its record says")));
        }
        // A header cut short (a truncated object) is damage, whatever it starts with.
        let magic = if header.len() < HEADER_LEN as usize { None } else { header.get(..4) };
        let prefix: [u8; 8] = match (self, magic) {
            (ChunkCodec::Sealed(_), Some(m)) if m == MAGIC_SEALED => {
                header[4..12].try_into().expect("header length checked")
            }
            (ChunkCodec::Plain, Some(m)) if m == MAGIC_PLAIN => [0; 8],
            _ => {
                return Err(Error::data_loss(format!("chunk {chunk_index} has a damaged or foreign header")));
            }
        };
        let ChunkCodec::Sealed(key) = self else {
            let start = span.skip as usize;
            return Ok(blocks[start..start + span.len as usize].to_vec());
        };
        let aead = key.aead();
        let mut plaintext = Vec::with_capacity(blocks.len());
        for (block_index, sealed) in (span.first_block..).zip(blocks.chunks_mut(self.sealed_block_len() as usize)) {
            let index = u32::try_from(block_index).map_err(|_| Error::data_loss("chunk has too many blocks"))?;
            let opened = aead
                .open_in_place(nonce(&prefix, index), Aad::from(aad(chunk_index, index, plain_len)), sealed)
                .map_err(|_| {
                    Error::data_loss(format!("block {block_index} of chunk {chunk_index} failed authentication"))
                })?;
            plaintext.extend_from_slice(opened);
        }
        let start = span.skip as usize;
        let end = start + span.len as usize;
        if end > plaintext.len() {
            return Err(Error::data_loss(format!("chunk {chunk_index} is truncated")));
        }
        plaintext.truncate(end);
        plaintext.drain(..start);
        Ok(plaintext)
    }
}

/// The identifier of one seal of a chunk: its nonce prefix, in hex, which
/// every seal draws afresh. None for plain chunks and damaged headers.
///
/// A record that keeps it can refuse every other seal of the same chunk of
/// the same file, such as an older copy a re-sent chunk left behind, which
/// would otherwise open and authenticate just as well.
pub fn seal_id(sealed: &[u8]) -> Option<String> {
    let header = sealed.get(..HEADER_LEN as usize)?;
    (&header[..4] == MAGIC_SEALED).then(|| hex::encode(&header[4..]))
}

/// Checks that `header` is the seal recorded for chunk `chunk_index`; a
/// record without a seal id (plain chunks, older records) accepts any.
pub fn check_seal(header: &[u8], recorded: Option<&str>, chunk_index: u64) -> Result<()> {
    let Some(recorded) = recorded else {
        return Ok(());
    };
    if seal_id(header).as_deref() != Some(recorded) {
        return Err(Error::data_loss(format!(
            "chunk {chunk_index} in the store is not the copy that was recorded (another seal of it)"
        )));
    }
    Ok(())
}

fn nonce(prefix: &[u8; 8], block_index: u32) -> Nonce {
    let mut bytes = [0u8; NONCE_LEN];
    bytes[..8].copy_from_slice(prefix);
    bytes[8..].copy_from_slice(&block_index.to_be_bytes());
    Nonce::assume_unique_for_key(bytes)
}

fn aad(chunk_index: u64, block_index: u32, plain_len: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 20);
    aad.extend_from_slice(AAD_LABEL);
    aad.extend_from_slice(&chunk_index.to_be_bytes());
    aad.extend_from_slice(&block_index.to_be_bytes());
    aad.extend_from_slice(&plain_len.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_seal_has_its_own_id_and_only_it_passes_the_check() {
        let codec = ChunkCodec::Sealed(SecretKey::generate());
        let first = codec.seal(0, b"X");
        let second = codec.seal(0, b"Y");
        let (a, b) = (seal_id(&first).unwrap(), seal_id(&second).unwrap());
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert!(check_seal(&first[..HEADER_LEN as usize], Some(&a), 0).is_ok());
        let err = check_seal(&first[..HEADER_LEN as usize], Some(&b), 0).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::DataLoss);
        assert!(check_seal(&first, None, 0).is_ok());
        assert_eq!(seal_id(&ChunkCodec::Plain.seal(0, b"X")), None);
        assert_eq!(seal_id(b"CVC1"), None);
    }

    use super::*;
    use crate::ErrorCode;

    fn plaintext(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    fn read(codec: &ChunkCodec, index: u64, sealed: &[u8], plain_len: u64, within: Range<u64>) -> Result<Vec<u8>> {
        let span = codec.span(plain_len, within);
        let blocks = sealed[span.blocks.start as usize..span.blocks.end as usize].to_vec();
        codec.open(index, plain_len, &sealed[..HEADER_LEN as usize], &span, blocks)
    }

    #[test]
    fn round_trips_every_range_shape() {
        let len = 3 * BLOCK_SIZE as usize + 123;
        let data = plaintext(len);
        for codec in [ChunkCodec::Sealed(SecretKey::generate()), ChunkCodec::Plain] {
            let sealed = codec.seal(4, &data);
            assert_eq!(sealed.len() as u64, codec.sealed_len(len as u64));
            let b = BLOCK_SIZE;
            let l = len as u64;
            for within in [0..l, 0..1, b - 1..b + 1, b..b, l - 1..l, 5..2 * b + 7, 2 * b..l, l..l] {
                let got = read(&codec, 4, &sealed, l, within.clone()).unwrap();
                assert_eq!(got, &data[within.start as usize..within.end as usize], "{within:?}");
            }
        }
    }

    #[test]
    fn sealed_chunks_hide_the_plaintext_and_never_repeat() {
        let codec = ChunkCodec::Sealed(SecretKey::generate());
        let data = b"a well known marker".repeat(100);
        let first = codec.seal(0, &data);
        let marker: &[u8] = b"well known";
        assert!(!first.windows(marker.len()).any(|w| w == marker));
        assert_ne!(first, codec.seal(0, &data));
    }

    #[test]
    fn damage_is_data_loss() {
        let codec = ChunkCodec::Sealed(SecretKey::generate());
        let data = plaintext(2 * BLOCK_SIZE as usize);
        let len = data.len() as u64;
        let mut sealed = codec.seal(1, &data);
        sealed[HEADER_LEN as usize + 10] ^= 1;
        let err = read(&codec, 1, &sealed, len, 0..10).unwrap_err();
        assert_eq!(err.code, ErrorCode::DataLoss);
        // The second block is intact and still readable on its own.
        assert!(read(&codec, 1, &sealed, len, BLOCK_SIZE..BLOCK_SIZE + 10).is_ok());

        let sealed = codec.seal(1, &data);
        assert_eq!(read(&codec, 2, &sealed, len, 0..10).unwrap_err().code, ErrorCode::DataLoss);
        let truncated = &sealed[..sealed.len() - 1];
        let span = codec.span(len, 0..len);
        let blocks = truncated[span.blocks.start as usize..].to_vec();
        assert_eq!(codec.open(1, len, &sealed[..12], &span, blocks).unwrap_err().code, ErrorCode::DataLoss);
    }

    /// Found by the chunk_unseal fuzz target: an object truncated inside its
    /// header, read for a span without blocks (an empty chunk, or an empty
    /// range), panicked slicing the nonce prefix (sealed) or opened as if
    /// intact (plain).
    #[test]
    fn short_headers_are_data_loss() {
        for codec in [ChunkCodec::Sealed(SecretKey::generate()), ChunkCodec::Plain] {
            let empty = codec.seal(0, b"");
            assert_eq!(codec.open_chunk(0, 0, &empty[..6]).unwrap_err().code, ErrorCode::DataLoss);
            let sealed = codec.seal(0, b"hello");
            for len in 0..HEADER_LEN as usize {
                let span = codec.span(5, 0..0);
                let err = codec.open(0, 5, &sealed[..len], &span, Vec::new()).unwrap_err();
                assert_eq!(err.code, ErrorCode::DataLoss, "{codec:?} {len}");
            }
        }
    }
}
