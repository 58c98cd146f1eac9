//! A connection to another peer's server: browse it and download from it.
//!
//! The remote side is not trusted: names it lists are checked before they
//! become local paths (no `/`, `..` or NUL), recursion is bounded, files
//! are read up to the size the server gave when they were opened, and
//! nothing is ever written through a local symlink or over an existing file
//! unless forced. Downloads land in a part file first, so an interrupted
//! `get` resumes where it stopped.

use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cordvault_sftp::{PrivateKey, SftpPath};
use russh_sftp::client::SftpSession;
use russh_sftp::protocol::FileAttributes;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use crate::discovery::Peer;
use crate::error::PeerError;

/// How long connecting (TCP, SSH, SFTP) may take, as the original's 15 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Deeper trees than this are not followed (a hostile server could nest forever).
pub const MAX_DEPTH: usize = 64;
/// What a part file's name ends with.
pub const PART_SUFFIX: &str = ".cordvault-part";
const BUFFER: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Other,
}

/// One name in a remote directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    pub name: String,
    pub kind: EntryKind,
    pub size: u64,
    /// Unix seconds.
    pub modified: Option<u64>,
    pub permissions: Option<u32>,
}

impl RemoteEntry {
    fn new(name: String, attrs: &FileAttributes) -> RemoteEntry {
        let kind = if attrs.is_dir() {
            EntryKind::Dir
        } else if attrs.is_symlink() {
            EntryKind::Symlink
        } else if attrs.is_regular() {
            EntryKind::File
        } else {
            EntryKind::Other
        };
        RemoteEntry {
            name,
            kind,
            size: attrs.size.unwrap_or(0),
            modified: attrs.mtime.map(u64::from),
            permissions: attrs.permissions,
        }
    }
}

/// Whether a name from the server may become a local file name.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && name.len() <= 255 && !name.contains(['/', '\0'])
}

/// How `get` behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetOptions {
    /// Folders too, with everything in them.
    pub recursive: bool,
    /// Overwrite existing local files.
    pub force: bool,
}

/// Told about a download as it goes.
pub trait Progress: Send + Sync {
    /// A file starts; `resumed_from` bytes were already there.
    fn file_started(&self, _remote: &str, _size: u64, _resumed_from: u64) {}
    fn advanced(&self, _bytes: u64) {}
    fn file_done(&self, _remote: &str) {}
}

/// No progress display.
pub struct Quiet;
impl Progress for Quiet {}

/// What a `get` did.
#[derive(Debug, Default)]
pub struct GetReport {
    pub files: usize,
    /// Bytes received in this run (not counting resumed parts).
    pub bytes: u64,
    /// Local files left alone because they exist (no `-f`).
    pub skipped_existing: Vec<PathBuf>,
    /// Remote names that could not be fetched, and why.
    pub failed: Vec<(String, String)>,
}

/// An SFTP session with a peer, with a current directory.
pub struct PeerSession {
    sftp: SftpSession,
    instance: String,
    cwd: SftpPath,
}

impl PeerSession {
    /// Connects to `peer`, checking its host key against the pinned
    /// fingerprint, and logs in with `client_key`.
    pub async fn connect(peer: &Peer, client_key: &PrivateKey) -> Result<PeerSession, PeerError> {
        let endpoint = peer.endpoint.as_ref().ok_or_else(|| PeerError::ClientOnly(peer.instance.clone()))?;
        let address = (endpoint.address.as_str(), endpoint.port);
        let connecting = cordvault_sftp::client::connect(address, client_key, &peer.fingerprint);
        let sftp = tokio::time::timeout(CONNECT_TIMEOUT, connecting).await.map_err(|_| {
            PeerError::Refused(format!(
                "{}:{} did not answer within {CONNECT_TIMEOUT:?}",
                endpoint.address, endpoint.port
            ))
        })??;
        Ok(PeerSession { sftp, instance: peer.instance.clone(), cwd: SftpPath::root() })
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    pub fn pwd(&self) -> &str {
        self.cwd.as_str()
    }

    /// `arg` (absolute, or relative to the current directory) as a clean path.
    pub fn resolve(&self, arg: &str) -> SftpPath {
        if arg.starts_with('/') {
            SftpPath::normalize(arg)
        } else {
            SftpPath::normalize(&format!("{}/{arg}", self.cwd))
        }
    }

    pub async fn cd(&mut self, arg: &str) -> Result<(), PeerError> {
        let path = self.resolve(arg);
        let attrs = self.stat(&path).await?;
        if !attrs.is_dir() {
            return Err(PeerError::Remote { path: path.to_string(), message: "not a directory".into() });
        }
        self.cwd = path;
        Ok(())
    }

    async fn stat(&self, path: &SftpPath) -> Result<FileAttributes, PeerError> {
        let metadata = self.sftp.metadata(path.as_str()).await.map_err(PeerError::remote(path.as_str()))?;
        Ok(metadata)
    }

    /// The entries of a directory, sorted by name; names that could not be
    /// local file names are left out (and logged).
    pub async fn list(&self, arg: Option<&str>) -> Result<Vec<RemoteEntry>, PeerError> {
        let path = self.resolve(arg.unwrap_or("."));
        self.list_path(&path).await
    }

    async fn list_path(&self, path: &SftpPath) -> Result<Vec<RemoteEntry>, PeerError> {
        let listing = self.sftp.read_dir(path.as_str()).await.map_err(PeerError::remote(path.as_str()))?;
        let mut entries: Vec<RemoteEntry> = listing
            .filter_map(|entry| {
                let name = entry.file_name();
                if !is_safe_name(&name) {
                    tracing::warn!(directory = %path, name = %name.escape_debug(), "skipping an unusable name");
                    return None;
                }
                Some(RemoteEntry::new(name, &entry.metadata()))
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Downloads `remote` into `local`: an existing local directory receives
    /// it under its own name; no `local` means the current directory.
    pub async fn get(
        &self,
        remote: &str,
        local: Option<&Path>,
        options: GetOptions,
        progress: &dyn Progress,
    ) -> Result<GetReport, PeerError> {
        let remote = self.resolve(remote);
        let name = remote.file_name().map(str::to_owned).unwrap_or_else(|| self.instance.clone());
        let local = local.unwrap_or(Path::new("."));
        let target = if local.is_dir() { local.join(&name) } else { local.to_owned() };
        let attrs = self.stat(&remote).await?;
        let mut report = GetReport::default();
        if attrs.is_dir() {
            if !options.recursive {
                return Err(PeerError::Remote {
                    path: remote.to_string(),
                    message: "is a directory; use get -r".into(),
                });
            }
            self.get_dir(&remote, &target, options, progress, &mut report, 0).await?;
        } else {
            match self.get_file(&remote, &target, options, progress).await {
                Ok(bytes) => {
                    report.files += 1;
                    report.bytes += bytes;
                }
                Err(err) => return Err(err),
            }
        }
        Ok(report)
    }

    async fn get_dir(
        &self,
        remote: &SftpPath,
        target: &Path,
        options: GetOptions,
        progress: &dyn Progress,
        report: &mut GetReport,
        depth: usize,
    ) -> Result<(), PeerError> {
        if depth >= MAX_DEPTH {
            report.failed.push((remote.to_string(), format!("deeper than {MAX_DEPTH} levels; not followed")));
            return Ok(());
        }
        ensure_local_dir(target)?;
        for entry in self.list_path(remote).await? {
            let child = SftpPath::normalize(&format!("{remote}/{}", entry.name));
            let local = target.join(&entry.name);
            let kind = match entry.kind {
                // The server decides where a link leads (never out of its share).
                EntryKind::Symlink => match self.stat(&child).await {
                    Ok(attrs) if attrs.is_dir() => EntryKind::Dir,
                    Ok(attrs) if attrs.is_regular() => EntryKind::File,
                    Ok(_) => EntryKind::Other,
                    Err(err) => {
                        report.failed.push((child.to_string(), err.to_string()));
                        continue;
                    }
                },
                kind => kind,
            };
            match kind {
                EntryKind::Dir => {
                    Box::pin(self.get_dir(&child, &local, options, progress, report, depth + 1)).await?;
                }
                EntryKind::File => match self.get_file(&child, &local, options, progress).await {
                    Ok(bytes) => {
                        report.files += 1;
                        report.bytes += bytes;
                    }
                    Err(PeerError::Exists(path)) => report.skipped_existing.push(path),
                    // A local failure (disk full...) would fail every file: stop.
                    Err(err @ PeerError::Local { .. }) => return Err(err),
                    Err(err) => report.failed.push((child.to_string(), err.to_string())),
                },
                EntryKind::Symlink | EntryKind::Other => {
                    report.failed.push((child.to_string(), "not a regular file or directory".into()));
                }
            }
        }
        Ok(())
    }

    /// One file, through its part file; returns the bytes received now.
    async fn get_file(
        &self,
        remote: &SftpPath,
        target: &Path,
        options: GetOptions,
        progress: &dyn Progress,
    ) -> Result<u64, PeerError> {
        if !options.force && target.symlink_metadata().is_ok() {
            return Err(PeerError::Exists(target.to_owned()));
        }
        let path = remote.as_str();
        let mut file = self.sftp.open(path).await.map_err(PeerError::remote(path))?;
        let attrs = file.metadata().await.map_err(PeerError::remote(path))?;
        let size = attrs.size.unwrap_or(0);
        // The part file names the remote version, so a changed file starts over.
        let part = part_path(target, size, attrs.mtime.unwrap_or(0))?;
        let local = open_part(&part)?;
        let mut offset = local.metadata().map_err(PeerError::local(&part))?.len();
        if offset > size {
            local.set_len(0).map_err(PeerError::local(&part))?;
            offset = 0;
        }
        progress.file_started(path, size, offset);
        let mut local = tokio::fs::File::from_std(local);
        local.seek(std::io::SeekFrom::Start(offset)).await.map_err(PeerError::local(&part))?;
        file.seek(std::io::SeekFrom::Start(offset)).await.map_err(|err| remote_io(path, err))?;
        let mut buffer = vec![0u8; BUFFER];
        let mut received = 0u64;
        while offset < size {
            let want = usize::try_from(size - offset).unwrap_or(usize::MAX).min(BUFFER);
            let read = file.read(&mut buffer[..want]).await.map_err(|err| remote_io(path, err))?;
            if read == 0 {
                return Err(PeerError::Remote {
                    path: path.to_owned(),
                    message: "the file shrank while downloading".into(),
                });
            }
            local.write_all(&buffer[..read]).await.map_err(PeerError::local(&part))?;
            offset += read as u64;
            received += read as u64;
            progress.advanced(read as u64);
        }
        local.flush().await.map_err(PeerError::local(&part))?;
        local.sync_data().await.map_err(PeerError::local(&part))?;
        drop(local);
        let _ = file.shutdown().await;
        if !options.force && target.symlink_metadata().is_ok() {
            return Err(PeerError::Exists(target.to_owned()));
        }
        // rename replaces a symlink itself, never what it points to.
        std::fs::rename(&part, target).map_err(PeerError::local(target))?;
        progress.file_done(path);
        Ok(received)
    }

    pub async fn close(self) {
        let _ = self.sftp.close().await;
    }
}

fn remote_io(path: &str, err: std::io::Error) -> PeerError {
    PeerError::Remote { path: path.to_owned(), message: err.to_string() }
}

/// `.NAME.SIZE-MTIME.cordvault-part` next to `target`.
fn part_path(target: &Path, size: u64, mtime: u32) -> Result<PathBuf, PeerError> {
    let name = target
        .file_name()
        .ok_or_else(|| PeerError::Local { path: target.to_owned(), source: std::io::ErrorKind::InvalidInput.into() })?;
    let mut part = std::ffi::OsString::from(".");
    part.push(name);
    part.push(format!(".{size}-{mtime}{PART_SUFFIX}"));
    Ok(target.with_file_name(part))
}

/// Opens (or creates) a part file for appending, never through a symlink.
fn open_part(part: &Path) -> Result<std::fs::File, PeerError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(part)
        .map_err(PeerError::local(part))
}

/// Creates `dir` if needed; refuses a symlink or a file in its place.
fn ensure_local_dir(dir: &Path) -> Result<(), PeerError> {
    match dir.symlink_metadata() {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => Err(PeerError::Local {
            path: dir.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "exists and is not a directory"),
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir(dir).map_err(PeerError::local(dir))
        }
        Err(err) => Err(PeerError::Local { path: dir.to_owned(), source: err }),
    }
}
