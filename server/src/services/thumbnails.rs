//! Thumbnails: a queue of committed pictures and videos, handed to thumbnail
//! workers one job per free slot, and the stored results, served with the
//! file's read permission.
//!
//! The queue lives in the database, so jobs wait while no worker is
//! connected and survive restarts; a worker slot claims a job with a lease,
//! and a job whose worker vanished is claimed again when the lease ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordvault_core::crypto::MasterKey;
use cordvault_core::path::TreePath;
use cordvault_core::{Error, Result};
use tokio::sync::{Notify, mpsc, oneshot};

use super::access::{Caller, ensure_can_read};
use super::events::ChangeKind;
use super::reads::content_chunks;
use super::tree::{EntryInfo, Tree};
use crate::db::Db;
use crate::db::thumbnails::{ClaimedJob, ThumbnailRow};

/// How long a worker may take for one job before another may claim it.
const LEASE: Duration = Duration::from_secs(120);
/// Jobs that failed this often (worker crashed, timed out) are dropped.
const MAX_ATTEMPTS: i32 = 3;
/// How often an idle slot looks for work queued by another manager replica.
const POLL: Duration = Duration::from_secs(2);
/// Largest thumbnail the manager stores.
const MAX_THUMBNAIL_BYTES: usize = 2 * 1024 * 1024;

/// Whether files of this MIME type get a thumbnail.
pub fn wants_thumbnail(mime_type: &str) -> bool {
    mime_type.starts_with("image/") || mime_type.starts_with("video/")
}

/// A job as a worker receives it: where the chunks are and the key to open them.
#[derive(Debug, Clone)]
pub struct ThumbnailJob {
    pub content_id: i64,
    pub mime_type: String,
    pub size: u64,
    pub chunk_size: u64,
    /// Empty when encryption is disabled.
    pub data_key: Vec<u8>,
    pub chunk_locators: Vec<String>,
    pub max_width: u32,
}

/// What a worker made of a job.
#[derive(Debug, Clone)]
pub enum ThumbnailOutcome {
    Made {
        content_id: i64,
        mime_type: String,
        width: u32,
        height: u32,
        data: Vec<u8>,
    },
    /// No picture to show: corrupt, unsupported, or no ffmpeg for a video.
    Skipped {
        content_id: i64,
        reason: String,
    },
}

impl ThumbnailOutcome {
    fn content_id(&self) -> i64 {
        match self {
            ThumbnailOutcome::Made { content_id, .. } | ThumbnailOutcome::Skipped { content_id, .. } => *content_id,
        }
    }
}

/// A connected thumbnail worker as the queue drives it.
pub struct WorkerSlots {
    pub worker_id: String,
    pub capacity: u32,
    /// Jobs go out here; closed once the worker is gone.
    pub jobs: mpsc::Sender<ThumbnailJob>,
    /// The worker's answers; ends when the worker disconnects.
    pub outcomes: mpsc::Receiver<ThumbnailOutcome>,
}

#[derive(Clone)]
pub struct Thumbnails {
    db: Db,
    tree: Tree,
    master: Option<MasterKey>,
    max_width: u32,
    queued: Arc<Notify>,
}

type Waiters = Arc<Mutex<HashMap<i64, oneshot::Sender<ThumbnailOutcome>>>>;

impl Thumbnails {
    pub fn new(tree: Tree, master: Option<MasterKey>, max_width: u32) -> Self {
        Thumbnails { db: tree.db().clone(), tree, master, max_width, queued: Arc::new(Notify::new()) }
    }

    /// Queues a committed content; a failure is logged, never the commit's.
    pub async fn queue(&self, content_id: i64, mime_type: &str) {
        if !wants_thumbnail(mime_type) {
            return;
        }
        match self.db.queue_thumbnail(content_id, mime_type).await {
            Ok(()) => self.queued.notify_waiters(),
            Err(err) => tracing::warn!(content_id, error = %err, "cannot queue a thumbnail job"),
        }
    }

    /// The thumbnail of the file at `path`, for a caller who may read it.
    pub async fn by_path(&self, caller: &Caller, path: &str) -> Result<ThumbnailRow> {
        let path = TreePath::parse(path)?;
        let view = self.tree.resolve(&path).await?;
        self.readable_thumbnail(caller, EntryInfo { path, view }).await
    }

    /// The thumbnail of entry `entry_id`, for a caller who may read it.
    pub async fn by_entry_id(&self, caller: &Caller, entry_id: i64) -> Result<ThumbnailRow> {
        let not_found = || Error::not_found(format!("no file has id {entry_id}"));
        let path = self.db.entry_path(entry_id).await?.ok_or_else(not_found)?;
        let view = self.db.entry(entry_id).await?.ok_or_else(not_found)?;
        self.readable_thumbnail(caller, EntryInfo { path, view }).await
    }

    async fn readable_thumbnail(&self, caller: &Caller, info: EntryInfo) -> Result<ThumbnailRow> {
        let grants = self.tree.grants(caller, &info.view.row).await?;
        ensure_can_read(caller, &info.view.row, grants, &info.path.to_string())?;
        let none = || Error::not_found(format!("{} has no thumbnail", info.path));
        let content_id = info.view.row.content_id.ok_or_else(none)?;
        self.db.thumbnail(content_id).await?.ok_or_else(none)
    }

    /// Feeds a connected worker until it disconnects: one claimed job per
    /// slot at a time, each answer stored or the job dropped.
    pub async fn serve(&self, slots: WorkerSlots) {
        let WorkerSlots { worker_id, capacity, jobs, mut outcomes } = slots;
        let waiters: Waiters = Arc::default();
        let router = {
            let waiters = waiters.clone();
            async move {
                while let Some(outcome) = outcomes.recv().await {
                    let waiter = waiters.lock().expect("waiters lock").remove(&outcome.content_id());
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(outcome);
                    }
                }
            }
        };
        let slots = futures::future::join_all((0..capacity.max(1)).map(|_| self.run_slot(&worker_id, &jobs, &waiters)));
        // The worker is gone once its answers end; the slots stop with it.
        tokio::select! {
            _ = router => {}
            _ = slots => {}
        }
        if let Err(err) = self.db.release_thumbnail_claims(&worker_id).await {
            tracing::warn!(%worker_id, error = %err, "cannot release thumbnail claims; their leases will end");
        }
    }

    async fn run_slot(&self, worker_id: &str, jobs: &mpsc::Sender<ThumbnailJob>, waiters: &Waiters) {
        loop {
            // Registered before the claim, so a job queued in between is not missed.
            let queued = self.queued.notified();
            let claimed = match self.db.claim_thumbnail_job(worker_id, LEASE.as_millis() as i64).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(%worker_id, error = %err, "cannot claim a thumbnail job");
                    None
                }
            };
            let Some(claimed) = claimed else {
                let _ = tokio::time::timeout(POLL, queued).await;
                if jobs.is_closed() {
                    return;
                }
                continue;
            };
            if !self.run_job(worker_id, claimed, jobs, waiters).await {
                return;
            }
        }
    }

    /// Runs one claimed job; false when the worker is gone.
    async fn run_job(
        &self,
        worker_id: &str,
        claimed: ClaimedJob,
        jobs: &mpsc::Sender<ThumbnailJob>,
        waiters: &Waiters,
    ) -> bool {
        let content_id = claimed.content_id;
        if claimed.attempts > MAX_ATTEMPTS {
            tracing::warn!(content_id, attempts = claimed.attempts, "giving up on a thumbnail");
            self.finish(content_id).await;
            return true;
        }
        let job = match self.job(&claimed).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                self.finish(content_id).await;
                return true;
            }
            Err(err) => {
                tracing::warn!(content_id, error = %err, "cannot prepare a thumbnail job");
                return true;
            }
        };
        let (answer, answered) = oneshot::channel();
        waiters.lock().expect("waiters lock").insert(content_id, answer);
        if jobs.send(job).await.is_err() {
            return false;
        }
        match tokio::time::timeout(LEASE, answered).await {
            Ok(Ok(outcome)) => {
                self.record(outcome).await;
                true
            }
            Ok(Err(_)) => false,
            Err(_) => {
                tracing::warn!(%worker_id, content_id, "thumbnail worker timed out");
                waiters.lock().expect("waiters lock").remove(&content_id);
                true
            }
        }
    }

    /// The job for a claimed content, or None when the content is gone.
    async fn job(&self, claimed: &ClaimedJob) -> Result<Option<ThumbnailJob>> {
        let Some(content) = content_chunks(&self.db, self.master.as_ref(), claimed.content_id).await? else {
            return Ok(None);
        };
        Ok(Some(ThumbnailJob {
            content_id: claimed.content_id,
            mime_type: claimed.mime_type.clone(),
            size: content.size,
            chunk_size: content.chunk_size,
            data_key: content.data_key,
            chunk_locators: content.locators,
            max_width: self.max_width,
        }))
    }

    async fn record(&self, outcome: ThumbnailOutcome) {
        let (content_id, mime_type, width, height, data) = match outcome {
            ThumbnailOutcome::Skipped { content_id, reason } => {
                tracing::info!(content_id, %reason, "no thumbnail");
                self.finish(content_id).await;
                return;
            }
            ThumbnailOutcome::Made { content_id, mime_type, width, height, data } => {
                (content_id, mime_type, width, height, data)
            }
        };
        let acceptable = matches!(mime_type.as_str(), "image/webp" | "image/jpeg")
            && !data.is_empty()
            && data.len() <= MAX_THUMBNAIL_BYTES
            && (1..=self.max_width).contains(&width)
            && height >= 1;
        if !acceptable {
            tracing::warn!(content_id, %mime_type, width, height, bytes = data.len(), "refusing a malformed thumbnail");
            self.finish(content_id).await;
            return;
        }
        match self.db.store_thumbnail(content_id, &mime_type, width as i32, height as i32, data).await {
            Ok(true) => self.announce(content_id).await,
            Ok(false) => {}
            Err(err) => tracing::warn!(content_id, error = %err, "cannot store a thumbnail; it will be made again"),
        }
    }

    async fn finish(&self, content_id: i64) {
        if let Err(err) = self.db.finish_thumbnail_job(content_id).await {
            tracing::warn!(content_id, error = %err, "cannot drop a thumbnail job");
        }
    }

    /// Tells watchers the files showing this content changed: they have a thumbnail now.
    async fn announce(&self, content_id: i64) {
        let Ok(entry_ids) = self.db.entries_with_content(content_id).await else {
            return;
        };
        for entry_id in entry_ids {
            let (Ok(Some(path)), Ok(Some(view))) = (self.db.entry_path(entry_id).await, self.db.entry(entry_id).await)
            else {
                continue;
            };
            self.tree.announce(ChangeKind::Modified, &EntryInfo { path, view }, None).await;
        }
    }
}
