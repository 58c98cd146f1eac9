//! Uploads: N parallel chunk streams, automatic retry, and resume of an
//! interrupted upload (the server finds the open session by path, size and
//! SHA-256; only chunks it lacks are sent).

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cordvault_core::path::ConflictPolicy;
use cordvault_core::range::chunk_len;
use cordvault_core::retry::Backoff;
use cordvault_proto::v1 as pb;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::client::{Client, required};
use crate::error::{from_status, io};
use crate::{Error, ErrorCode, Result};

/// Between resumes of an interrupted upload: 200 ms doubling to 6.4 s.
const RESUME_BACKOFF: Backoff = Backoff { first: Duration::from_millis(200), ceiling: Duration::from_millis(6400) };

/// Progress of one transfer, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Clone)]
pub struct UploadOptions {
    /// Parallel chunk streams.
    pub streams: usize,
    pub conflict: ConflictPolicy,
    /// Empty: the server guesses from the name.
    pub mime_type: String,
    /// Retries after failures that may pass (server restart, network).
    pub max_retries: u32,
    /// How long a stream may wait for an acknowledgement before it gives
    /// up on its server (a hung worker) and the upload moves on.
    pub ack_timeout: Duration,
    pub progress: Option<ProgressFn>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            streams: 4,
            conflict: ConflictPolicy::Fail,
            mime_type: String::new(),
            max_retries: 8,
            ack_timeout: Duration::from_secs(60),
            progress: None,
        }
    }
}

/// What an upload did.
#[derive(Debug, Clone)]
pub struct UploadReport {
    pub entry: pb::Entry,
    pub upload_id: String,
    pub chunk_count: u64,
    /// Chunks the server already held when this upload began (resume).
    pub chunks_already_durable: u64,
    /// Chunk frames this call sent, retries included.
    pub chunks_sent: u64,
    pub resumed: bool,
    /// Each pass over the missing chunks, in order.
    pub attempts: Vec<UploadAttempt>,
}

/// One pass of an upload over the chunks still missing.
#[derive(Debug, Clone)]
pub struct UploadAttempt {
    /// The worker that took the chunks; empty: the manager itself.
    pub endpoint: String,
    /// Chunks durable when the pass began.
    pub durable_before: u64,
    /// Chunk frames sent in the pass.
    pub sent: u64,
}

/// Where the bytes come from.
#[derive(Clone)]
enum Source {
    File(Arc<std::fs::File>),
    Memory(Bytes),
}

impl Source {
    async fn read(&self, offset: u64, len: u64) -> Result<Bytes> {
        match self {
            Source::Memory(bytes) => Ok(bytes.slice(offset as usize..(offset + len) as usize)),
            Source::File(file) => {
                let file = file.clone();
                tokio::task::spawn_blocking(move || {
                    use std::os::unix::fs::FileExt;
                    let mut buf = vec![0u8; len as usize];
                    file.read_exact_at(&mut buf, offset)?;
                    Ok(Bytes::from(buf))
                })
                .await
                .map_err(|err| Error::internal(err.to_string()))?
                .map_err(|err| io("reading the local file failed", err))
            }
        }
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

/// Size and SHA-256 of a file, read at positions: the file's own offset
/// neither matters nor moves.
async fn file_sha256(file: Arc<std::fs::File>) -> Result<(u64, String)> {
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt;
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let read = match file.read_at(&mut buf, size) {
                Ok(0) => break,
                Ok(read) => read,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            size += read as u64;
            context.update(&buf[..read]);
        }
        Ok((size, hex::encode(context.finish().as_ref())))
    })
    .await
    .map_err(|err| Error::internal(err.to_string()))?
    .map_err(|err| io("reading the local file failed", err))
}

impl Client {
    /// Uploads a local file to `remote` (a path whose folder exists).
    pub async fn upload_file(&self, local: &Path, remote: &str, options: &UploadOptions) -> Result<UploadReport> {
        let file = std::fs::File::open(local).map_err(|err| io(&format!("cannot open {}", local.display()), err))?;
        self.upload_open_file(file, remote, options).await
    }

    /// Uploads an open file from its start, e.g. an unnamed temporary file
    /// that the system removes whatever way the process ends.
    pub async fn upload_open_file(
        &self,
        file: std::fs::File,
        remote: &str,
        options: &UploadOptions,
    ) -> Result<UploadReport> {
        let file = Arc::new(file);
        let (size, sha256) = file_sha256(file.clone()).await?;
        self.upload_source(Source::File(file), size, sha256, remote, options).await
    }

    /// Uploads bytes held in memory.
    pub async fn upload_bytes(&self, data: Bytes, remote: &str, options: &UploadOptions) -> Result<UploadReport> {
        let sha256 = sha256_hex(&data);
        self.upload_source(Source::Memory(data.clone()), data.len() as u64, sha256, remote, options).await
    }

    async fn upload_source(
        &self,
        source: Source,
        size: u64,
        sha256: String,
        remote: &str,
        options: &UploadOptions,
    ) -> Result<UploadReport> {
        let request = pb::StartUploadRequest {
            path: remote.into(),
            size,
            sha256,
            conflict_policy: options.conflict.code(),
            mime_type: options.mime_type.clone(),
            ..Default::default()
        };
        let first = self.transfer_service()?.start_upload(request.clone()).await.map_err(from_status)?.into_inner();
        let sent = Arc::new(AtomicU64::new(0));
        let mut attempts: Vec<UploadAttempt> = Vec::new();
        let mut started = Some(first.clone());
        let mut failures = 0;
        loop {
            let result =
                self.upload_attempt(&request, started.take(), &source, size, options, &sent, &mut attempts).await;
            match result {
                Ok(true) => break,
                Ok(false) => {}
                Err(err) if err.code.is_retryable() && failures < options.max_retries => {
                    failures += 1;
                    let pause = RESUME_BACKOFF.delay(failures);
                    tracing::warn!(error = %err, failures, "upload interrupted; resuming");
                    tokio::time::sleep(pause).await;
                }
                Err(err) => return Err(err),
            }
        }
        let commit = pb::CommitUploadRequest { upload_id: first.upload_id.clone(), sha256: request.sha256.clone() };
        let entry = self.transfer_service()?.commit_upload(commit).await.map_err(from_status)?.into_inner().entry;
        Ok(UploadReport {
            entry: required(entry, "entry")?,
            upload_id: first.upload_id,
            chunk_count: first.chunk_count,
            chunks_already_durable: attempts.first().map_or(first.chunk_count, |attempt| attempt.durable_before),
            chunks_sent: sent.load(Ordering::Relaxed),
            resumed: first.resumed,
            attempts,
        })
    }

    /// One pass: (re)start the session to learn where chunks go, ask which
    /// are durable, send the rest. Ok(true) once nothing is missing.
    #[allow(clippy::too_many_arguments)]
    async fn upload_attempt(
        &self,
        request: &pb::StartUploadRequest,
        started: Option<pb::StartUploadResponse>,
        source: &Source,
        size: u64,
        options: &UploadOptions,
        sent: &Arc<AtomicU64>,
        attempts: &mut Vec<UploadAttempt>,
    ) -> Result<bool> {
        let started = match started {
            Some(started) => started,
            // Starting again finds the same session and routes it afresh.
            None => self.transfer_service()?.start_upload(request.clone()).await.map_err(from_status)?.into_inner(),
        };
        let query = pb::QueryUploadRequest { upload_id: started.upload_id.clone() };
        let state = self.transfer_service()?.query_upload(query).await.map_err(from_status)?.into_inner();
        let missing = missing_chunks(state.chunk_count, &state.durable_chunks);
        if missing.is_empty() {
            if attempts.is_empty() {
                attempts.push(UploadAttempt {
                    endpoint: started.upload_endpoint,
                    durable_before: state.chunk_count,
                    sent: 0,
                });
            }
            return Ok(true);
        }
        let target = self.chunk_target(&started.upload_endpoint, &started.upload_token)?;
        let done = size - missing.iter().map(|&index| chunk_len(size, state.chunk_size, index)).sum::<u64>();
        let sent_before = sent.load(Ordering::Relaxed);
        let durable_before = state.durable_chunks.len() as u64;
        let result =
            target.send_chunks(&started.upload_id, source, size, state.chunk_size, missing, done, options, sent).await;
        attempts.push(UploadAttempt {
            endpoint: started.upload_endpoint.clone(),
            durable_before,
            sent: sent.load(Ordering::Relaxed) - sent_before,
        });
        match result {
            Ok(()) => Ok(false),
            // A worker that lost the upload, its key or its manager: go back
            // to the manager for a route.
            Err(err)
                if !started.upload_endpoint.is_empty()
                    && !matches!(
                        err.code,
                        ErrorCode::InvalidArgument | ErrorCode::NotFound | ErrorCode::PermissionDenied
                    ) =>
            {
                Err(Error::unavailable(format!("worker {}: {}", started.upload_endpoint, err.message)))
            }
            Err(err) => Err(err),
        }
    }

    /// Where chunks go: this server, or a worker with the upload token.
    pub(crate) fn chunk_target(&self, endpoint: &str, token: &str) -> Result<Client> {
        if endpoint.is_empty() {
            return Ok(self.clone());
        }
        Ok(self.for_endpoint(endpoint)?.with_token(token))
    }

    /// Sends `missing` over `options.streams` parallel Upload streams.
    #[allow(clippy::too_many_arguments)]
    async fn send_chunks(
        &self,
        upload_id: &str,
        source: &Source,
        size: u64,
        chunk_size: u64,
        missing: Vec<u64>,
        done: u64,
        options: &UploadOptions,
        sent: &Arc<AtomicU64>,
    ) -> Result<()> {
        let queue = Arc::new(Mutex::new(VecDeque::from(missing)));
        let done = Arc::new(AtomicU64::new(done));
        // No more streams than chunks to send.
        let streams = options.streams.clamp(1, 64).min(queue.lock().expect("queue lock").len().max(1));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..streams {
            let stream = ChunkStream {
                client: self.clone(),
                upload_id: upload_id.to_owned(),
                source: source.clone(),
                size,
                chunk_size,
                queue: queue.clone(),
                done: done.clone(),
                sent: sent.clone(),
                progress: options.progress.clone(),
                ack_timeout: options.ack_timeout,
            };
            tasks.spawn(stream.run());
        }
        let mut first_error = None;
        while let Some(result) = tasks.join_next().await {
            let result = result.map_err(|err| Error::internal(format!("upload task failed: {err}"))).and_then(|r| r);
            if let Err(err) = result {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn missing_chunks(chunk_count: u64, durable: &[u64]) -> Vec<u64> {
    let durable: std::collections::HashSet<u64> = durable.iter().copied().collect();
    (0..chunk_count).filter(|index| !durable.contains(index)).collect()
}

/// One Upload stream taking chunks from a shared queue.
struct ChunkStream {
    client: Client,
    upload_id: String,
    source: Source,
    size: u64,
    chunk_size: u64,
    queue: Arc<Mutex<VecDeque<u64>>>,
    done: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    progress: Option<ProgressFn>,
    ack_timeout: Duration,
}

/// Chunks one stream may have sent but not yet seen acknowledged.
const IN_FLIGHT_PER_STREAM: usize = 2;

impl ChunkStream {
    async fn run(self) -> Result<()> {
        let (frames, outbound) = mpsc::channel::<pb::UploadRequest>(1);
        let mut transfer = self.client.transfer_service()?;
        let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT_PER_STREAM));
        let feeder = {
            let (source, queue, sent, permits) =
                (self.source.clone(), self.queue.clone(), self.sent.clone(), permits.clone());
            let (upload_id, size, chunk_size) = (self.upload_id.clone(), self.size, self.chunk_size);
            tokio::spawn(async move {
                loop {
                    let permit = permits.acquire().await.map_err(|_| Error::internal("stream closed"))?;
                    permit.forget();
                    let next = queue.lock().expect("queue lock").pop_front();
                    let Some(index) = next else { return Ok(()) };
                    let len = chunk_len(size, chunk_size, index);
                    let data = source.read(index * chunk_size, len).await?;
                    let frame = pb::UploadRequest { upload_id: upload_id.clone(), chunk_index: index, data };
                    if frames.send(frame).await.is_err() {
                        // The stream broke; put the chunk back for the retry.
                        queue.lock().expect("queue lock").push_front(index);
                        return Ok(());
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let result = async {
            let mut acks = transfer.upload(ReceiverStream::new(outbound)).await.map_err(from_status)?.into_inner();
            loop {
                let ack = tokio::time::timeout(self.ack_timeout, acks.message())
                    .await
                    .map_err(|_| Error::unavailable("no acknowledgement in time; the server seems stuck"))?
                    .map_err(from_status)?;
                let Some(ack) = ack else { break };
                let len = chunk_len(self.size, self.chunk_size, ack.chunk_index);
                let done = self.done.fetch_add(len, Ordering::Relaxed) + len;
                if let Some(progress) = &self.progress {
                    progress(Progress { done, total: self.size });
                }
                permits.add_permits(1);
            }
            Ok::<_, Error>(())
        }
        .await;
        feeder.abort();
        if let Ok(Err(err)) = feeder.await {
            return Err(err);
        }
        result
    }
}
