//! One SFTP session: SFTP requests in, [`SftpFileSystem`] calls out.
//!
//! Every client path goes through [`SftpPath::normalize`] here, writes on a
//! read-only share are refused here, and every outcome becomes an SFTP
//! status, so nothing a client sends can end the connection.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use russh_sftp::extensions::{self, LimitsExtension};
use russh_sftp::protocol::{
    Attrs, Data, ExtendedReply, File, FileAttributes, Handle, Name, OpenFlags, Packet, Status, StatusCode, Version,
};
use russh_sftp::server::StatusReply;

use crate::fs::{DirEntry, FileKind, FsError, Metadata, SftpFile, SftpFileSystem, WriteMode};
use crate::path::SftpPath;

/// Largest SFTP packet accepted from a client, and announced to it. OpenSSH
/// refuses replies above 256 KiB, so it is also the ceiling for replies.
pub(crate) const MAX_PACKET_LEN: u32 = 256 * 1024;

/// Largest read served and write accepted: the packet limit less room for
/// the headers, the value OpenSSH's own sftp-server announces. Clients that
/// read `limits@openssh.com` then pipeline reads of this size.
pub(crate) const MAX_DATA_LEN: u32 = MAX_PACKET_LEN - 1024;

/// Entries per READDIR reply. russh-sftp sends a reply as one packet, and a
/// big directory in one reply exceeds the 256 KiB clients accept; 100
/// entries of 255-byte names stay far below.
const READDIR_PAGE: usize = 100;

enum OpenHandle<T> {
    File { file: T, writable: bool },
    Dir { entries: std::vec::IntoIter<DirEntry> },
}

/// Per-channel SFTP state: the handle table and the share.
pub(crate) struct SftpHandler<F: SftpFileSystem> {
    fs: Arc<F>,
    handles: HashMap<String, OpenHandle<F::File>>,
    next_handle: u64,
    max_handles: usize,
    /// For log lines: who this session belongs to.
    user: String,
}

impl<F: SftpFileSystem> SftpHandler<F> {
    pub(crate) fn new(fs: Arc<F>, max_handles: usize, user: String) -> Self {
        Self { fs, handles: HashMap::new(), next_handle: 0, max_handles, user }
    }

    /// Refuses writes on a read-only share before any backend call.
    fn require_writable(&self, operation: &'static str, path: &str) -> Result<(), StatusReply> {
        if self.fs.writable() {
            return Ok(());
        }
        tracing::debug!(user = %self.user, operation, path, "write refused: read-only share");
        Err(StatusCode::PermissionDenied.with_message("read-only share"))
    }

    fn add_handle(&mut self, handle: OpenHandle<F::File>) -> Result<String, StatusReply> {
        if self.handles.len() >= self.max_handles {
            tracing::warn!(user = %self.user, limit = self.max_handles, "open handle limit reached");
            return Err(StatusCode::Failure.with_message("too many open handles"));
        }
        let id = format!("h{}", self.next_handle);
        self.next_handle += 1;
        self.handles.insert(id.clone(), handle);
        Ok(id)
    }

    fn attributes(&self, metadata: &Metadata) -> FileAttributes {
        attributes(metadata, self.fs.writable())
    }
}

fn ok(id: u32) -> Status {
    Status { id, status_code: StatusCode::Ok, error_message: "Ok".to_owned(), language_tag: "en-US".to_owned() }
}

fn refuse_size_change(attrs: &FileAttributes) -> Result<(), StatusReply> {
    match attrs.size {
        Some(_) => Err(StatusCode::OpUnsupported.with_message("changing a file's size is not supported")),
        None => Ok(()),
    }
}

fn invalid_handle() -> StatusReply {
    StatusCode::Failure.with_message("invalid handle")
}

/// The SFTP status for a backend refusal; the message is generic on
/// purpose (no host paths or OS errors reach the client).
fn status(err: FsError) -> StatusReply {
    match err {
        FsError::NotFound => StatusCode::NoSuchFile.into(),
        FsError::PermissionDenied => StatusCode::PermissionDenied.into(),
        FsError::Failure(message) => StatusCode::Failure.with_message(message),
        FsError::Unsupported => StatusCode::OpUnsupported.into(),
    }
}

fn unix_seconds(time: Option<SystemTime>) -> Option<u32> {
    let seconds = time?.duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0);
    Some(u32::try_from(seconds).unwrap_or(u32::MAX))
}

/// SFTP attributes for backend metadata. Owner ids are not sent (they are
/// the host's business), and a read-only share shows no write bits, so
/// clients see what they may actually do.
pub(crate) fn attributes(metadata: &Metadata, writable: bool) -> FileAttributes {
    let type_bits = match metadata.kind {
        FileKind::Dir => 0o040000,
        FileKind::File => 0o100000,
        FileKind::Symlink => 0o120000,
        FileKind::Other => 0,
    };
    let mut permissions = metadata.permissions & 0o7777;
    if !writable {
        permissions &= !0o222;
    }
    FileAttributes {
        size: Some(metadata.size),
        permissions: Some(type_bits | permissions),
        atime: unix_seconds(metadata.accessed).or(unix_seconds(metadata.modified)),
        mtime: unix_seconds(metadata.modified),
        ..FileAttributes::default()
    }
}

/// A READDIR entry; the `ls -l` style long name gets the right type letter
/// for links, which russh-sftp's formatter only knows as files.
fn listing_entry(entry: DirEntry, writable: bool) -> File {
    let mut file = File::new(entry.name, attributes(&entry.metadata, writable));
    if entry.metadata.kind == FileKind::Symlink {
        file.longname.replace_range(..1, "l");
    }
    file
}

impl<F: SftpFileSystem> russh_sftp::server::Handler for SftpHandler<F> {
    type Error = StatusReply;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported.into()
    }

    async fn init(&mut self, version: u32, _extensions: HashMap<String, String>) -> Result<Version, Self::Error> {
        tracing::debug!(user = %self.user, client_version = version, "sftp session started");
        let mut reply = Version::new();
        // Announcing limits lets OpenSSH use 255 KiB reads instead of 32 KiB.
        reply.extensions.insert(extensions::LIMITS.to_owned(), "1".to_owned());
        reply.extensions.insert(POSIX_RENAME.to_owned(), "1".to_owned());
        Ok(reply)
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let path = SftpPath::normalize(&filename);
        let writes = OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::CREATE | OpenFlags::TRUNCATE;
        let writable = pflags.intersects(writes);
        if self.handles.len() >= self.max_handles {
            return Err(StatusCode::Failure.with_message("too many open handles"));
        }
        let file = if writable {
            self.require_writable("open", path.as_str())?;
            let mode = WriteMode {
                read: pflags.contains(OpenFlags::READ),
                create: pflags.contains(OpenFlags::CREATE),
                exclusive: pflags.contains(OpenFlags::EXCLUDE),
                truncate: pflags.contains(OpenFlags::TRUNCATE),
                append: pflags.contains(OpenFlags::APPEND),
            };
            let file = self.fs.open_write(&path, mode).await.map_err(status)?;
            tracing::info!(user = %self.user, path = %path, "file opened for writing");
            file
        } else {
            let file = self.fs.open_read(&path).await.map_err(status)?;
            tracing::debug!(user = %self.user, path = %path, "file opened for reading");
            file
        };
        let handle = self.add_handle(OpenHandle::File { file, writable })?;
        Ok(Handle { id, handle })
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        match self.handles.remove(&handle) {
            Some(OpenHandle::File { file, .. }) => file.close().await.map_err(status)?,
            Some(OpenHandle::Dir { .. }) => {}
            None => return Err(invalid_handle()),
        }
        Ok(ok(id))
    }

    async fn read(&mut self, id: u32, handle: String, offset: u64, len: u32) -> Result<Data, Self::Error> {
        let Some(OpenHandle::File { file, .. }) = self.handles.get_mut(&handle) else {
            return Err(invalid_handle());
        };
        // A client may ask for up to 4 GiB; serve at most what fits a reply.
        // Short reads are part of the protocol: clients ask for the rest.
        let data = file.read_at(offset, len.min(MAX_DATA_LEN)).await.map_err(status)?;
        if data.is_empty() && len > 0 {
            return Err(StatusCode::Eof.into());
        }
        Ok(Data { id, data })
    }

    async fn write(&mut self, id: u32, handle: String, offset: u64, data: Vec<u8>) -> Result<Status, Self::Error> {
        let Some(OpenHandle::File { file, writable }) = self.handles.get_mut(&handle) else {
            return Err(invalid_handle());
        };
        if !*writable {
            return Err(StatusCode::PermissionDenied.with_message("handle not open for writing"));
        }
        file.write_at(offset, data).await.map_err(status)?;
        Ok(ok(id))
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let metadata = self.fs.lstat(&SftpPath::normalize(&path)).await.map_err(status)?;
        Ok(Attrs { id, attrs: self.attributes(&metadata) })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let metadata = self.fs.stat(&SftpPath::normalize(&path)).await.map_err(status)?;
        Ok(Attrs { id, attrs: self.attributes(&metadata) })
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        let Some(OpenHandle::File { file, .. }) = self.handles.get_mut(&handle) else {
            return Err(invalid_handle());
        };
        let metadata = file.metadata().await.map_err(status)?;
        Ok(Attrs { id, attrs: attributes(&metadata, self.fs.writable()) })
    }

    /// Mode and time changes are accepted and ignored on a writable share
    /// (clients set them after uploads and some treat a refusal as a failed
    /// upload), refused on a read-only one. A size change (truncation) is
    /// refused rather than pretended.
    async fn setstat(&mut self, id: u32, path: String, attrs: FileAttributes) -> Result<Status, Self::Error> {
        let path = SftpPath::normalize(&path);
        self.require_writable("setstat", path.as_str())?;
        refuse_size_change(&attrs)?;
        self.fs.stat(&path).await.map_err(status)?;
        Ok(ok(id))
    }

    async fn fsetstat(&mut self, id: u32, handle: String, attrs: FileAttributes) -> Result<Status, Self::Error> {
        if !self.handles.contains_key(&handle) {
            return Err(invalid_handle());
        }
        self.require_writable("fsetstat", &handle)?;
        refuse_size_change(&attrs)?;
        Ok(ok(id))
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, Self::Error> {
        let path = SftpPath::normalize(&path);
        if self.handles.len() >= self.max_handles {
            return Err(StatusCode::Failure.with_message("too many open handles"));
        }
        let entries = self.fs.read_dir(&path).await.map_err(status)?;
        tracing::debug!(user = %self.user, path = %path, entries = entries.len(), "directory listed");
        let handle = self.add_handle(OpenHandle::Dir { entries: entries.into_iter() })?;
        Ok(Handle { id, handle })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, Self::Error> {
        let writable = self.fs.writable();
        let Some(OpenHandle::Dir { entries }) = self.handles.get_mut(&handle) else {
            return Err(invalid_handle());
        };
        let files: Vec<File> = entries.take(READDIR_PAGE).map(|entry| listing_entry(entry, writable)).collect();
        if files.is_empty() {
            return Err(StatusCode::Eof.into());
        }
        Ok(Name { id, files })
    }

    async fn remove(&mut self, id: u32, filename: String) -> Result<Status, Self::Error> {
        let path = SftpPath::normalize(&filename);
        self.require_writable("remove", path.as_str())?;
        self.fs.remove_file(&path).await.map_err(status)?;
        tracing::info!(user = %self.user, path = %path, "file removed");
        Ok(ok(id))
    }

    async fn mkdir(&mut self, id: u32, path: String, _attrs: FileAttributes) -> Result<Status, Self::Error> {
        let path = SftpPath::normalize(&path);
        self.require_writable("mkdir", path.as_str())?;
        self.fs.mkdir(&path).await.map_err(status)?;
        tracing::info!(user = %self.user, path = %path, "directory created");
        Ok(ok(id))
    }

    async fn rmdir(&mut self, id: u32, path: String) -> Result<Status, Self::Error> {
        let path = SftpPath::normalize(&path);
        self.require_writable("rmdir", path.as_str())?;
        self.fs.remove_dir(&path).await.map_err(status)?;
        tracing::info!(user = %self.user, path = %path, "directory removed");
        Ok(ok(id))
    }

    /// Paths are resolved lexically: the share's root is the home, and a
    /// path that does not exist yet still has a real path (clients call
    /// this before `put` and `mkdir`).
    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let path = SftpPath::normalize(&path);
        Ok(Name { id, files: vec![File::dummy(path.as_str())] })
    }

    async fn rename(&mut self, id: u32, oldpath: String, newpath: String) -> Result<Status, Self::Error> {
        let (from, to) = (SftpPath::normalize(&oldpath), SftpPath::normalize(&newpath));
        self.require_writable("rename", from.as_str())?;
        self.fs.rename(&from, &to).await.map_err(status)?;
        tracing::info!(user = %self.user, from = %from, to = %to, "renamed");
        Ok(ok(id))
    }

    async fn readlink(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let target = self.fs.read_link(&SftpPath::normalize(&path)).await.map_err(status)?;
        Ok(Name { id, files: vec![File::dummy(target.as_str())] })
    }

    /// Never creates symlinks: one could point anywhere on the host.
    async fn symlink(&mut self, _id: u32, linkpath: String, _targetpath: String) -> Result<Status, Self::Error> {
        self.require_writable("symlink", &linkpath)?;
        Err(StatusCode::OpUnsupported.with_message("symlinks cannot be created"))
    }

    async fn extended(&mut self, id: u32, request: String, data: Vec<u8>) -> Result<Packet, Self::Error> {
        if request == POSIX_RENAME {
            return self.posix_rename(id, &data).await.map(Packet::Status);
        }
        if request != extensions::LIMITS {
            return Err(StatusCode::OpUnsupported.into());
        }
        let limits = LimitsExtension {
            max_packet_len: u64::from(MAX_PACKET_LEN),
            max_read_len: u64::from(MAX_DATA_LEN),
            max_write_len: u64::from(MAX_DATA_LEN),
            max_open_handles: self.max_handles as u64,
        };
        let data = russh_sftp::ser::to_bytes(&limits).map_err(|_| StatusReply::from(StatusCode::Failure))?;
        Ok(Packet::ExtendedReply(ExtendedReply { id, data: data.to_vec() }))
    }
}

/// OpenSSH's rename that replaces an existing file; its `rename` command
/// uses it whenever the server offers it.
const POSIX_RENAME: &str = "posix-rename@openssh.com";

/// The SSH strings at the start of `data` (u32 length, then the bytes).
fn ssh_strings<const N: usize>(mut data: &[u8]) -> Option<[String; N]> {
    let mut strings: [String; N] = std::array::from_fn(|_| String::new());
    for string in &mut strings {
        let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
        let bytes = data.get(4..4 + len)?;
        *string = String::from_utf8(bytes.to_vec()).ok()?;
        data = &data[4 + len..];
    }
    Some(strings)
}

impl<F: SftpFileSystem> SftpHandler<F> {
    async fn posix_rename(&mut self, id: u32, data: &[u8]) -> Result<Status, StatusReply> {
        let Some([oldpath, newpath]) = ssh_strings::<2>(data) else {
            return Err(StatusCode::BadMessage.with_message("posix-rename needs two paths"));
        };
        let (from, to) = (SftpPath::normalize(&oldpath), SftpPath::normalize(&newpath));
        self.require_writable("rename", from.as_str())?;
        let renamed = self.fs.rename_replacing(&from, &to).await;
        let Some(renamed) = renamed else { return Err(StatusCode::OpUnsupported.into()) };
        renamed.map_err(status)?;
        tracing::info!(user = %self.user, from = %from, to = %to, "renamed (replacing)");
        Ok(ok(id))
    }
}

impl<F: SftpFileSystem> Drop for SftpHandler<F> {
    fn drop(&mut self) {
        if !self.handles.is_empty() {
            tracing::debug!(user = %self.user, open_handles = self.handles.len(), "sftp session ended with open handles");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(kind: FileKind, permissions: u32) -> Metadata {
        Metadata { kind, size: 5, permissions, modified: Some(UNIX_EPOCH), accessed: None }
    }

    #[test]
    fn posix_rename_paths_are_read_and_checked() {
        let mut data = Vec::new();
        for path in ["/a b", "/ü"] {
            data.extend_from_slice(&(path.len() as u32).to_be_bytes());
            data.extend_from_slice(path.as_bytes());
        }
        assert_eq!(ssh_strings::<2>(&data), Some(["/a b".to_owned(), "/ü".to_owned()]));
        assert_eq!(ssh_strings::<2>(&data[..data.len() - 1]), None);
        assert_eq!(ssh_strings::<2>(&[0, 0, 0]), None);
        assert_eq!(ssh_strings::<1>(&[0xff, 0xff, 0xff, 0xff, b'a']), None);
    }

    #[test]
    fn read_only_shares_show_no_write_bits() {
        let attrs = attributes(&metadata(FileKind::File, 0o664), false);
        assert_eq!(attrs.permissions, Some(0o100444));
        let attrs = attributes(&metadata(FileKind::Dir, 0o755), true);
        assert_eq!(attrs.permissions, Some(0o040755));
        assert_eq!(attrs.uid, None);
    }

    #[test]
    fn links_are_listed_as_links() {
        let entry = DirEntry { name: "l".to_owned(), metadata: metadata(FileKind::Symlink, 0o777) };
        assert!(listing_entry(entry, false).longname.starts_with("lr-x"));
    }
}
