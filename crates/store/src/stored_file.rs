//! A file's chunks read back from a store, each authenticated: what a
//! worker does with the chunk list a job names (a picture to thumbnail, a
//! package zip to analyse).

use std::sync::Arc;

use cordvault_core::chunk::ChunkCodec;
use cordvault_core::range::{chunk_count, chunk_len};
use cordvault_core::{Error, Result};

use crate::{ChunkLocator, ChunkStore};

pub struct StoredFile {
    store: Arc<dyn ChunkStore>,
    codec: ChunkCodec,
    size: u64,
    chunk_size: u64,
    locators: Vec<String>,
}

impl StoredFile {
    /// A file of `size` bytes in chunks of `chunk_size` under `data_key`
    /// (empty: plain chunks), one locator per chunk.
    pub fn new(
        store: Arc<dyn ChunkStore>,
        data_key: &[u8],
        size: u64,
        chunk_size: u64,
        locators: Vec<String>,
    ) -> Result<StoredFile> {
        let codec = ChunkCodec::from_data_key(data_key)?;
        if chunk_size == 0 || chunk_count(size, chunk_size) != locators.len() as u64 {
            return Err(Error::invalid_argument("the chunk list does not match the file size"));
        }
        Ok(StoredFile { store, codec, size, chunk_size, locators })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn chunk_count(&self) -> u64 {
        self.locators.len() as u64
    }

    /// One chunk's plaintext, authenticated.
    pub async fn chunk(&self, index: u64) -> Result<Vec<u8>> {
        let locator = self
            .locators
            .get(index as usize)
            .ok_or_else(|| Error::invalid_argument(format!("the file has no chunk {index}")))?;
        let plain_len = chunk_len(self.size, self.chunk_size, index);
        let sealed_len = self.codec.sealed_len(plain_len);
        let sealed = self.store.get_range(&ChunkLocator(locator.clone()), 0..sealed_len).await?;
        self.codec.open_chunk(index, plain_len, &sealed)
    }
}
