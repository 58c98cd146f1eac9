//! Open files: reads stream ahead of the client (see `read_ahead`), writes
//! are staged and uploaded when the handle closes (see `staging`).

use cordvault_client::Client;
use cordvault_client::proto as pb;
use cordvault_sftp::{FileKind, FsError, Metadata, SftpFile};

use super::metadata::{metadata, now};
use crate::errors::sftp_status;
use crate::read_ahead::ReadAhead;
use crate::staging::{StagedFile, StagingArea};

/// A file opened through the gateway.
pub enum ApiFile {
    Reading(Box<ReadAhead>),
    Writing(StagedFile),
}

impl ApiFile {
    pub(crate) fn reading(client: Client, path: &str, entry: pb::Entry) -> ApiFile {
        ApiFile::Reading(Box::new(ReadAhead::new(client, path, entry)))
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
        let staged = StagedFile::create(client, path, keep.as_ref(), append, staging).await.map_err(sftp_status)?;
        Ok(ApiFile::Writing(staged))
    }
}

impl SftpFile for ApiFile {
    async fn read_at(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FsError> {
        match self {
            ApiFile::Reading(reading) => reading.read_at(offset, len as usize).await.map_err(sftp_status),
            ApiFile::Writing(_) => Err(FsError::PermissionDenied),
        }
    }

    async fn write_at(&mut self, offset: u64, data: Vec<u8>) -> Result<(), FsError> {
        match self {
            ApiFile::Writing(writing) => writing.write_at(offset, data).await.map_err(sftp_status),
            ApiFile::Reading(_) => Err(FsError::PermissionDenied),
        }
    }

    async fn metadata(&mut self) -> Result<Metadata, FsError> {
        match self {
            ApiFile::Reading(reading) => Ok(metadata(reading.entry())),
            ApiFile::Writing(writing) => Ok(Metadata {
                kind: FileKind::File,
                size: writing.len(),
                permissions: 0o644,
                modified: now(),
                accessed: now(),
            }),
        }
    }

    async fn close(self) -> Result<(), FsError> {
        match self {
            ApiFile::Reading(_) => Ok(()),
            ApiFile::Writing(writing) => writing.commit().await.map_err(sftp_status),
        }
    }
}
