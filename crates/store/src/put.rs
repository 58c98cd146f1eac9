//! Putting one chunk of an upload into a store: checked against the upload's
//! size, sealed off the async runtime, written. The manager and the upload
//! worker both take chunks from clients, and both store them this way.

use bytes::Bytes;
use cordvault_core::chunk::{ChunkCodec, seal_id};
use cordvault_core::range::check_chunk;
use cordvault_core::{Error, Result};

use crate::{ChunkLocator, ChunkStore};

/// An upload's shape, as far as one chunk needs it.
#[derive(Debug, Clone, Copy)]
pub struct UploadShape {
    pub size: u64,
    pub chunk_size: u64,
}

/// A chunk written to the store, not yet recorded anywhere.
#[derive(Debug, Clone)]
pub struct StoredChunk {
    pub locator: ChunkLocator,
    pub sealed_size: u64,
    /// The seal's id; None for plain chunks.
    pub seal_id: Option<String>,
}

/// Checks that `data` is chunk `index` of the upload, seals it and writes it.
pub async fn seal_and_put(
    store: &dyn ChunkStore,
    codec: &ChunkCodec,
    shape: UploadShape,
    index: u64,
    data: Bytes,
) -> Result<StoredChunk> {
    check_chunk(shape.size, shape.chunk_size, index, data.len() as u64)?;
    let codec = codec.clone();
    // Sealing a chunk of many MiB is CPU work: keep it off the async workers.
    let sealed = tokio::task::spawn_blocking(move || codec.seal(index, &data))
        .await
        .map_err(|err| Error::internal(format!("sealing task failed: {err}")))?;
    let sealed_size = sealed.len() as u64;
    let seal_id = seal_id(&sealed);
    let locator = store.put(Bytes::from(sealed)).await?;
    Ok(StoredChunk { locator, sealed_size, seal_id })
}
