//! The filesystem seen through SFTP: what a backend implements.
//!
//! The server core normalises every client path into an [`SftpPath`] before
//! calling a backend, refuses writes on a read-only share itself, and turns
//! every [`FsError`] into an SFTP status reply, so a backend only decides
//! what exists and what may be read or written.

use std::future::Future;
use std::time::SystemTime;

use crate::path::SftpPath;

/// A refusal or failure from a backend; each maps to one SFTP status code.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// SSH_FX_NO_SUCH_FILE. Also used for what the share hides (dotfiles,
    /// anything outside the share), so that hidden things look absent.
    #[error("no such file")]
    NotFound,
    /// SSH_FX_PERMISSION_DENIED: writes on a read-only share, or the host
    /// refused access.
    #[error("permission denied")]
    PermissionDenied,
    /// SSH_FX_FAILURE with a short reason (target exists, not a directory,
    /// not a regular file...). SFTP v3 has no finer codes.
    #[error("{0}")]
    Failure(String),
    /// SSH_FX_OP_UNSUPPORTED: the backend does not implement the operation.
    #[error("operation not supported")]
    Unsupported,
}

impl FsError {
    /// Maps an I/O error to the closest SFTP meaning, keeping host details
    /// (paths, OS messages) out of what is sent back to the client.
    pub fn from_io(err: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        match err.kind() {
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => Self::PermissionDenied,
            ErrorKind::AlreadyExists => Self::Failure("already exists".to_owned()),
            ErrorKind::DirectoryNotEmpty => Self::Failure("directory not empty".to_owned()),
            ErrorKind::NotADirectory => Self::Failure("not a directory".to_owned()),
            ErrorKind::IsADirectory => Self::Failure("is a directory".to_owned()),
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Self::Failure("no space left".to_owned()),
            ErrorKind::InvalidFilename => Self::Failure("invalid file name".to_owned()),
            ErrorKind::InvalidInput => Self::Failure("invalid argument".to_owned()),
            _ => Self::Failure("I/O error".to_owned()),
        }
    }
}

/// The kind of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    /// Devices, sockets, FIFOs: listed but never opened.
    Other,
}

/// What SFTP reports about a file; all a client sees of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub kind: FileKind,
    pub size: u64,
    /// Unix permission bits (`0o644`); the file type bits are added from `kind`.
    pub permissions: u32,
    pub modified: Option<SystemTime>,
    pub accessed: Option<SystemTime>,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (one component, no slash).
    pub name: String,
    pub metadata: Metadata,
}

/// How to open a file for writing; built from the client's SSH_FXF_* flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteMode {
    /// Also allow reads through the handle.
    pub read: bool,
    /// Create the file if it does not exist.
    pub create: bool,
    /// Fail if the file already exists (with `create`).
    pub exclusive: bool,
    /// Truncate an existing file to zero length.
    pub truncate: bool,
    /// Writes go to the end of the file whatever offset the client sends.
    pub append: bool,
}

/// An open file. Reads and writes carry an offset: SFTP clients pipeline
/// requests at explicit offsets, so there is no cursor to keep.
pub trait SftpFile: Send + 'static {
    /// Reads up to `len` bytes at `offset`. An empty result means end of
    /// file. A short result is fine: clients ask again for the rest.
    fn read_at(&mut self, offset: u64, len: u32) -> impl Future<Output = Result<Vec<u8>, FsError>> + Send;

    /// Writes `data` at `offset`, all of it or an error.
    fn write_at(&mut self, offset: u64, data: Vec<u8>) -> impl Future<Output = Result<(), FsError>> + Send;

    /// The open file's metadata (SSH_FXP_FSTAT).
    fn metadata(&mut self) -> impl Future<Output = Result<Metadata, FsError>> + Send;

    /// Called when the client closes the handle; a backend that stages
    /// uploads commits them here. Dropping without `close` (the connection
    /// died) must leave the backend consistent.
    fn close(self) -> impl Future<Output = Result<(), FsError>> + Send
    where
        Self: Sized,
    {
        async { Ok(()) }
    }
}

/// A tree served over SFTP.
///
/// Paths are normalised by the server core (see [`SftpPath`]). The write
/// operations are only called when [`writable`](Self::writable) returns
/// true; their defaults refuse with [`FsError::PermissionDenied`], so a
/// read-only backend implements only the first five methods.
pub trait SftpFileSystem: Send + Sync + 'static {
    /// The open-file type.
    type File: SftpFile;

    /// Whether the share accepts writes at all. When false, the core answers
    /// every write request with SSH_FX_PERMISSION_DENIED itself.
    fn writable(&self) -> bool;

    /// Metadata of `path`, following a final symlink (SSH_FXP_STAT).
    fn stat(&self, path: &SftpPath) -> impl Future<Output = Result<Metadata, FsError>> + Send;

    /// Metadata of `path` itself, not following a final symlink (SSH_FXP_LSTAT).
    fn lstat(&self, path: &SftpPath) -> impl Future<Output = Result<Metadata, FsError>> + Send;

    /// The whole listing of a directory, hidden entries already left out.
    /// The core pages it to the client.
    fn read_dir(&self, path: &SftpPath) -> impl Future<Output = Result<Vec<DirEntry>, FsError>> + Send;

    /// Opens a regular file for reading.
    fn open_read(&self, path: &SftpPath) -> impl Future<Output = Result<Self::File, FsError>> + Send;

    /// The target of a symlink, as a path inside the share.
    fn read_link(&self, _path: &SftpPath) -> impl Future<Output = Result<SftpPath, FsError>> + Send {
        async { Err(FsError::Unsupported) }
    }

    /// Opens (and maybe creates or truncates) a file for writing.
    fn open_write(
        &self,
        _path: &SftpPath,
        _mode: WriteMode,
    ) -> impl Future<Output = Result<Self::File, FsError>> + Send {
        async { Err(FsError::PermissionDenied) }
    }

    /// Creates a directory.
    fn mkdir(&self, _path: &SftpPath) -> impl Future<Output = Result<(), FsError>> + Send {
        async { Err(FsError::PermissionDenied) }
    }

    /// Removes a file (or a symlink, not its target).
    fn remove_file(&self, _path: &SftpPath) -> impl Future<Output = Result<(), FsError>> + Send {
        async { Err(FsError::PermissionDenied) }
    }

    /// Removes an empty directory.
    fn remove_dir(&self, _path: &SftpPath) -> impl Future<Output = Result<(), FsError>> + Send {
        async { Err(FsError::PermissionDenied) }
    }

    /// Renames `from` to `to`. SFTP v3 semantics: fails if `to` exists.
    fn rename(&self, _from: &SftpPath, _to: &SftpPath) -> impl Future<Output = Result<(), FsError>> + Send {
        async { Err(FsError::PermissionDenied) }
    }

    /// Renames `from` to `to`, replacing a file at `to` (POSIX rename(2),
    /// as `posix-rename@openssh.com` asks). None: not offered.
    fn rename_replacing(
        &self,
        _from: &SftpPath,
        _to: &SftpPath,
    ) -> impl Future<Output = Option<Result<(), FsError>>> + Send {
        async { None }
    }
}
