//! Open files: reads stream ahead of the client, writes are staged and
//! uploaded when the handle closes.
//!
//! russh-sftp answers one request at a time, so a read that waited for the
//! manager each time would crawl: a reader keeps one Read stream running
//! from the last offset to the end of the file and answers sequential
//! requests from it; a jump elsewhere starts a new stream there.
//!
//! Writes may come in any order and at any offset (resumed uploads,
//! clients that write in parallel), so they go to a temporary file of
//! bounded size and become one upload session at close. Nothing is visible
//! in the tree before the upload commits: a gateway killed mid-upload
//! leaves no half-written file. The temporary file has no name, so the
//! system removes it however the gateway ends, kill -9 included.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::BytesMut;
use cordvault_client::proto as pb;
use cordvault_client::{Client, ConflictPolicy, RemoteReader, UploadOptions};
use cordvault_sftp::{FileKind, FsError, Metadata, SftpFile};

use super::metadata::{metadata, now};
use crate::errors::sftp_status;

/// Where writes wait for their upload, and how much one file may stage.
#[derive(Debug, Clone)]
pub struct StagingArea {
    dir: PathBuf,
    max_file_bytes: u64,
}

impl StagingArea {
    pub fn new(dir: impl Into<PathBuf>, max_file_bytes: u64) -> Self {
        Self { dir: dir.into(), max_file_bytes }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A file opened through the gateway.
pub enum ApiFile {
    Reading(Box<Reading>),
    Writing(Writing),
}

pub struct Reading {
    client: Client,
    path: String,
    entry: pb::Entry,
    /// The running Read stream, and the offset its next byte belongs to.
    stream: Option<(RemoteReader, u64)>,
    /// Bytes received from the stream but not yet asked for; they start
    /// at the stream's offset.
    ahead: BytesMut,
}

pub struct Writing {
    client: Client,
    path: String,
    staged: Arc<std::fs::File>,
    /// The end of the furthest write: the file's size.
    len: u64,
    max_len: u64,
    /// Every write goes to the end, whatever its offset (OpenSSH's reput).
    append: bool,
}

impl ApiFile {
    pub(crate) fn reading(client: Client, path: &str, entry: pb::Entry) -> ApiFile {
        ApiFile::Reading(Box::new(Reading {
            client,
            path: path.to_owned(),
            entry,
            stream: None,
            ahead: BytesMut::new(),
        }))
    }

    /// A file to write; `keep` is the existing file whose bytes it starts
    /// with (opened without truncation, e.g. to resume an upload).
    pub(crate) async fn writing(
        client: Client,
        path: &str,
        keep: Option<pb::Entry>,
        append: bool,
        staging: &StagingArea,
    ) -> Result<ApiFile, FsError> {
        let staged = tempfile::tempfile_in(&staging.dir).map_err(|err| {
            tracing::warn!(dir = %staging.dir.display(), error = %err, "cannot create a staging file");
            FsError::Failure("the gateway cannot stage uploads".to_owned())
        })?;
        let mut writing = Writing {
            client,
            path: path.to_owned(),
            staged: Arc::new(staged),
            len: 0,
            max_len: staging.max_file_bytes,
            append: false,
        };
        if let Some(existing) = keep.filter(|entry| entry.size > 0) {
            if existing.size > staging.max_file_bytes {
                return Err(too_large(staging.max_file_bytes));
            }
            writing.copy_existing().await?;
        }
        writing.append = append;
        Ok(ApiFile::Writing(writing))
    }
}

fn too_large(limit: u64) -> FsError {
    FsError::Failure(format!("file too large for this gateway (limit {limit} bytes)"))
}

impl Reading {
    async fn read_at(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FsError> {
        let size = self.entry.size;
        if offset >= size {
            return Ok(Vec::new());
        }
        let want = (len as u64).min(size - offset) as usize;
        if self.stream.as_ref().is_none_or(|(_, at)| *at != offset) {
            self.restart_at(offset).await?;
        }
        let Some((reader, at)) = self.stream.as_mut() else { unreachable!("restart_at sets the stream") };
        // Fill the whole request: a short answer would make the client ask
        // for the rest after requests it already sent, out of order.
        while self.ahead.len() < want {
            match reader.next_piece().await.map_err(sftp_status)? {
                Some(piece) => self.ahead.extend_from_slice(&piece),
                None => break,
            }
        }
        let n = want.min(self.ahead.len());
        let data = self.ahead.split_to(n).to_vec();
        *at += n as u64;
        Ok(data)
    }

    async fn restart_at(&mut self, offset: u64) -> Result<(), FsError> {
        self.stream = None;
        self.ahead.clear();
        let mut reader = self.client.open_reader(&self.path).await.map_err(sftp_status)?;
        reader.start_range(offset, 0).await.map_err(sftp_status)?;
        self.stream = Some((reader, offset));
        Ok(())
    }
}

impl Writing {
    /// Starts the staged file with the bytes the remote file has now.
    async fn copy_existing(&mut self) -> Result<(), FsError> {
        let mut reader = self.client.open_reader(&self.path).await.map_err(sftp_status)?;
        reader.start_range(0, 0).await.map_err(sftp_status)?;
        while let Some(piece) = reader.next_piece().await.map_err(sftp_status)? {
            self.write_at(self.len, piece.to_vec()).await?;
        }
        Ok(())
    }

    async fn write_at(&mut self, offset: u64, data: Vec<u8>) -> Result<(), FsError> {
        let offset = if self.append { self.len } else { offset };
        let end = offset.checked_add(data.len() as u64).ok_or_else(|| too_large(self.max_len))?;
        if end > self.max_len {
            return Err(too_large(self.max_len));
        }
        let staged = Arc::clone(&self.staged);
        tokio::task::spawn_blocking(move || staged.write_all_at(&data, offset))
            .await
            .map_err(|_| FsError::Failure("write failed".to_owned()))?
            .map_err(|err| {
                tracing::warn!(error = %err, "writing a staging file failed");
                FsError::from_io(&err)
            })?;
        self.len = self.len.max(end);
        Ok(())
    }

    /// Uploads the staged bytes as one upload session, replacing an
    /// existing file of that name.
    async fn commit(self) -> Result<(), FsError> {
        let options = UploadOptions { conflict: ConflictPolicy::Overwrite, ..UploadOptions::default() };
        // A file written with gaps, or shorter than its furthest write, is
        // as long as its furthest write, as on a disk.
        let staged = Arc::clone(&self.staged);
        let len = self.len;
        let file = tokio::task::spawn_blocking(move || staged.set_len(len).and_then(|()| staged.try_clone()))
            .await
            .map_err(|_| FsError::Failure("staging failed".to_owned()))?
            .map_err(|err| FsError::from_io(&err))?;
        self.client.upload_open_file(file, &self.path, &options).await.map_err(sftp_status)?;
        tracing::info!(path = %self.path, bytes = self.len, "upload committed through the gateway");
        Ok(())
    }
}

impl SftpFile for ApiFile {
    async fn read_at(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FsError> {
        match self {
            ApiFile::Reading(reading) => reading.read_at(offset, len).await,
            ApiFile::Writing(_) => Err(FsError::PermissionDenied),
        }
    }

    async fn write_at(&mut self, offset: u64, data: Vec<u8>) -> Result<(), FsError> {
        match self {
            ApiFile::Writing(writing) => writing.write_at(offset, data).await,
            ApiFile::Reading(_) => Err(FsError::PermissionDenied),
        }
    }

    async fn metadata(&mut self) -> Result<Metadata, FsError> {
        match self {
            ApiFile::Reading(reading) => Ok(metadata(&reading.entry)),
            ApiFile::Writing(writing) => Ok(Metadata {
                kind: FileKind::File,
                size: writing.len,
                permissions: 0o644,
                modified: now(),
                accessed: now(),
            }),
        }
    }

    async fn close(self) -> Result<(), FsError> {
        match self {
            ApiFile::Reading(_) => Ok(()),
            ApiFile::Writing(writing) => writing.commit().await,
        }
    }
}
