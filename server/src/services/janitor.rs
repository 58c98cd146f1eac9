//! Background clean-up: idle upload sessions expire, and contents nobody
//! uses any more lose their chunks in the store.

use std::sync::Arc;

use cordvault_core::Result;
use cordvault_store::{ChunkLocator, ChunkStore, StoreError};

use super::uploads::Uploads;
use crate::db::{Db, now_ms};

pub struct Janitor {
    db: Db,
    store: Arc<dyn ChunkStore>,
    uploads: Arc<Uploads>,
}

impl Janitor {
    pub fn new(db: Db, store: Arc<dyn ChunkStore>, uploads: Arc<Uploads>) -> Self {
        Janitor { db, store, uploads }
    }

    /// One pass: expire idle sessions, purge unused contents and orphan copies.
    pub async fn sweep(&self) -> Result<()> {
        for upload_id in self.db.expired_uploads(now_ms()).await? {
            if self.db.drop_upload(&upload_id).await? {
                self.uploads.forget(&upload_id);
                tracing::info!(%upload_id, "idle upload session expired");
            }
        }
        loop {
            let batch = self.db.purge_batch().await?;
            if batch.is_empty() {
                break;
            }
            for content_id in batch {
                for chunk in self.db.chunks_of(content_id).await? {
                    self.delete_object(&chunk.locator).await?;
                }
                self.db.forget_content(content_id).await?;
                tracing::debug!(content_id, "content purged");
            }
        }
        for locator in self.db.orphan_batch().await? {
            self.delete_object(&locator).await?;
            self.db.forget_orphan(&locator).await?;
        }
        Ok(())
    }

    async fn delete_object(&self, locator: &str) -> Result<()> {
        match self.store.delete(&ChunkLocator(locator.to_owned())).await {
            Ok(()) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(err) => Err(super::store_error(err)),
        }
    }
}
