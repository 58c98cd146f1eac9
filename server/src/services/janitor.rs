//! Background clean-up: idle upload sessions and WebDAV locks expire, and
//! contents nobody uses any more lose their chunks in the store.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cordvault_core::Result;
use cordvault_store::{ChunkLocator, ChunkStore, StoreError};

use super::trash::Trash;
use super::uploads::Uploads;
use crate::db::Db;

pub struct Janitor {
    db: Db,
    store: Arc<dyn ChunkStore>,
    uploads: Arc<Uploads>,
    trash: Trash,
    /// Objects younger than this are spared by the orphan sweep: their
    /// record may still be on its way.
    orphan_grace: Duration,
    /// Listing a whole store is expensive on Discord: at most once per grace period.
    last_unrecorded_sweep: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Janitor {
    pub fn new(
        db: Db,
        store: Arc<dyn ChunkStore>,
        uploads: Arc<Uploads>,
        trash: Trash,
        orphan_grace: Duration,
    ) -> Self {
        Janitor { db, store, uploads, trash, orphan_grace, last_unrecorded_sweep: std::sync::Mutex::default() }
    }

    /// One pass: expire idle sessions and old trash, purge unused contents and orphan copies.
    pub async fn sweep(&self) -> Result<()> {
        self.trash.purge_expired().await?;
        let now = self.uploads.clock().now_ms();
        let expired_locks = self.db.delete_expired_locks(now).await?;
        if expired_locks > 0 {
            tracing::debug!(expired_locks, "expired locks deleted");
        }
        for upload_id in self.db.expired_uploads(now).await? {
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
        self.sweep_unrecorded().await
    }

    /// Deletes store objects no chunk record names: left by a crash between
    /// a store write and its record (a worker or the manager killed, a lost
    /// answer). Objects are listed before records are read, so a record that
    /// lands meanwhile is seen.
    async fn sweep_unrecorded(&self) -> Result<()> {
        {
            let mut last = self.last_unrecorded_sweep.lock().expect("sweep lock");
            if last.is_some_and(|last| last.elapsed() < self.orphan_grace) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        let objects = self.store.list().await.map_err(cordvault_core::Error::from)?;
        if objects.is_empty() {
            return Ok(());
        }
        let recorded: HashSet<String> = self.db.all_locators().await?.into_iter().collect();
        let cutoff = SystemTime::now() - self.orphan_grace;
        for object in objects {
            if recorded.contains(&object.locator.0) || object.stored_at > cutoff {
                continue;
            }
            self.delete_object(&object.locator.0).await?;
            tracing::info!(locator = %object.locator, "deleted an unrecorded chunk");
        }
        Ok(())
    }

    async fn delete_object(&self, locator: &str) -> Result<()> {
        match self.store.delete(&ChunkLocator(locator.to_owned())).await {
            Ok(()) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}
