//! Discord data packages, the dumpus-api service: packages submitted by
//! link, a queue with a standard and a premium lane, jobs handed to
//! analysis workers one per free slot, and the sealed results.
//!
//! A package's key (the `upn` of its link) opens its result, so it is
//! never written anywhere: the database knows packages by id (the key's
//! MD5) and their links without the key. Keys live in this process's
//! memory from the moment a caller presents one — at submission, and on
//! every later call, since each call is authorised by its key — until the
//! package is processed, fails or is deleted. A job whose key a restart
//! lost waits in the queue until its owner's next call (dumpus clients
//! poll their status every second) brings the key back.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use bytes::{Bytes, BytesMut};
use cordvault_core::chunk::ChunkCodec;
use cordvault_core::clock::Clock;
use cordvault_core::crypto::MasterKey;
use cordvault_core::package::{DISCORD_LINK_PREFIX, PackageId, PackageKey};
use cordvault_core::path::TreePath;
use cordvault_core::ticket::{TicketHolder, TicketKey, TicketPurpose};
use cordvault_core::{Error, Result};
use cordvault_proto::worker::v1::StoredZip;
use cordvault_store::{ChunkStore, UploadShape, seal_and_put};
use futures::{Stream, StreamExt};
use tokio::sync::{Notify, Semaphore, mpsc};

use super::access::{Caller, ensure_can_read};
use super::rate_limit::{RateLimiter, RatePolicy};
use super::reads::content_chunks;
use super::tree::Tree;
use crate::db::Db;
use crate::db::packages::{PackageChunk, PackageRow, PackageSource, QueueCounts, STEP_ANALYZING, STEP_DOWNLOADING};

/// Jobs that failed this often (worker crashed, timed out) are errored.
const MAX_ATTEMPTS: i32 = 3;
/// How often an idle slot looks for work queued by another manager replica,
/// or whose key came back.
const POLL: Duration = Duration::from_secs(1);
/// Which made-up statistics the demo package holds.
const DEMO_SEED: u64 = 2023;
/// A Discord key is at least this long.
const MIN_DISCORD_KEY: usize = 500;
/// Unfinished packages a user may have submitted as uploads or stored files.
const MAX_UNFINISHED_PER_USER: i64 = 3;
/// Zips streamed into this manager at once; more are refused, to be retried.
const CONCURRENT_UPLOADS: usize = 4;
/// An upload that sends nothing for this long is dropped.
const UPLOAD_IDLE: Duration = Duration::from_secs(60);
/// Keys held at most: beyond this, a package waits for its owner's next call.
const MAX_KEYS: usize = 100_000;
/// Links an address may submit: 10 at once, then one every 6 seconds.
/// Each queues a download; nobody has a reason to send more.
const SUBMISSIONS: RatePolicy = RatePolicy { burst: 10, refill: Duration::from_secs(6) };

/// The codes dumpus clients know, beside cordvault's own.
pub const INVALID_LINK: &str = "INVALID_LINK";
pub const UNKNOWN_ERROR: &str = "UNKNOWN_ERROR";
pub const PACKAGE_TOO_LARGE: &str = "PACKAGE_TOO_LARGE";
/// A worker's answer for a failure worth another attempt.
pub const RETRY: &str = "RETRY";

#[derive(Debug, Clone)]
pub struct PackageConfig {
    /// Where Discord links are fetched from: Discord's click host, or a
    /// server that behaves like it in tests.
    pub click_base: String,
    /// Link prefixes accepted besides Discord's.
    pub allowlist: Vec<String>,
    pub max_package_bytes: u64,
    /// Largest result the manager stores.
    pub max_result_bytes: usize,
    /// How long a worker's claim lasts without renewal.
    pub lease: Duration,
    /// How long one job may take before it counts as stuck.
    pub job_timeout: Duration,
    /// Bot tokens for looking up users and guilds (DISCORD_BOT_TOKEN).
    pub discord_tokens: Vec<String>,
    /// Another Discord API base, such as the emulator.
    pub discord_api_base: Option<String>,
}

impl Default for PackageConfig {
    fn default() -> Self {
        PackageConfig {
            click_base: "https://click.discord.com".into(),
            allowlist: Vec::new(),
            max_package_bytes: 32 * 1024 * 1024 * 1024,
            max_result_bytes: 256 * 1024 * 1024,
            lease: Duration::from_secs(30),
            job_timeout: Duration::from_secs(4 * 3600),
            discord_tokens: Vec::new(),
            discord_api_base: None,
        }
    }
}

/// A submitted link, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageLink {
    pub key: PackageKey,
    pub source: LinkSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkSource {
    /// `https://click.discord.com/ls/click?upn=<key>`.
    Discord,
    /// An allow-listed link; the key is the base64 of its path, which this
    /// template holds as `{path}`.
    Allowed { template: String },
}

impl PackageLink {
    /// The link dumpus accepts: Discord's, or one starting with an
    /// allow-listed prefix (whose key is the base64 of its path, as the
    /// original derives it).
    pub fn parse(link: &str, allowlist: &[String]) -> Option<PackageLink> {
        if let Some(key) = link.strip_prefix(DISCORD_LINK_PREFIX) {
            let valid = key.len() >= MIN_DISCORD_KEY
                && key.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_'));
            if valid {
                return Some(PackageLink { key: PackageKey::parse(key).ok()?, source: LinkSource::Discord });
            }
        }
        if !allowlist.iter().any(|prefix| !prefix.is_empty() && link.starts_with(prefix.as_str())) {
            return None;
        }
        let uri: http::Uri = link.parse().ok()?;
        let (scheme, authority) = (uri.scheme_str()?, uri.authority()?);
        if !matches!(scheme, "http" | "https") {
            return None;
        }
        let path = uri.path().trim_matches('/');
        let key = base64::engine::general_purpose::STANDARD.encode(path);
        let query = uri.query().map(|query| format!("?{query}")).unwrap_or_default();
        let template = format!("{scheme}://{authority}/{{path}}{query}");
        Some(PackageLink { key: PackageKey::parse(&key).ok()?, source: LinkSource::Allowed { template } })
    }

    fn stored_source(&self) -> PackageSource {
        match &self.source {
            LinkSource::Discord => PackageSource { kind: "discord", ..PackageSource::default() },
            LinkSource::Allowed { template } => {
                PackageSource { kind: "link", link: Some(template.clone()), ..PackageSource::default() }
            }
        }
    }
}

/// The download URL of a queued package, rebuilt from its key.
fn download_url(row: &PackageRow, key: &PackageKey, click_base: &str) -> Result<String> {
    match (row.source_kind.as_str(), &row.source_link) {
        ("discord", _) => Ok(format!("{}/ls/click?upn={}", click_base.trim_end_matches('/'), key.expose())),
        ("link", Some(template)) => {
            let path = base64::engine::general_purpose::STANDARD
                .decode(key.expose())
                .ok()
                .and_then(|path| String::from_utf8(path).ok())
                .ok_or_else(|| Error::internal("a link package's key is not the base64 of its path"))?;
            Ok(template.replace("{path}", &path))
        }
        _ => Err(Error::internal(format!("package source {} has no link", row.source_kind))),
    }
}

/// What a submission gives back, as `POST /process` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    Accepted { package_id: PackageId, queued: bool },
    InvalidLink,
}

/// A package's state for its owner.
#[derive(Debug, Clone)]
pub struct PackageStatus {
    pub row: PackageRow,
    pub queue: QueueCounts,
}

/// A job as an analysis worker receives it.
#[derive(Debug, Clone)]
pub struct PackageJob {
    pub package_id: String,
    pub key: PackageKey,
    /// Where the zip is: a link, or chunks in the store.
    pub link: String,
    pub stored: Option<StoredZip>,
    pub max_package_bytes: u64,
}

/// The chunk store, for zips uploaded or already stored.
#[derive(Clone)]
pub struct PackageStorage {
    pub tree: Tree,
    pub store: Arc<dyn ChunkStore>,
    pub master: Option<MasterKey>,
    pub chunk_size: u64,
}

/// What the manager sends an analysis worker.
#[derive(Debug, Clone)]
pub enum ToAnalysisWorker {
    Job(PackageJob),
    Cancel { package_id: String },
}

/// What an analysis worker answers, per package.
#[derive(Debug, Clone)]
pub enum PackageAnswer {
    Progress { package_id: String, step: String },
    Piece { package_id: String, data: Bytes },
    Done { package_id: String, iv: String, size: u64, error_code: String },
}

impl PackageAnswer {
    fn package_id(&self) -> &str {
        match self {
            PackageAnswer::Progress { package_id, .. }
            | PackageAnswer::Piece { package_id, .. }
            | PackageAnswer::Done { package_id, .. } => package_id,
        }
    }
}

/// A connected analysis worker as the queue drives it.
pub struct AnalysisSlots {
    pub worker_id: String,
    pub capacity: u32,
    /// Jobs and cancels go out here; closed once the worker is gone.
    pub jobs: mpsc::Sender<ToAnalysisWorker>,
    /// The worker's answers; ends when the worker disconnects.
    pub answers: mpsc::Receiver<PackageAnswer>,
}

type Waiters = Arc<Mutex<HashMap<String, mpsc::Sender<PackageAnswer>>>>;

#[derive(Clone)]
pub struct Packages {
    db: Db,
    storage: PackageStorage,
    uploads: Arc<Semaphore>,
    submissions: RateLimiter,
    tickets: TicketKey,
    clock: Clock,
    config: Arc<PackageConfig>,
    keys: Arc<Mutex<HashMap<PackageId, PackageKey>>>,
    /// Packages this manager's slots are working on: a signal stops each.
    running: Arc<Mutex<HashMap<String, mpsc::Sender<()>>>>,
    queued: Arc<Notify>,
    /// The demo package's database, gzipped, made on first use.
    demo: Arc<tokio::sync::OnceCell<Bytes>>,
}

impl Packages {
    pub fn new(storage: PackageStorage, config: PackageConfig, tickets: TicketKey, clock: Clock) -> Packages {
        Packages {
            db: storage.tree.db().clone(),
            storage,
            uploads: Arc::new(Semaphore::new(CONCURRENT_UPLOADS)),
            submissions: RateLimiter::new("package submissions", SUBMISSIONS, clock.clone()),
            tickets,
            clock,
            config: Arc::new(config),
            keys: Arc::default(),
            running: Arc::default(),
            queued: Arc::new(Notify::new()),
            demo: Arc::default(),
        }
    }

    /// The demo package (unencrypted: it holds nobody's data), the same on
    /// every manager.
    pub async fn demo(&self) -> Result<Bytes> {
        let demo = self
            .demo
            .get_or_try_init(|| async {
                let made = tokio::task::spawn_blocking(|| cordvault_analysis_worker::demo::demo_gzipped(DEMO_SEED))
                    .await
                    .map_err(|err| Error::internal(format!("the demo task failed: {err}")))?;
                made.map(Bytes::from).map_err(|err| Error::internal(format!("cannot make the demo package: {err}")))
            })
            .await?;
        Ok(demo.clone())
    }

    pub fn config(&self) -> &PackageConfig {
        &self.config
    }

    /// Queues the package a link names, unless it is queued, running or
    /// processed already (an errored one is queued again). `peer` is the
    /// caller's address, for the rate limit.
    pub async fn submit_link(&self, link: &str, peer: Option<IpAddr>) -> Result<Submitted> {
        self.submissions.take(peer)?;
        let Some(link) = PackageLink::parse(link.trim(), &self.config.allowlist) else {
            return Ok(Submitted::InvalidLink);
        };
        let source = link.stored_source();
        let (package_id, queued) = self.queue(link.key, source).await?;
        Ok(Submitted::Accepted { package_id, queued })
    }

    /// Queues a zip the caller streams, under a key the client made: each
    /// chunk is sealed under a key derived from the package key and
    /// written to the chunk store as it arrives, so memory holds one chunk.
    /// The zip stays only until the analysis ends or the package is deleted.
    pub async fn upload(
        &self,
        caller: &Caller,
        key: &str,
        size: u64,
        mut pieces: impl Stream<Item = Result<Bytes>> + Unpin,
    ) -> Result<(PackageId, bool)> {
        let key = PackageKey::parse_client_made(key)?;
        if size == 0 {
            return Err(Error::invalid_argument("the zip is empty: send its size in the first message"));
        }
        self.check_size(size)?;
        let package_id = key.package_id();
        if let Some(row) = self.db.package(package_id.as_str()).await?
            && !row.errored
        {
            // Already queued, running or processed: nothing more to read.
            if row.in_queue() {
                self.remember(&package_id, key);
            }
            return Ok((package_id, false));
        }
        self.ensure_room_for(caller).await?;
        let _permit = self
            .uploads
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::resource_exhausted("too many package uploads at once; try again shortly"))?;
        let mut written = Vec::new();
        let stored = self.store_zip(&key, size, &mut pieces, &mut written).await;
        if let Err(err) = stored {
            // Nothing records these chunks: the janitor deletes them.
            let locators = written.into_iter().map(|chunk| chunk.locator).collect();
            if let Err(orphaned) = self.db.queue_orphans(locators).await {
                tracing::warn!(error = %orphaned, "cannot hand a broken-off upload's chunks to the janitor");
            }
            return Err(err);
        }
        tracing::info!(package_id = %package_id, bytes = size, chunks = written.len(), "package zip uploaded");
        let source = PackageSource {
            kind: "upload",
            chunks: written,
            owner_id: Some(caller.user_id),
            ..PackageSource::default()
        };
        self.queue(key, source).await
    }

    /// Writes the streamed zip to the store; the chunks written so far go
    /// into `written`, whether it succeeds or not.
    async fn store_zip(
        &self,
        key: &PackageKey,
        size: u64,
        pieces: &mut (impl Stream<Item = Result<Bytes>> + Unpin),
        written: &mut Vec<PackageChunk>,
    ) -> Result<()> {
        let chunk_size = self.storage.chunk_size;
        let codec = ChunkCodec::from_data_key(&key.stored_zip_key())?;
        let shape = UploadShape { size, chunk_size };
        let mut chunk = BytesMut::with_capacity(chunk_size as usize);
        let mut received = 0u64;
        loop {
            let piece = tokio::time::timeout(UPLOAD_IDLE, pieces.next())
                .await
                .map_err(|_| Error::unavailable("the upload sent nothing for a minute; send it again"))?;
            let Some(piece) = piece else { break };
            let mut piece = piece?;
            received += piece.len() as u64;
            if received > size {
                return Err(Error::invalid_argument(format!("the zip is longer than the {size} bytes announced")));
            }
            while !piece.is_empty() {
                let take = piece.len().min(chunk_size as usize - chunk.len());
                chunk.extend_from_slice(&piece.split_to(take));
                if chunk.len() as u64 == chunk_size {
                    let index = written.len() as u64;
                    let stored =
                        seal_and_put(&*self.storage.store, &codec, shape, index, chunk.split().freeze()).await?;
                    written.push(PackageChunk { locator: stored.locator.0, plain_size: chunk_size as i64 });
                }
            }
        }
        if received != size {
            return Err(Error::invalid_argument(format!("the upload ended after {received} of {size} bytes")));
        }
        if !chunk.is_empty() {
            let (index, plain_size) = (written.len() as u64, chunk.len() as i64);
            let stored = seal_and_put(&*self.storage.store, &codec, shape, index, chunk.freeze()).await?;
            written.push(PackageChunk { locator: stored.locator.0, plain_size });
        }
        Ok(())
    }

    /// Queues a zip stored in cordvault that the caller may read, under a
    /// key the client made.
    pub async fn submit_stored(&self, caller: &Caller, path: &str, key: &str) -> Result<(PackageId, bool)> {
        let key = PackageKey::parse_client_made(key)?;
        let path = TreePath::parse(path)?;
        let view = self.storage.tree.resolve(&path).await?;
        let grants = self.storage.tree.grants(caller, &view.row).await?;
        ensure_can_read(caller, &view.row, grants, &path.to_string())?;
        let Some(content_id) = view.row.content_id.filter(|_| !view.row.is_folder) else {
            return Err(Error::failed_precondition(format!("{path} is a folder, not a zip")));
        };
        let content =
            self.db.content(content_id).await?.ok_or_else(|| Error::not_found(format!("{path} was deleted")))?;
        self.check_size(content.size as u64)?;
        self.ensure_room_for(caller).await?;
        let source = PackageSource {
            kind: "file",
            link: Some(content_id.to_string()),
            owner_id: Some(caller.user_id),
            ..PackageSource::default()
        };
        self.queue(key, source).await
    }

    fn check_size(&self, size: u64) -> Result<()> {
        let max = self.config.max_package_bytes;
        if size > max {
            return Err(Error::invalid_argument(format!("the zip is over the {max}-byte limit (PACKAGE_TOO_LARGE)")));
        }
        Ok(())
    }

    /// A user's uploads and stored files in the queue are limited, so that
    /// nobody fills the store or the queue.
    async fn ensure_room_for(&self, caller: &Caller) -> Result<()> {
        if self.db.unfinished_packages_of(caller.user_id).await? >= MAX_UNFINISHED_PER_USER {
            return Err(Error::resource_exhausted(format!(
                "you have {MAX_UNFINISHED_PER_USER} packages waiting already; wait for one to finish or delete one"
            )));
        }
        Ok(())
    }

    async fn queue(&self, key: PackageKey, source: PackageSource) -> Result<(PackageId, bool)> {
        let package_id = key.package_id();
        let kind = source.kind;
        let (row, queued) = self.db.submit_package(package_id.as_str(), source).await?;
        if row.in_queue() {
            self.remember(&package_id, key);
        }
        if queued {
            tracing::info!(package_id = %package_id, source = kind, "package queued");
            self.queued.notify_waiters();
        }
        Ok((package_id, queued))
    }

    /// Checks that `key` opens package `package_id`; keeps the key for the
    /// package's job while it is queued.
    pub fn authorize(&self, package_id: &str, key: Option<&str>) -> Result<(PackageId, PackageKey)> {
        let key =
            key.ok_or_else(|| Error::unauthenticated("present the package's key: Authorization: Bearer <key>"))?;
        let denied = || Error::permission_denied("this key does not open this package");
        let id = PackageId::parse(package_id).map_err(|_| denied())?;
        let key = PackageKey::parse(key).map_err(|_| denied())?;
        if !id.is_opened_by(&key) {
            return Err(denied());
        }
        Ok((id, key))
    }

    pub async fn status(&self, id: &PackageId, key: PackageKey) -> Result<PackageStatus> {
        let row = self.db.package(id.as_str()).await?.ok_or_else(|| Error::not_found("no such package"))?;
        if row.in_queue() {
            self.remember(id, key);
        }
        let queue = self.db.queue_counts(&row).await?;
        Ok(PackageStatus { row, queue })
    }

    /// Checks the package exists (keeping its key while it is queued),
    /// without the queue counts a status needs.
    pub async fn ensure_exists(&self, id: &PackageId, key: PackageKey) -> Result<()> {
        let row = self.db.package(id.as_str()).await?.ok_or_else(|| Error::not_found("no such package"))?;
        if row.in_queue() {
            self.remember(id, key);
        }
        Ok(())
    }

    /// The sealed result and its IV (hex).
    pub async fn result(&self, id: &PackageId) -> Result<(String, Vec<u8>)> {
        self.db.package_result(id.as_str()).await?.ok_or_else(|| Error::not_found("this package has no result (yet)"))
    }

    /// Deletes a package and its result, stopping its job if one runs here
    /// (a job on another manager stops when its lease fails to renew).
    pub async fn delete(&self, id: &PackageId) -> Result<bool> {
        let deleted = self.db.delete_package(id.as_str()).await?;
        self.keys.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        let stop = self.running.lock().unwrap_or_else(PoisonError::into_inner).remove(id.as_str());
        if let Some(stop) = stop {
            let _ = stop.try_send(());
        }
        if deleted {
            tracing::info!(package_id = %id, "package deleted");
        }
        Ok(deleted)
    }

    /// A URL capability for `/process/{id}/data`, valid for `ttl`: the
    /// `/blob` answer hands it out so the client fetches the result without
    /// its key in the URL.
    pub fn result_ticket(&self, id: &PackageId, ttl: Duration) -> String {
        let holder = TicketHolder { user_id: 0, token_version: 0 };
        let expires_at = self.clock.now_ms() + ttl.as_millis() as i64;
        self.tickets.sign(holder, TicketPurpose::PackageResult(id.as_str()), expires_at)
    }

    pub fn check_result_ticket(&self, id: &PackageId, ticket: &str) -> Result<()> {
        self.tickets.verify(ticket, TicketPurpose::PackageResult(id.as_str()), self.clock.now_ms()).map(|_| ())
    }

    pub async fn set_premium(&self, package_id: &str, premium: bool) -> Result<()> {
        let id = PackageId::parse(package_id)?;
        if !self.db.set_package_premium(id.as_str(), premium).await? {
            return Err(Error::not_found("no such package"));
        }
        Ok(())
    }

    fn remember(&self, id: &PackageId, key: PackageKey) {
        let newly = {
            let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            if keys.len() >= MAX_KEYS && !keys.contains_key(id) {
                tracing::warn!(package_id = %id, "too many package keys held; the package waits for its owner's next call");
                return;
            }
            keys.insert(id.clone(), key).is_none()
        };
        if newly {
            self.queued.notify_waiters();
        }
    }

    fn forget(&self, package_id: &str) {
        if let Ok(id) = PackageId::parse(package_id) {
            self.keys.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        }
    }

    fn key_of(&self, package_id: &str) -> Option<PackageKey> {
        let id = PackageId::parse(package_id).ok()?;
        self.keys.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned()
    }

    /// Feeds a connected analysis worker until it disconnects.
    pub async fn serve(&self, slots: AnalysisSlots) {
        let AnalysisSlots { worker_id, capacity, jobs, mut answers } = slots;
        let waiters: Waiters = Arc::default();
        let router = {
            let waiters = waiters.clone();
            async move {
                while let Some(answer) = answers.recv().await {
                    let waiter =
                        waiters.lock().unwrap_or_else(PoisonError::into_inner).get(answer.package_id()).cloned();
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(answer).await;
                    }
                }
            }
        };
        let slots = futures::future::join_all((0..capacity.max(1)).map(|_| self.run_slot(&worker_id, &jobs, &waiters)));
        tokio::select! {
            _ = router => {}
            _ = slots => {}
        }
        if let Err(err) = self.db.release_package_claims(&worker_id).await {
            tracing::warn!(%worker_id, error = %err, "cannot release package claims; their leases will end");
        }
    }

    async fn run_slot(&self, worker_id: &str, jobs: &mpsc::Sender<ToAnalysisWorker>, waiters: &Waiters) {
        loop {
            let queued = self.queued.notified();
            let claimed = match self.claim(worker_id).await {
                Ok(claimed) => claimed,
                Err(err) => {
                    tracing::warn!(%worker_id, error = %err, "cannot claim a package");
                    None
                }
            };
            let Some((row, key, attempts)) = claimed else {
                let _ = tokio::time::timeout(POLL, queued).await;
                if jobs.is_closed() {
                    return;
                }
                continue;
            };
            if attempts > MAX_ATTEMPTS {
                tracing::warn!(package_id = %row.package_id, attempts, "giving up on a package");
                self.fail(&row.package_id, UNKNOWN_ERROR).await;
                continue;
            }
            if !self.run_job(worker_id, row, key, jobs, waiters).await {
                return;
            }
        }
    }

    /// The first claimable package whose key this manager holds, claimed.
    async fn claim(&self, worker_id: &str) -> Result<Option<(PackageRow, PackageKey, i32)>> {
        for package_id in self.db.claimable_packages(100).await? {
            let Some(key) = self.key_of(&package_id) else { continue };
            let lease = self.config.lease.as_millis() as i64;
            let Some(attempts) = self.db.claim_package(&package_id, worker_id, lease).await? else { continue };
            let Some(row) = self.db.package(&package_id).await? else { continue };
            return Ok(Some((row, key, attempts)));
        }
        Ok(None)
    }

    /// Runs one claimed job; false when the worker is gone.
    async fn run_job(
        &self,
        worker_id: &str,
        row: PackageRow,
        key: PackageKey,
        jobs: &mpsc::Sender<ToAnalysisWorker>,
        waiters: &Waiters,
    ) -> bool {
        let package_id = row.package_id.clone();
        let job = match self.job_for(&row, key).await {
            Ok(job) => job,
            Err(code) => {
                self.fail(&package_id, code).await;
                return true;
            }
        };
        let (answer, mut answered) = mpsc::channel(16);
        waiters.lock().unwrap_or_else(PoisonError::into_inner).insert(package_id.clone(), answer);
        let (stop, mut stopped) = mpsc::channel(1);
        self.running.lock().unwrap_or_else(PoisonError::into_inner).insert(package_id.clone(), stop);
        let outcome = if jobs.send(ToAnalysisWorker::Job(job)).await.is_err() {
            JobEnd::WorkerGone
        } else {
            self.follow(worker_id, &package_id, &mut answered, &mut stopped).await
        };
        waiters.lock().unwrap_or_else(PoisonError::into_inner).remove(&package_id);
        self.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&package_id);
        match outcome {
            JobEnd::Finished => true,
            JobEnd::Stop => {
                let _ = jobs.send(ToAnalysisWorker::Cancel { package_id: package_id.clone() }).await;
                true
            }
            JobEnd::Retry => {
                let _ = jobs.send(ToAnalysisWorker::Cancel { package_id: package_id.clone() }).await;
                if let Err(err) = self.db.release_package(&package_id, worker_id).await {
                    tracing::warn!(%package_id, error = %err, "cannot release a package; its lease will end");
                }
                true
            }
            JobEnd::WorkerGone => false,
        }
    }

    /// The job for a claimed package; the error code to fail it with when
    /// its zip cannot be found.
    async fn job_for(&self, row: &PackageRow, key: PackageKey) -> std::result::Result<PackageJob, &'static str> {
        let package_id = row.package_id.as_str();
        let stored = match row.source_kind.as_str() {
            "upload" => self.db.package_chunks(package_id).await.map_err(Error::from).map(|chunks| {
                Some(StoredZip {
                    size: chunks.iter().map(|chunk| chunk.plain_size as u64).sum(),
                    chunk_size: chunks.first().map(|chunk| chunk.plain_size as u64).unwrap_or_default(),
                    data_key: key.stored_zip_key().to_vec().into(),
                    chunk_locators: chunks.into_iter().map(|chunk| chunk.locator).collect(),
                })
            }),
            "file" => {
                let content_id = row.source_link.as_deref().and_then(|id| id.parse().ok()).unwrap_or(-1);
                match content_chunks(&self.db, self.storage.master.as_ref(), content_id).await {
                    Ok(Some(content)) => Ok(Some(StoredZip {
                        size: content.size,
                        chunk_size: content.chunk_size,
                        data_key: content.data_key.into(),
                        chunk_locators: content.locators,
                    })),
                    // The file was deleted (and purged) since.
                    Ok(None) => return Err(INVALID_LINK),
                    Err(err) => Err(err),
                }
            }
            _ => Ok(None),
        };
        let stored = stored.map_err(|err| {
            tracing::warn!(%package_id, error = %err, "cannot prepare a package job");
            UNKNOWN_ERROR
        })?;
        let link = match stored {
            Some(_) => String::new(),
            None => download_url(row, &key, &self.config.click_base).map_err(|err| {
                tracing::warn!(%package_id, error = %err, "cannot prepare a package job");
                UNKNOWN_ERROR
            })?,
        };
        Ok(PackageJob {
            package_id: package_id.to_owned(),
            key,
            link,
            stored,
            max_package_bytes: self.config.max_package_bytes,
        })
    }

    /// Follows a job's answers until it ends, renewing the lease.
    async fn follow(
        &self,
        worker_id: &str,
        package_id: &str,
        answered: &mut mpsc::Receiver<PackageAnswer>,
        stopped: &mut mpsc::Receiver<()>,
    ) -> JobEnd {
        let deadline = tokio::time::Instant::now() + self.config.job_timeout;
        let mut renew = tokio::time::interval(self.config.lease / 3);
        let mut result = Vec::new();
        loop {
            let answer = tokio::select! {
                answer = answered.recv() => answer,
                _ = stopped.recv() => return JobEnd::Stop,
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(%package_id, %worker_id, "package job timed out");
                    return JobEnd::Retry;
                }
                _ = renew.tick() => {
                    let lease = self.config.lease.as_millis() as i64;
                    match self.db.renew_package_lease(package_id, worker_id, lease).await {
                        Ok(true) => continue,
                        // Deleted, or errored meanwhile: stop the worker.
                        Ok(false) => return JobEnd::Stop,
                        Err(err) => {
                            tracing::warn!(%package_id, error = %err, "cannot renew a package lease");
                            continue;
                        }
                    }
                }
            };
            let Some(answer) = answer else { return JobEnd::WorkerGone };
            match answer {
                PackageAnswer::Progress { step, .. } => {
                    let step = match step.as_str() {
                        "DOWNLOADING" => STEP_DOWNLOADING,
                        "ANALYZING" => STEP_ANALYZING,
                        _ => continue,
                    };
                    if let Ok(false) = self.db.set_package_step(package_id, worker_id, step).await {
                        return JobEnd::Stop;
                    }
                }
                PackageAnswer::Piece { data, .. } => {
                    if result.len() + data.len() > self.config.max_result_bytes {
                        tracing::warn!(%package_id, "package result over the limit");
                        self.fail(package_id, PACKAGE_TOO_LARGE).await;
                        return JobEnd::Stop;
                    }
                    result.extend_from_slice(&data);
                }
                PackageAnswer::Done { error_code, .. } if error_code == RETRY => return JobEnd::Retry,
                PackageAnswer::Done { error_code, .. } if !error_code.is_empty() => {
                    tracing::info!(%package_id, code = %error_code, "package analysis failed");
                    self.fail(package_id, known_code(&error_code)).await;
                    return JobEnd::Finished;
                }
                PackageAnswer::Done { iv, size, .. } => {
                    if size != result.len() as u64 || !is_iv(&iv) {
                        tracing::warn!(%package_id, size, got = result.len(), "a package result arrived short");
                        return JobEnd::Retry;
                    }
                    return match self.db.finish_package(package_id, worker_id, &iv, std::mem::take(&mut result)).await {
                        Ok(true) => {
                            tracing::info!(%package_id, bytes = size, "package processed");
                            self.forget(package_id);
                            JobEnd::Finished
                        }
                        Ok(false) => JobEnd::Finished,
                        Err(err) => {
                            tracing::warn!(%package_id, error = %err, "cannot store a package result");
                            JobEnd::Retry
                        }
                    };
                }
            }
        }
    }

    async fn fail(&self, package_id: &str, code: &str) {
        self.forget(package_id);
        if let Err(err) = self.db.fail_package(package_id, code).await {
            tracing::warn!(%package_id, error = %err, "cannot mark a package errored");
        }
    }
}

enum JobEnd {
    Finished,
    /// Deleted or failed here: the worker is told to stop.
    Stop,
    Retry,
    WorkerGone,
}

/// 16 bytes in lowercase hex, as dumpus clients expect an IV.
fn is_iv(iv: &str) -> bool {
    iv.len() == 32 && iv.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// A worker's error code, if it is one clients know; otherwise UNKNOWN_ERROR.
fn known_code(code: &str) -> &'static str {
    const KNOWN: &[&str] =
        &["EXPIRED_LINK", INVALID_LINK, "MISSING_USER_DATA", "INVALID_PACKAGE", PACKAGE_TOO_LARGE, UNKNOWN_ERROR];
    KNOWN.iter().find(|known| **known == code).copied().unwrap_or(UNKNOWN_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discord_link(key: &str) -> String {
        format!("{DISCORD_LINK_PREFIX}{key}")
    }

    #[test]
    fn links_as_dumpus_reads_them() {
        let key = "a-B.c_9".repeat(100);
        let link = PackageLink::parse(&discord_link(&key), &[]).unwrap();
        assert_eq!(link.key.expose(), key);
        assert_eq!(link.source, LinkSource::Discord);
        // Too short, a character outside the set, anything after, another host.
        assert_eq!(PackageLink::parse(&discord_link(&key[..499]), &[]), None);
        assert_eq!(PackageLink::parse(&discord_link(&format!("{key}/")), &[]), None);
        assert_eq!(PackageLink::parse(&format!("{}&x=1", discord_link(&key)), &[]), None);
        assert_eq!(PackageLink::parse(&format!("https://click.discord.co/ls/click?upn={key}"), &[]), None);

        let allow = vec!["https://files.example.org/packages/".to_owned()];
        let link = PackageLink::parse("https://files.example.org/packages/p-1.zip?sig=abc", &allow).unwrap();
        assert_eq!(link.key.expose(), base64::engine::general_purpose::STANDARD.encode("packages/p-1.zip"));
        let LinkSource::Allowed { template } = &link.source else { panic!("an allowed link") };
        assert_eq!(template, "https://files.example.org/{path}?sig=abc");
        assert_eq!(PackageLink::parse("https://files.example.org/other/p.zip", &allow), None);
        assert_eq!(PackageLink::parse("https://anything", &["".to_owned()]), None);
    }

    #[test]
    fn links_are_rebuilt_from_the_key_alone() {
        let allow = vec!["http://127.0.0.1:9/".to_owned()];
        let link = PackageLink::parse("http://127.0.0.1:9/a/b.zip?x=1", &allow).unwrap();
        let source = link.stored_source();
        assert!(!source.link.as_deref().unwrap().contains("a/b.zip"), "the stored link leaves the key out");
        let row = PackageRow {
            seq: 1,
            package_id: link.key.package_id().to_string(),
            premium: false,
            step: "LOCKED".into(),
            errored: false,
            error_code: None,
            source_kind: source.kind.into(),
            source_link: source.link,
            standard_total_when_joined: 0,
            premium_total_when_joined: 0,
            claimed_by: None,
            lease_until: None,
            attempts: 0,
            created_at: 0,
            updated_at: 0,
            owner_id: None,
        };
        assert_eq!(download_url(&row, &link.key, "unused").unwrap(), "http://127.0.0.1:9/a/b.zip?x=1");
        let discord = PackageRow { source_kind: "discord".into(), source_link: None, ..row };
        let key = PackageKey::parse("k").unwrap();
        assert_eq!(download_url(&discord, &key, "http://127.0.0.1:1/").unwrap(), "http://127.0.0.1:1/ls/click?upn=k");
    }
}
