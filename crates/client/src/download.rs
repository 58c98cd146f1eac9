//! Downloads: byte ranges over one Read stream, resumable file downloads.

use std::path::Path;

use cordvault_proto::v1 as pb;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::client::Client;
use crate::error::{from_status, io};
use crate::upload::{Progress, ProgressFn};
use crate::{Error, Result};

/// A Read stream on one file: ask for any ranges, one after another.
pub struct RemoteReader {
    requests: mpsc::Sender<pb::ReadRequest>,
    responses: tonic::Streaming<pb::ReadResponse>,
    entry: pb::Entry,
    /// The first answer arrives with the stream; it belongs to the first range.
    first: Option<pb::ReadResponse>,
    /// Offset of the next piece of the range in progress.
    expected: Option<u64>,
}

impl RemoteReader {
    pub fn entry(&self) -> &pb::Entry {
        &self.entry
    }

    pub fn size(&self) -> u64 {
        self.entry.size
    }

    /// Reads `length` bytes from `offset` (0 reads to the end; cut at the end).
    pub async fn read(&mut self, offset: u64, length: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.start_range(offset, length).await?;
        while let Some(piece) = self.next_piece().await? {
            out.extend_from_slice(&piece);
        }
        Ok(out)
    }

    /// Asks for a range; then call [`RemoteReader::next_piece`] until it
    /// returns None.
    pub async fn start_range(&mut self, offset: u64, length: u64) -> Result<()> {
        if self.expected.is_some() {
            return Err(Error::failed_precondition("the previous range is not finished"));
        }
        if self.first.is_none() {
            let request = pb::ReadRequest { path: String::new(), offset, length };
            if self.requests.send(request).await.is_err() {
                return Err(self.closing_error().await);
            }
        }
        self.expected = Some(offset);
        Ok(())
    }

    /// Why the server closed the stream, when it said so.
    async fn closing_error(&mut self) -> Error {
        match self.responses.message().await {
            Err(status) => from_status(status),
            Ok(_) => Error::unavailable("the read stream closed"),
        }
    }

    /// The next piece of the current range, in order; None once it is complete.
    pub async fn next_piece(&mut self) -> Result<Option<bytes::Bytes>> {
        let Some(expected) = self.expected else {
            return Ok(None);
        };
        let response = match self.first.take() {
            Some(response) => response,
            None => self
                .responses
                .message()
                .await
                .map_err(from_status)?
                .ok_or_else(|| Error::unavailable("the read stream ended early"))?,
        };
        if response.offset != expected {
            return Err(Error::data_loss(format!("expected data at {expected}, got {}", response.offset)));
        }
        let next = expected + response.data.len() as u64;
        self.expected = if response.range_end { None } else { Some(next) };
        if response.range_end && response.data.is_empty() {
            return Ok(None);
        }
        Ok(Some(response.data))
    }
}

#[derive(Clone, Default)]
pub struct DownloadOptions {
    /// Only these bytes: (offset, length; 0 = to the end).
    pub range: Option<(u64, u64)>,
    /// Continue a partial local file instead of starting over.
    pub resume: bool,
    pub progress: Option<ProgressFn>,
}

#[derive(Debug, Clone)]
pub struct DownloadReport {
    pub entry: pb::Entry,
    /// Bytes this call fetched.
    pub bytes_fetched: u64,
    /// Bytes the local file already held (resume).
    pub bytes_kept: u64,
}

impl Client {
    /// Opens a Read stream on `remote`, starting with the range (offset, length).
    async fn open_at(&self, remote: &str, offset: u64, length: u64) -> Result<RemoteReader> {
        let (requests, outbound) = mpsc::channel(4);
        requests
            .send(pb::ReadRequest { path: remote.into(), offset, length })
            .await
            .map_err(|_| Error::internal("read request queue closed"))?;
        let mut responses =
            self.transfer_service()?.read(ReceiverStream::new(outbound)).await.map_err(from_status)?.into_inner();
        let first = responses
            .message()
            .await
            .map_err(from_status)?
            .ok_or_else(|| Error::unavailable("the read stream ended before any data"))?;
        let entry = first.entry.clone().ok_or_else(|| Error::internal("the first read answer lacks the entry"))?;
        Ok(RemoteReader { requests, responses, entry, first: Some(first), expected: None })
    }

    /// A reader whose first range is the whole first byte (cheap to open).
    pub async fn open_reader(&self, remote: &str) -> Result<RemoteReader> {
        let mut reader = self.open_at(remote, 0, 1).await?;
        // Consume the opening range so the reader starts clean.
        reader.read(0, 1).await?;
        Ok(reader)
    }

    /// Reads one range of a file.
    pub async fn read_range(&self, remote: &str, offset: u64, length: u64) -> Result<Vec<u8>> {
        let mut reader = self.open_at(remote, offset, length).await?;
        reader.read(offset, length).await
    }

    /// Downloads `remote` into `local`, optionally a range, optionally
    /// resuming. A resumed file that turns out not to match (the local part
    /// came from other content) is downloaded again from the start.
    pub async fn download_to(&self, remote: &str, local: &Path, options: &DownloadOptions) -> Result<DownloadReport> {
        match self.download_once(remote, local, options).await {
            Err(err) if err.code == crate::ErrorCode::DataLoss && options.resume && options.range.is_none() => {
                tracing::warn!(error = %err, "resumed download does not match; starting over");
                let fresh = DownloadOptions { resume: false, ..options.clone() };
                self.download_once(remote, local, &fresh).await
            }
            result => result,
        }
    }

    async fn download_once(&self, remote: &str, local: &Path, options: &DownloadOptions) -> Result<DownloadReport> {
        let entry = self.stat(remote).await?;
        let kept = match (options.resume, options.range) {
            (true, None) => match tokio::fs::metadata(local).await {
                Ok(meta) if meta.len() <= entry.size => meta.len(),
                _ => 0,
            },
            _ => 0,
        };
        let (offset, length) = options.range.unwrap_or((kept, 0));
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(kept == 0)
            .append(kept > 0)
            .open(local)
            .await
            .map_err(|err| io(&format!("cannot write {}", local.display()), err))?;
        let total = match length {
            0 => entry.size.saturating_sub(offset),
            length => length.min(entry.size.saturating_sub(offset)),
        };
        let mut fetched = 0u64;
        if total > 0 {
            let mut reader = self.open_at(remote, offset, length).await?;
            reader.start_range(offset, length).await?;
            while let Some(piece) = reader.next_piece().await? {
                file.write_all(&piece).await.map_err(|err| io("writing the local file failed", err))?;
                fetched += piece.len() as u64;
                if let Some(progress) = &options.progress {
                    progress(Progress { done: kept + fetched, total: kept + total });
                }
            }
        }
        file.flush().await.map_err(|err| io("writing the local file failed", err))?;
        if options.range.is_none() {
            verify_sha256(local, &entry.sha256).await?;
        }
        Ok(DownloadReport { entry, bytes_fetched: fetched, bytes_kept: kept })
    }
}

async fn verify_sha256(local: &Path, expected: &str) -> Result<()> {
    let path = local.to_owned();
    let actual = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let read = file.read(&mut buf)?;
            if read == 0 {
                return Ok(hex::encode(context.finish().as_ref()));
            }
            context.update(&buf[..read]);
        }
    })
    .await
    .map_err(|err| Error::internal(err.to_string()))?
    .map_err(|err| io("re-reading the download failed", err))?;
    if actual != expected {
        return Err(Error::data_loss(format!("downloaded file has SHA-256 {actual}, the server says {expected}")));
    }
    Ok(())
}
