//! A job's file, read chunk by chunk straight from the chunk store.

use std::sync::Arc;

use cordvault_core::chunk::ChunkCodec;
use cordvault_core::range::{chunk_count, chunk_len};
use cordvault_proto::worker::v1 as pb;
use cordvault_store::{ChunkLocator, ChunkStore};

use crate::render::Skip;

pub struct FileChunks {
    store: Arc<dyn ChunkStore>,
    codec: ChunkCodec,
    size: u64,
    chunk_size: u64,
    locators: Vec<String>,
}

impl FileChunks {
    pub fn new(store: Arc<dyn ChunkStore>, job: &pb::ThumbnailJob) -> Result<Self, Skip> {
        let codec = ChunkCodec::from_data_key(&job.data_key).map_err(|err| Skip(err.to_string()))?;
        if job.chunk_size == 0 || chunk_count(job.size, job.chunk_size) != job.chunk_locators.len() as u64 {
            return Err(Skip("the job's chunk list does not match the file size".into()));
        }
        Ok(FileChunks {
            store,
            codec,
            size: job.size,
            chunk_size: job.chunk_size,
            locators: job.chunk_locators.clone(),
        })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn chunk_count(&self) -> u64 {
        self.locators.len() as u64
    }

    /// One chunk's plaintext, authenticated.
    pub async fn chunk(&self, index: u64) -> Result<Vec<u8>, Skip> {
        let plain_len = chunk_len(self.size, self.chunk_size, index);
        let sealed_len = self.codec.sealed_len(plain_len);
        let locator = ChunkLocator(self.locators[index as usize].clone());
        let sealed = self
            .store
            .get_range(&locator, 0..sealed_len)
            .await
            .map_err(|err| Skip(format!("cannot read chunk {index}: {err}")))?;
        self.codec.open_chunk(index, plain_len, &sealed).map_err(|err| Skip(err.message))
    }

    /// The whole file; only for files the caller checked are small.
    pub async fn read_all(&self) -> Result<Vec<u8>, Skip> {
        let mut content = Vec::with_capacity(self.size as usize);
        for index in 0..self.chunk_count() {
            content.extend_from_slice(&self.chunk(index).await?);
        }
        Ok(content)
    }
}
