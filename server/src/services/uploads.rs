//! Uploads: sessions, durable chunks in any order, atomic commit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cordvault_core::chunk::{ChunkCodec, check_seal};
use cordvault_core::crypto::{MasterKey, SecretKey};
use cordvault_core::fields::validate_sha256;
use cordvault_core::ids::UploadId;
use cordvault_core::path::{ConflictPolicy, TreePath};
use cordvault_core::range::{chunk_count, chunk_len};
use cordvault_core::{Error, Result};
use cordvault_store::{ChunkLocator, ChunkStore, StoredChunk, UploadShape, seal_and_put};

use super::access::{Caller, ensure_owns_upload, owns_upload};
use super::events::ChangeKind;
use super::hasher::ContentHasher;
use super::quotas::Needs;
use super::thumbnails::Thumbnails;
use super::tree::{EntryInfo, NamePlan, Tree};
use super::workers::{UploadRoute, WorkerRegistry};
use crate::db::Db;
use crate::db::chunks::ChunkRow;
use crate::db::uploads::{CommitTarget, ContentRow, NewContent, UploadRow};

/// An upload session as the API describes it.
pub struct UploadState {
    pub upload: UploadRow,
    pub content: ContentRow,
    pub path: TreePath,
    pub chunk_count: u64,
    pub resumed: bool,
    /// The worker that takes the chunks; None: this manager does.
    pub route: Option<UploadRoute>,
}

/// Where a new upload goes and what it holds, to find a session to resume.
struct SessionTarget<'a> {
    parent_id: i64,
    name: &'a str,
    size: i64,
    sha256: &'a str,
}

/// What this process keeps of a session besides the database row.
struct LiveUpload {
    codec: ChunkCodec,
    hasher: Mutex<ContentHasher>,
}

pub struct Uploads {
    db: Db,
    tree: Tree,
    store: Arc<dyn ChunkStore>,
    master: Option<MasterKey>,
    chunk_size: u64,
    idle_timeout: Duration,
    live: Mutex<HashMap<String, Arc<LiveUpload>>>,
    workers: Arc<WorkerRegistry>,
    thumbnails: Thumbnails,
}

const OCTET_STREAM: &str = "application/octet-stream";

/// What a client asks of StartUpload.
pub struct UploadRequest<'a> {
    pub path: &'a str,
    pub size: u64,
    /// Empty: the client hashes while it sends and tells at commit.
    pub sha256: &'a str,
    pub policy: ConflictPolicy,
    pub mime_type: &'a str,
    /// Empty, or a session of the caller's to resume.
    pub resume_upload_id: &'a str,
}

/// The SHA-256 the content must have: the one announced at start, the one
/// given at commit, or both when they agree.
fn expected_sha256<'a>(announced: &'a str, at_commit: &'a str) -> Result<&'a str> {
    if !at_commit.is_empty() {
        validate_sha256(at_commit)?;
    }
    match (announced, at_commit) {
        ("", "") => {
            Err(Error::invalid_argument("this upload started without a SHA-256, so CommitUpload must carry it"))
        }
        ("", given) => Ok(given),
        (announced, "") => Ok(announced),
        (announced, given) if announced == given => Ok(given),
        (announced, given) => {
            Err(Error::invalid_argument(format!("sha256 {given} is not the {announced} StartUpload announced")))
        }
    }
}

impl Uploads {
    pub fn new(
        tree: Tree,
        store: Arc<dyn ChunkStore>,
        master: Option<MasterKey>,
        chunk_size: u64,
        idle_timeout: Duration,
        workers: Arc<WorkerRegistry>,
        thumbnails: Thumbnails,
    ) -> Self {
        let db = tree.db().clone();
        Uploads { db, tree, store, master, chunk_size, idle_timeout, live: Mutex::default(), workers, thumbnails }
    }

    pub fn clock(&self) -> &cordvault_core::clock::Clock {
        self.tree.clock()
    }

    pub fn chunk_size(&self) -> u64 {
        self.chunk_size
    }

    fn expiry(&self) -> i64 {
        self.tree.clock().now_ms() + self.idle_timeout.as_millis() as i64
    }

    pub async fn start(&self, caller: &Caller, request: UploadRequest<'_>) -> Result<UploadState> {
        let UploadRequest { path, size, sha256, policy, mime_type, resume_upload_id } = request;
        let path = TreePath::parse(path)?;
        let name = path.file_name().ok_or_else(|| Error::invalid_argument("cannot upload to the root folder"))?;
        if !sha256.is_empty() {
            validate_sha256(sha256)?;
        }
        let size_i64 = i64::try_from(size).map_err(|_| Error::invalid_argument("size is too large"))?;
        let parent_path = path.parent();
        let parent = self.tree.resolve(&parent_path).await?;
        // Fail early on a taken name or a folder the caller may not add to;
        // commit decides again.
        let plan = self.tree.plan_name(caller, &parent_path, parent.row.id, name, policy, None).await?;
        if let NamePlan::Free(_) = plan {
            self.tree.ensure_can_create_in(caller, &parent, &parent_path).await?;
        }

        let target = SessionTarget { parent_id: parent.row.id, name, size: size_i64, sha256 };
        if let Some((upload, content)) = self.resumable(caller, &target, resume_upload_id).await? {
            let chunk_count = chunk_count(size, content.chunk_size as u64);
            let route = self.route(&upload, &content)?;
            return Ok(UploadState { upload, content, path, chunk_count, resumed: true, route });
        }
        let wrapped_key = match &self.master {
            Some(master) => master.wrap(&SecretKey::generate()),
            None => Vec::new(),
        };
        let now = self.tree.clock().now_ms();
        let mime_type = match mime_type {
            "" => mime_guess::from_path(name).first_or_octet_stream().essence_str().to_owned(),
            given => cordvault_core::media_type::validate_media_type(given)?,
        };
        let content = NewContent {
            size: size_i64,
            chunk_size: self.chunk_size as i64,
            sha256: sha256.to_owned(),
            wrapped_key,
            created_at: now,
        };
        let session = UploadRow {
            id: UploadId::random().into_string(),
            owner_id: caller.user_id,
            parent_id: parent.row.id,
            name: name.to_owned(),
            content_id: 0,
            conflict_policy: policy.code(),
            mime_type,
            expires_at: self.expiry(),
            created_at: now,
        };
        let needs = Needs { bytes: size, entries: matches!(plan, NamePlan::Free(_)) as u64, upload_sessions: 1 };
        let _quota = self.tree.quotas().reserve(caller, needs).await?;
        let (upload, content) = self.db.create_upload(content, session).await?;
        tracing::info!(upload_id = %upload.id, %path, size, user = %caller.username, "upload started");
        let route = self.route(&upload, &content)?;
        Ok(UploadState {
            upload,
            content,
            path,
            chunk_count: chunk_count(size, self.chunk_size),
            resumed: false,
            route,
        })
    }

    /// The caller's live session to resume: the one named, or else one for
    /// the same target and announced content.
    async fn resumable(
        &self,
        caller: &Caller,
        target: &SessionTarget<'_>,
        upload_id: &str,
    ) -> Result<Option<(UploadRow, ContentRow)>> {
        if upload_id.is_empty() {
            if target.sha256.is_empty() {
                return Ok(None);
            }
            let found = self
                .db
                .resumable_upload(
                    caller.user_id,
                    target.parent_id,
                    target.name,
                    target.size,
                    target.sha256,
                    self.tree.clock().now_ms(),
                )
                .await?;
            return Ok(found);
        }
        let Some(upload_id) = UploadId::parse(upload_id) else {
            return Err(Error::invalid_argument("resume_upload_id is not an upload id"));
        };
        // Another user's session is as good as gone: its id tells nothing.
        let found = self.db.upload(&upload_id).await?;
        let Some((upload, content)) = found.filter(|(upload, _)| owns_upload(caller, upload.owner_id)) else {
            return Ok(None);
        };
        if upload.expires_at <= self.tree.clock().now_ms() {
            return Ok(None);
        }
        if upload.parent_id != target.parent_id || upload.name != target.name || content.size != target.size {
            return Err(Error::invalid_argument(format!("upload {upload_id} is for another path or size")));
        }
        if !target.sha256.is_empty() && !content.sha256.is_empty() && target.sha256 != content.sha256 {
            return Err(Error::invalid_argument(format!("upload {upload_id} announced another SHA-256")));
        }
        Ok(Some((upload, content)))
    }

    /// Hands the upload (and its data key) to a worker, if one is connected.
    fn route(&self, upload: &UploadRow, content: &ContentRow) -> Result<Option<UploadRoute>> {
        let data_key = ChunkCodec::for_content(self.master.as_ref(), &content.wrapped_key)?.data_key();
        let token_expiry = self.expiry();
        Ok(self.workers.route(&upload.id, content.size as u64, content.chunk_size as u64, &data_key, token_expiry))
    }

    /// Records a chunk a worker stored for `upload_id`.
    pub async fn record_worker_chunk(
        &self,
        upload_id: &str,
        index: u64,
        locator: &str,
        sealed_size: u64,
        seal_id: &str,
    ) -> Result<()> {
        let (_, content) = self.worker_upload(upload_id).await?;
        let (size, chunk_size) = (content.size as u64, content.chunk_size as u64);
        if index >= chunk_count(size, chunk_size) {
            return Err(Error::invalid_argument(format!("chunk {index} is out of range")));
        }
        let codec = ChunkCodec::for_content(self.master.as_ref(), &content.wrapped_key)?;
        let expected = codec.sealed_len(chunk_len(size, chunk_size, index));
        if sealed_size != expected {
            return Err(Error::invalid_argument(format!(
                "sealed chunk {index} is {sealed_size} bytes, not {expected}"
            )));
        }
        let seal_id = match (&codec, seal_id) {
            // From a worker that does not say: recorded without one, as before.
            (_, "") => None,
            (ChunkCodec::Sealed(_), id)
                if id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
            {
                Some(id.to_owned())
            }
            _ => {
                return Err(Error::invalid_argument(format!(
                    "seal id {seal_id:?} is not 16 lower-case hex digits of a sealed chunk"
                )));
            }
        };
        let row = ChunkRow {
            content_id: content.id,
            chunk_index: index as i64,
            locator: locator.to_owned(),
            sealed_size: sealed_size as i64,
            seal_id,
        };
        let replaced = self.db.record_chunk(upload_id, row, self.expiry()).await?;
        if replaced && let Some(live) = self.live.lock().expect("uploads lock").get(upload_id) {
            *live.hasher.lock().expect("hasher lock") = ContentHasher::default();
        }
        Ok(())
    }

    /// QueryUpload on behalf of the worker serving the upload.
    pub async fn query_for_worker(&self, upload_id: &str) -> Result<(UploadState, Vec<u64>)> {
        let (upload, content) = self.worker_upload(upload_id).await?;
        self.describe(upload, content).await
    }

    async fn worker_upload(&self, upload_id: &str) -> Result<(UploadRow, ContentRow)> {
        let Some(id) = UploadId::parse(upload_id) else {
            return Err(Error::not_found("no upload has this upload_id"));
        };
        let found = self.db.upload(&id).await?;
        found.ok_or_else(|| {
            Error::not_found(format!("upload {upload_id} does not exist (committed, aborted or expired)"))
        })
    }

    async fn describe(&self, upload: UploadRow, content: ContentRow) -> Result<(UploadState, Vec<u64>)> {
        let durable = self.db.durable_chunks(content.id).await?.into_iter().map(|index| index as u64).collect();
        let path = self.upload_path(&upload).await?;
        let chunk_count = chunk_count(content.size as u64, content.chunk_size as u64);
        Ok((UploadState { upload, content, path, chunk_count, resumed: true, route: None }, durable))
    }

    /// The caller's session, with what this process caches of it.
    async fn session(&self, caller: &Caller, upload_id: &str) -> Result<(UploadRow, ContentRow, Arc<LiveUpload>)> {
        let missing = || Error::not_found(format!("upload {upload_id} does not exist (committed, aborted or expired)"));
        if upload_id.is_empty() {
            return Err(Error::invalid_argument("upload_id is required"));
        }
        let Some(id) = UploadId::parse(upload_id) else {
            return Err(Error::not_found("no upload has this upload_id"));
        };
        let (upload, content) = self.db.upload(&id).await?.ok_or_else(missing)?;
        ensure_owns_upload(caller, upload.owner_id, upload_id)?;
        if let Some(live) = self.live.lock().expect("uploads lock").get(upload_id) {
            return Ok((upload, content, live.clone()));
        }
        let codec = ChunkCodec::for_content(self.master.as_ref(), &content.wrapped_key)?;
        let live = Arc::new(LiveUpload { codec, hasher: Mutex::default() });
        let live = self.live.lock().expect("uploads lock").entry(upload_id.to_owned()).or_insert(live).clone();
        Ok((upload, content, live))
    }

    /// Stores one chunk durably and records it; returns once both are done.
    pub async fn put_chunk(&self, caller: &Caller, upload_id: &str, index: u64, data: Bytes) -> Result<()> {
        let (upload, content, live) = self.session(caller, upload_id).await?;
        let shape = UploadShape { size: content.size as u64, chunk_size: content.chunk_size as u64 };
        let stored = seal_and_put(self.store.as_ref(), &live.codec, shape, index, data.clone()).await?;
        let StoredChunk { locator, sealed_size, seal_id } = stored;
        let row = ChunkRow {
            content_id: content.id,
            chunk_index: index as i64,
            locator: locator.0.clone(),
            sealed_size: sealed_size as i64,
            seal_id,
        };
        let replaced = match self.db.record_chunk(&upload.id, row, self.expiry()).await {
            Ok(replaced) => replaced,
            Err(err) => {
                // Not recorded: the object must not linger in the store.
                if let Err(cleanup) = self.store.delete(&locator).await {
                    tracing::warn!(error = %cleanup, %locator, "could not delete an unrecorded chunk");
                }
                return Err(err.into());
            }
        };
        let mut hasher = live.hasher.lock().expect("hasher lock");
        if replaced {
            // The hash may have taken the old copy: start over at commit.
            *hasher = ContentHasher::default();
        } else {
            hasher.offer(index, data);
        }
        Ok(())
    }

    pub async fn query(&self, caller: &Caller, upload_id: &str) -> Result<(UploadState, Vec<u64>)> {
        let (upload, content, _) = self.session(caller, upload_id).await?;
        self.describe(upload, content).await
    }

    async fn upload_path(&self, upload: &UploadRow) -> Result<TreePath> {
        let mut names = Vec::new();
        for id in self.db.ancestry(upload.parent_id).await?.into_iter().skip(1) {
            let entry = self.db.entry(id).await?.ok_or_else(|| Error::not_found("the upload's folder was deleted"))?;
            names.push(entry.row.name);
        }
        names.push(upload.name.clone());
        TreePath::parse(&format!("/{}", names.join("/")))
    }

    /// Makes the upload a file: every chunk present, SHA-256 matching.
    pub async fn commit(&self, caller: &Caller, upload_id: &str, sha256: &str) -> Result<EntryInfo> {
        let (mut upload, content, live) = self.session(caller, upload_id).await?;
        let expected = expected_sha256(&content.sha256, sha256)?;
        let count = chunk_count(content.size as u64, content.chunk_size as u64);
        let durable = self.db.durable_chunks(content.id).await?;
        if durable.len() as u64 != count {
            return Err(Error::failed_precondition(format!(
                "{} of {count} chunks are missing; send them, then commit",
                count - durable.len() as u64
            )));
        }
        let digest = self.finish_hash(&content, &live).await?;
        if digest != expected {
            self.forget(upload_id);
            return Err(Error::invalid_argument(format!(
                "content SHA-256 is {digest}, not the announced {expected}; upload it again"
            )));
        }
        if upload.mime_type == OCTET_STREAM
            && let Some(sniffed) = self.sniff_mime_type(&content, &live.codec).await?
        {
            upload.mime_type = sniffed;
        }
        let path = self.upload_path(&upload).await?;
        let parent = path.parent();
        let policy = ConflictPolicy::from_code(upload.conflict_policy)
            .map_err(|err| Error::internal(format!("stored upload: {}", err.message)))?;
        let target = match self.tree.plan_name(caller, &parent, upload.parent_id, &upload.name, policy, None).await? {
            NamePlan::Free(name) => {
                // A share may have been withdrawn since the session started.
                let folder = self
                    .db
                    .entry(upload.parent_id)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("{parent} vanished")))?;
                self.tree.ensure_can_create_in(caller, &folder, &parent).await?;
                CommitTarget::New { name }
            }
            NamePlan::Replace(existing) => CommitTarget::Overwrite(existing),
        };
        let change = match target {
            CommitTarget::New { .. } => ChangeKind::Added,
            CommitTarget::Overwrite(_) => ChangeKind::Modified,
        };
        let entry_id = match self.db.commit_upload(&upload, &content, expected, count as i64, target).await {
            Err(err) if err.is_unique_violation() => {
                return Err(Error::already_exists(format!("{path} was created meanwhile; commit again")));
            }
            result => result?,
        };
        self.forget(upload_id);
        let view = self.db.entry(entry_id).await?.ok_or_else(|| Error::not_found("the committed file vanished"))?;
        let path = parent.join(&view.row.name)?;
        tracing::info!(%upload_id, %path, size = content.size, "upload committed");
        let info = EntryInfo { path, view };
        self.tree.announce(change, &info, None).await;
        self.thumbnails.queue(content.id, &upload.mime_type).await;
        Ok(info)
    }

    /// The MIME type the first bytes reveal (magic numbers), for files whose
    /// name told nothing.
    async fn sniff_mime_type(&self, content: &ContentRow, codec: &ChunkCodec) -> Result<Option<String>> {
        if content.size == 0 {
            return Ok(None);
        }
        let chunks = self.db.chunks_of(content.id).await?;
        let Some(first) = chunks.first() else {
            return Ok(None);
        };
        let plaintext = self.read_back(content, codec, first).await?;
        Ok(infer::get(&plaintext).map(|kind| kind.mime_type().to_owned()))
    }

    /// Completes the whole-file hash, reading back what was not hashed on the way.
    async fn finish_hash(&self, content: &ContentRow, live: &LiveUpload) -> Result<String> {
        let mut hasher = std::mem::take(&mut *live.hasher.lock().expect("hasher lock"));
        let count = chunk_count(content.size as u64, content.chunk_size as u64);
        if hasher.next_index() < count {
            let chunks = self.db.chunks_of(content.id).await?;
            for index in hasher.next_index()..count {
                let plaintext = match hasher.take_pending(index) {
                    Some(plaintext) => plaintext,
                    None => self.read_back(content, &live.codec, &chunks[index as usize]).await?,
                };
                hasher.feed_next(&plaintext);
            }
        }
        Ok(hasher.finish_hex())
    }

    async fn read_back(&self, content: &ContentRow, codec: &ChunkCodec, chunk: &ChunkRow) -> Result<Bytes> {
        let index = chunk.chunk_index as u64;
        let plain_len = chunk_len(content.size as u64, content.chunk_size as u64, index);
        let sealed = self
            .store
            .get_range(&ChunkLocator(chunk.locator.clone()), 0..chunk.sealed_size as u64)
            .await
            .map_err(Error::from)?;
        check_seal(&sealed, chunk.seal_id.as_deref(), index)?;
        Ok(Bytes::from(codec.open_chunk(index, plain_len, &sealed)?))
    }

    pub async fn abort(&self, caller: &Caller, upload_id: &str) -> Result<()> {
        self.session(caller, upload_id).await?;
        self.db.drop_upload(upload_id).await?;
        self.forget(upload_id);
        tracing::info!(%upload_id, "upload aborted");
        Ok(())
    }

    /// Drops what this process caches of a session.
    pub fn forget(&self, upload_id: &str) {
        self.live.lock().expect("uploads lock").remove(upload_id);
        self.workers.release(upload_id);
    }
}
