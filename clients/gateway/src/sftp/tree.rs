//! One user's cordvault tree as an SFTP file system, through the API.

use std::sync::Arc;

use cordvault_client::proto as pb;
use cordvault_client::{Client, ConflictPolicy, ListOptions};
use cordvault_sftp::{DirEntry, FsError, Metadata, SftpFileSystem, SftpPath, WriteMode};

use super::file::ApiFile;
use super::metadata::metadata;
use crate::errors::sftp_status;
use crate::staging::StagingArea;
use crate::tree_ops;

/// The tree as the signed-in user sees it; every call is an API call with
/// their token, so the manager decides what they may read and write.
pub struct ApiTree {
    client: Client,
    staging: Arc<StagingArea>,
}

impl ApiTree {
    pub fn new(client: Client, staging: Arc<StagingArea>) -> Self {
        Self { client, staging }
    }

    async fn entry(&self, path: &SftpPath) -> Result<pb::Entry, FsError> {
        self.client.stat(path.as_str()).await.map_err(sftp_status)
    }

    /// The entry at `path`, or None when there is none.
    async fn existing(&self, path: &SftpPath) -> Result<Option<pb::Entry>, FsError> {
        match self.entry(path).await {
            Ok(entry) => Ok(Some(entry)),
            Err(FsError::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

fn split(path: &SftpPath) -> Result<(SftpPath, &str), FsError> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => Err(FsError::PermissionDenied),
    }
}

impl SftpFileSystem for ApiTree {
    type File = ApiFile;

    /// The manager refuses what this user may not write, path by path.
    fn writable(&self) -> bool {
        true
    }

    async fn stat(&self, path: &SftpPath) -> Result<Metadata, FsError> {
        Ok(metadata(&self.entry(path).await?))
    }

    async fn lstat(&self, path: &SftpPath) -> Result<Metadata, FsError> {
        self.stat(path).await
    }

    async fn read_dir(&self, path: &SftpPath) -> Result<Vec<DirEntry>, FsError> {
        let entries = self.client.list_all(path.as_str(), ListOptions::default()).await.map_err(sftp_status)?;
        Ok(entries.iter().map(|entry| DirEntry { name: entry.name.clone(), metadata: metadata(entry) }).collect())
    }

    async fn open_read(&self, path: &SftpPath) -> Result<ApiFile, FsError> {
        let entry = self.entry(path).await?;
        if entry.kind() == pb::EntryKind::Folder {
            return Err(FsError::Failure("is a directory".to_owned()));
        }
        // Refused at open, not at the first read: clients create the local
        // file once the remote one opens.
        if entry.access() == pb::Access::None {
            return Err(FsError::PermissionDenied);
        }
        Ok(ApiFile::reading(self.client.clone(), path.as_str(), entry))
    }

    async fn open_write(&self, path: &SftpPath, mode: WriteMode) -> Result<ApiFile, FsError> {
        split(path)?;
        let existing = self.existing(path).await?;
        match &existing {
            Some(entry) if entry.kind() == pb::EntryKind::Folder => {
                return Err(FsError::Failure("is a directory".to_owned()));
            }
            Some(_) if mode.create && mode.exclusive => return Err(FsError::Failure("already exists".to_owned())),
            None if !mode.create => return Err(FsError::NotFound),
            _ => {}
        }
        let keep = existing.filter(|_| !mode.truncate);
        ApiFile::writing(self.client.clone(), path.as_str(), keep, mode.append, &self.staging).await
    }

    async fn mkdir(&self, path: &SftpPath) -> Result<(), FsError> {
        split(path)?;
        self.client.create_folder(path.as_str()).await.map_err(sftp_status)?;
        Ok(())
    }

    async fn remove_file(&self, path: &SftpPath) -> Result<(), FsError> {
        if self.entry(path).await?.kind() == pb::EntryKind::Folder {
            return Err(FsError::Failure("is a directory".to_owned()));
        }
        self.client.delete(path.as_str(), false).await.map_err(sftp_status)?;
        Ok(())
    }

    async fn remove_dir(&self, path: &SftpPath) -> Result<(), FsError> {
        split(path)?;
        if self.entry(path).await?.kind() != pb::EntryKind::Folder {
            return Err(FsError::Failure("not a directory".to_owned()));
        }
        let options = ListOptions { page_size: 1, ..ListOptions::default() };
        if !self.client.list_page(path.as_str(), &options).await.map_err(sftp_status)?.entries.is_empty() {
            return Err(FsError::Failure("directory not empty".to_owned()));
        }
        self.client.delete(path.as_str(), false).await.map_err(sftp_status)?;
        Ok(())
    }

    /// SFTP v3: fails if `to` exists.
    async fn rename(&self, from: &SftpPath, to: &SftpPath) -> Result<(), FsError> {
        split(from)?;
        split(to)?;
        if self.existing(to).await?.is_some() {
            return Err(FsError::Failure("already exists".to_owned()));
        }
        tree_ops::move_to(&self.client, from.as_str(), to.as_str(), ConflictPolicy::Fail).await.map_err(sftp_status)
    }

    /// OpenSSH's `rename` (posix-rename): a file at `to` is replaced, in
    /// one step at the manager.
    async fn rename_replacing(&self, from: &SftpPath, to: &SftpPath) -> Option<Result<(), FsError>> {
        if let Err(err) = split(from).and_then(|_| split(to)) {
            return Some(Err(err));
        }
        let moved = tree_ops::move_to(&self.client, from.as_str(), to.as_str(), ConflictPolicy::Overwrite).await;
        Some(moved.map_err(sftp_status))
    }
}
