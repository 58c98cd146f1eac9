//! One user's view of the tree as a WebDAV file system; every call is an
//! API call with their token, so the manager decides what they may do.

use std::future::Future;
use std::sync::Arc;

use cordvault_client::proto as pb;
use cordvault_client::{Client, ConflictPolicy, ListOptions, UploadOptions};
use dav_server::davpath::DavPath;
use dav_server::fs::{
    DavDirEntry, DavFile, DavFileSystem, DavMetaData, DavProp, FsError, FsFuture, FsStream, OpenOptions, ReadDirMeta,
};
use http::StatusCode;

use super::file::ApiDavFile;
use super::metadata::{EntryMeta, Listed};
use super::props;
use crate::errors::dav_error;
use crate::read_ahead::ReadAhead;
use crate::staging::{StagedFile, StagingArea};
use crate::tree_ops;

#[derive(Clone)]
pub struct ApiDavFs {
    client: Client,
    staging: Arc<StagingArea>,
}

/// The tree path of a request path ("/a/b/" → "/a/b").
pub(crate) fn tree_path(path: &DavPath) -> Result<String, FsError> {
    let text = std::str::from_utf8(path.as_bytes()).map_err(|_| FsError::NotFound)?;
    let trimmed = text.trim_end_matches('/');
    Ok(if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() })
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

impl ApiDavFs {
    pub fn new(client: Client, staging: Arc<StagingArea>) -> Self {
        Self { client, staging }
    }

    async fn entry(&self, path: &str) -> Result<pb::Entry, FsError> {
        self.client.stat(path).await.map_err(dav_error)
    }

    async fn existing(&self, path: &str) -> Result<Option<pb::Entry>, FsError> {
        match self.client.stat(path).await {
            Ok(entry) => Ok(Some(entry)),
            Err(err) if err.code == cordvault_core::ErrorCode::NotFound => Ok(None),
            Err(err) => Err(dav_error(err)),
        }
    }

    async fn open_file(&self, path: &DavPath, options: OpenOptions) -> Result<ApiDavFile, FsError> {
        let path = tree_path(path)?;
        let existing = self.existing(&path).await?;
        if !options.write {
            let entry = existing.ok_or(FsError::NotFound)?;
            if entry.kind() == pb::EntryKind::Folder || entry.access() == pb::Access::None {
                return Err(FsError::Forbidden);
            }
            return Ok(ApiDavFile::Reading {
                reader: Box::new(ReadAhead::new(self.client.clone(), &path, entry)),
                position: 0,
            });
        }
        match &existing {
            Some(entry) if entry.kind() == pb::EntryKind::Folder => return Err(FsError::Forbidden),
            Some(_) if options.create_new => return Err(FsError::Exists),
            None if !options.create && !options.create_new => return Err(FsError::NotFound),
            _ => {}
        }
        let upload = UploadOptions { conflict: ConflictPolicy::Overwrite, ..UploadOptions::default() };
        // A whole file of known length streams straight into an upload.
        if let (true, false, Some(size)) = (options.truncate, options.append, options.size) {
            let writer = self.client.upload_writer(&path, size, &upload).await.map_err(dav_error)?;
            return Ok(ApiDavFile::Streaming { writer: Some(Box::new(writer)), path });
        }
        let keep = existing.filter(|_| !options.truncate);
        let staged = StagedFile::create(self.client.clone(), &path, keep.as_ref(), options.append, &self.staging).await;
        Ok(ApiDavFile::Staged { staged: Some(staged.map_err(dav_error)?), position: 0, path })
    }

    async fn list(&self, path: &DavPath) -> Result<FsStream<Box<dyn DavDirEntry>>, FsError> {
        let path = tree_path(path)?;
        let entries = self.client.list_all(&path, ListOptions::default()).await.map_err(dav_error)?;
        let listed = entries.into_iter().map(|entry| Ok(Box::new(Listed(EntryMeta(entry))) as Box<dyn DavDirEntry>));
        Ok(Box::pin(futures::stream::iter(listed)))
    }

    /// MKCOL makes one folder: its parent must exist (409 otherwise), and
    /// the API's CreateFolder would make missing parents.
    async fn make_folder(&self, path: &DavPath) -> Result<(), FsError> {
        let path = tree_path(path)?;
        if self.existing(&path).await?.is_some() {
            return Err(FsError::Exists);
        }
        match self.existing(parent_of(&path)).await? {
            Some(parent) if parent.kind() == pb::EntryKind::Folder => {}
            Some(_) => return Err(FsError::Forbidden),
            None => return Err(FsError::NotFound),
        }
        self.client.create_folder(&path).await.map_err(dav_error)?;
        Ok(())
    }

    async fn delete(&self, path: &DavPath, folder: bool) -> Result<(), FsError> {
        let path = tree_path(path)?;
        let entry = self.entry(&path).await?;
        if (entry.kind() == pb::EntryKind::Folder) != folder {
            return Err(FsError::Forbidden);
        }
        self.client.delete(&path, false).await.map_err(dav_error)?;
        Ok(())
    }

    async fn move_entry(&self, from: &DavPath, to: &DavPath) -> Result<(), FsError> {
        let (from, to) = (tree_path(from)?, tree_path(to)?);
        tree_ops::move_to(&self.client, &from, &to, ConflictPolicy::Fail).await.map_err(dav_error)
    }

    /// A file's bytes read and uploaded again under the new name.
    async fn copy_file(&self, from: &DavPath, to: &DavPath) -> Result<(), FsError> {
        let (from, to) = (tree_path(from)?, tree_path(to)?);
        let entry = self.entry(&from).await?;
        if entry.kind() == pb::EntryKind::Folder {
            return Err(FsError::Forbidden);
        }
        let upload = UploadOptions {
            conflict: ConflictPolicy::Overwrite,
            mime_type: entry.mime_type.clone(),
            ..UploadOptions::default()
        };
        let mut writer = self.client.upload_writer(&to, entry.size, &upload).await.map_err(dav_error)?;
        let mut reader = self.client.open_reader(&from).await.map_err(dav_error)?;
        reader.start_range(0, 0).await.map_err(dav_error)?;
        while let Some(piece) = reader.next_piece().await.map_err(dav_error)? {
            writer.write(&piece).await.map_err(dav_error)?;
        }
        writer.finish().await.map_err(dav_error)?;
        // Dead properties go with the copy (WebDAV's COPY copies them).
        let properties = self.client.get_properties(&from).await.map_err(dav_error)?;
        if !properties.is_empty() {
            self.client.set_properties(&to, properties, Vec::new()).await.map_err(dav_error)?;
        }
        Ok(())
    }

    async fn quota(&self) -> Result<(u64, Option<u64>), FsError> {
        let quota = self.client.quota().await.map_err(dav_error)?;
        Ok((quota.used_bytes, (quota.max_bytes > 0).then_some(quota.max_bytes)))
    }
}

impl DavFileSystem for ApiDavFs {
    fn open<'a>(&'a self, path: &'a DavPath, options: OpenOptions) -> FsFuture<'a, Box<dyn DavFile>> {
        Box::pin(async move { Ok(Box::new(self.open_file(path, options).await?) as Box<dyn DavFile>) })
    }

    fn read_dir<'a>(&'a self, path: &'a DavPath, _meta: ReadDirMeta) -> FsFuture<'a, FsStream<Box<dyn DavDirEntry>>> {
        Box::pin(self.list(path))
    }

    fn metadata<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, Box<dyn DavMetaData>> {
        Box::pin(async move {
            let entry = self.entry(&tree_path(path)?).await?;
            Ok(Box::new(EntryMeta(entry)) as Box<dyn DavMetaData>)
        })
    }

    fn create_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        Box::pin(self.make_folder(path))
    }

    fn remove_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        Box::pin(self.delete(path, true))
    }

    fn remove_file<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        Box::pin(self.delete(path, false))
    }

    fn rename<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        Box::pin(self.move_entry(from, to))
    }

    fn copy<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        Box::pin(self.copy_file(from, to))
    }

    fn get_quota(&self) -> FsFuture<'_, (u64, Option<u64>)> {
        Box::pin(self.quota())
    }

    fn have_props<'a>(&'a self, _path: &'a DavPath) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(std::future::ready(true))
    }

    fn patch_props<'a>(
        &'a self,
        path: &'a DavPath,
        patch: Vec<(bool, DavProp)>,
    ) -> FsFuture<'a, Vec<(StatusCode, DavProp)>> {
        Box::pin(async move { props::patch(&self.client, &tree_path(path)?, patch).await })
    }

    fn get_props<'a>(&'a self, path: &'a DavPath, do_content: bool) -> FsFuture<'a, Vec<DavProp>> {
        Box::pin(async move { props::get_all(&self.client, &tree_path(path)?, do_content).await })
    }

    fn get_prop<'a>(&'a self, path: &'a DavPath, prop: DavProp) -> FsFuture<'a, Vec<u8>> {
        Box::pin(async move { props::get_one(&self.client, &tree_path(path)?, &prop).await })
    }
}
