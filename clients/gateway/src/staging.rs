//! Writes that may come in any order and at any offset (resumed uploads,
//! clients that write in parallel, ranged PUTs) go to a temporary file of
//! bounded size and become one upload session when the file is closed.
//! Nothing is visible in the tree before the upload commits: a gateway
//! killed mid-upload leaves no half-written file. The temporary file has
//! no name, so the system removes it however the gateway ends, kill -9
//! included.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cordvault_client::proto as pb;
use cordvault_client::{Client, ConflictPolicy, UploadOptions};
use cordvault_core::{Error, Result};

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

/// A file being written through the gateway.
pub struct StagedFile {
    client: Client,
    path: String,
    staged: Arc<std::fs::File>,
    /// The end of the furthest write: the file's size.
    len: u64,
    max_len: u64,
    /// Every write goes to the end, whatever its offset (OpenSSH's reput).
    append: bool,
}

fn too_large(limit: u64) -> Error {
    Error::resource_exhausted(format!("file too large for this gateway (limit {limit} bytes)"))
}

impl StagedFile {
    /// A file to write; `keep` is the existing file whose bytes it starts
    /// with (opened without truncation, e.g. to resume an upload).
    pub async fn create(
        client: Client,
        path: &str,
        keep: Option<&pb::Entry>,
        append: bool,
        staging: &StagingArea,
    ) -> Result<StagedFile> {
        let staged = tempfile::tempfile_in(&staging.dir).map_err(|err| {
            tracing::warn!(dir = %staging.dir.display(), error = %err, "cannot create a staging file");
            Error::unavailable("the gateway cannot stage uploads")
        })?;
        let mut file = StagedFile {
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
            file.copy_existing().await?;
        }
        file.append = append;
        Ok(file)
    }

    /// The file's size so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Starts the staged file with the bytes the remote file has now.
    async fn copy_existing(&mut self) -> Result<()> {
        let mut reader = self.client.open_reader(&self.path).await?;
        reader.start_range(0, 0).await?;
        while let Some(piece) = reader.next_piece().await? {
            self.write_at(self.len, piece.to_vec()).await?;
        }
        Ok(())
    }

    pub async fn write_at(&mut self, offset: u64, data: Vec<u8>) -> Result<()> {
        let offset = if self.append { self.len } else { offset };
        let end = offset.checked_add(data.len() as u64).ok_or_else(|| too_large(self.max_len))?;
        if end > self.max_len {
            return Err(too_large(self.max_len));
        }
        let staged = Arc::clone(&self.staged);
        tokio::task::spawn_blocking(move || staged.write_all_at(&data, offset))
            .await
            .map_err(|err| Error::internal(format!("staging write task failed: {err}")))?
            .map_err(|err| {
                tracing::warn!(error = %err, "writing a staging file failed");
                Error::unavailable(format!("the gateway cannot stage the upload: {err}"))
            })?;
        self.len = self.len.max(end);
        Ok(())
    }

    /// Uploads the staged bytes as one upload session, replacing an
    /// existing file of that name.
    pub async fn commit(self) -> Result<()> {
        let options = UploadOptions { conflict: ConflictPolicy::Overwrite, ..UploadOptions::default() };
        // A file written with gaps, or shorter than its furthest write, is
        // as long as its furthest write, as on a disk.
        let staged = Arc::clone(&self.staged);
        let len = self.len;
        let file = tokio::task::spawn_blocking(move || staged.set_len(len).and_then(|()| staged.try_clone()))
            .await
            .map_err(|err| Error::internal(format!("staging task failed: {err}")))?
            .map_err(|err| Error::unavailable(format!("the gateway cannot stage the upload: {err}")))?;
        self.client.upload_open_file(file, &self.path, &options).await?;
        tracing::info!(path = %self.path, bytes = self.len, "upload committed through the gateway");
        Ok(())
    }
}
