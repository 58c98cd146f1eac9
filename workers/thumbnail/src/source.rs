//! A job's file, read chunk by chunk straight from the chunk store.

use std::sync::Arc;

use cordvault_proto::worker::v1 as pb;
use cordvault_store::{ChunkStore, StoredFile};

use crate::render::Skip;

pub struct FileChunks(StoredFile);

impl FileChunks {
    pub fn new(store: Arc<dyn ChunkStore>, job: &pb::ThumbnailJob) -> Result<Self, Skip> {
        StoredFile::new(store, &job.data_key, job.size, job.chunk_size, job.chunk_locators.clone())
            .map(FileChunks)
            .map_err(|err| Skip(err.message))
    }

    pub fn size(&self) -> u64 {
        self.0.size()
    }

    pub fn chunk_count(&self) -> u64 {
        self.0.chunk_count()
    }

    /// One chunk's plaintext, authenticated.
    pub async fn chunk(&self, index: u64) -> Result<Vec<u8>, Skip> {
        self.0.chunk(index).await.map_err(|err| Skip(format!("cannot read chunk {index}: {}", err.message)))
    }

    /// The whole file; only for files the caller checked are small.
    pub async fn read_all(&self) -> Result<Vec<u8>, Skip> {
        let mut content = Vec::with_capacity(self.size() as usize);
        for index in 0..self.chunk_count() {
            content.extend_from_slice(&self.chunk(index).await?);
        }
        Ok(content)
    }
}
