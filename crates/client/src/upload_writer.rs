//! Uploads whose bytes arrive in order and are not all at hand: an HTTP
//! request body, a pipe. The bytes are hashed as they pass, each chunk is
//! sent as soon as it is full, and a few chunks at most are in flight, so
//! memory stays bounded whatever the size. Nothing is visible in the tree
//! before [`UploadWriter::finish`] commits; a writer dropped unfinished
//! aborts its session.

use bytes::{Bytes, BytesMut};
use cordvault_core::range::chunk_len;
use cordvault_proto::v1 as pb;
use tokio::task::JoinSet;

use crate::client::{Client, required};
use crate::error::from_status;
use crate::upload::UploadOptions;
use crate::{Error, Result};

/// Chunks sent but not yet acknowledged, at most.
const IN_FLIGHT: usize = 4;

/// A running upload fed in order; see the module documentation.
pub struct UploadWriter {
    manager: Client,
    /// Where chunks go: the manager or an upload worker.
    target: Client,
    upload_id: String,
    size: u64,
    chunk_size: u64,
    next_index: u64,
    buffer: BytesMut,
    received: u64,
    hasher: ring::digest::Context,
    in_flight: JoinSet<Result<()>>,
    finished: bool,
}

impl Client {
    /// Opens an upload of exactly `size` bytes to `remote`, to be fed with
    /// [`UploadWriter::write`].
    pub async fn upload_writer(&self, remote: &str, size: u64, options: &UploadOptions) -> Result<UploadWriter> {
        let request = pb::StartUploadRequest {
            path: remote.into(),
            size,
            conflict_policy: options.conflict.code(),
            mime_type: options.mime_type.clone(),
            ..Default::default()
        };
        let started = self.transfer_service()?.start_upload(request).await.map_err(from_status)?.into_inner();
        let target = self.chunk_target(&started.upload_endpoint, &started.upload_token)?;
        Ok(UploadWriter {
            manager: self.clone(),
            target,
            upload_id: started.upload_id,
            size,
            chunk_size: started.chunk_size.max(1),
            next_index: 0,
            buffer: BytesMut::new(),
            received: 0,
            hasher: ring::digest::Context::new(&ring::digest::SHA256),
            in_flight: JoinSet::new(),
            finished: false,
        })
    }
}

impl UploadWriter {
    /// Bytes taken so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Takes the next bytes of the file.
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        let end = self.received + data.len() as u64;
        if end > self.size {
            return Err(Error::invalid_argument(format!("more bytes than the {} announced", self.size)));
        }
        self.hasher.update(data);
        self.received = end;
        let mut data = data;
        while !data.is_empty() {
            let want = chunk_len(self.size, self.chunk_size, self.next_index) as usize;
            let take = (want - self.buffer.len()).min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buffer.len() == want {
                let chunk = self.buffer.split().freeze();
                self.send(chunk).await?;
            }
        }
        Ok(())
    }

    async fn send(&mut self, data: Bytes) -> Result<()> {
        while self.in_flight.len() >= IN_FLIGHT {
            self.settle_one().await?;
        }
        let request = pb::PutChunkRequest { upload_id: self.upload_id.clone(), chunk_index: self.next_index, data };
        self.next_index += 1;
        let mut transfer = self.target.transfer_service()?;
        self.in_flight.spawn(async move {
            transfer.put_chunk(request).await.map_err(from_status)?;
            Ok(())
        });
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<()> {
        match self.in_flight.join_next().await {
            Some(joined) => joined.map_err(|err| Error::internal(format!("chunk upload task failed: {err}")))?,
            None => Ok(()),
        }
    }

    /// Waits for every chunk and makes the file visible.
    pub async fn finish(mut self) -> Result<pb::Entry> {
        if self.received != self.size {
            return Err(Error::invalid_argument(format!(
                "the upload ended after {} of {} bytes",
                self.received, self.size
            )));
        }
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        let sha256 = hex::encode(self.hasher.clone().finish().as_ref());
        let commit = pb::CommitUploadRequest { upload_id: self.upload_id.clone(), sha256 };
        let committed = self.manager.transfer_service()?.commit_upload(commit).await.map_err(from_status)?;
        self.finished = true;
        required(committed.into_inner().entry, "entry")
    }
}

impl Drop for UploadWriter {
    /// An unfinished upload gives its session back at once instead of
    /// holding quota until it expires.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.in_flight.abort_all();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let Ok(mut transfer) = self.manager.transfer_service() else { return };
        let request = pb::AbortUploadRequest { upload_id: self.upload_id.clone() };
        runtime.spawn(async move {
            if let Err(status) = transfer.abort_upload(request).await {
                tracing::debug!(error = %status.message(), "aborting an unfinished upload failed");
            }
        });
    }
}
