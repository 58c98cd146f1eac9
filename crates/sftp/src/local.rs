//! `LocalFolder`: a directory on this machine served as the share's `/`.
//!
//! Confinement rules, checked on every stat, list and open:
//! - every host path is resolved with `canonicalize` and must stay under the
//!   (canonical) folder, so neither `..` nor a symlink leads outside it; a
//!   symlink inside that points inside is followed normally;
//! - unless `dotfiles` is set, any path component starting with `.` is
//!   hidden from listings and refused, in the client's path and in the
//!   resolved target of a symlink alike.
//!
//! What the rules hide is reported as SSH_FX_NO_SUCH_FILE, never as
//! "permission denied": outside the share and dotfiles simply do not exist
//! for the client, which tells it nothing about the host. Writes on a
//! read-only folder are SSH_FX_PERMISSION_DENIED (the core refuses them
//! before they reach this backend).
//!
//! Limits, by design: the check and the later open are separate steps, so
//! a local user who can swap a directory for a symlink inside the shared
//! folder between the two could race it; and a hard link inside the folder
//! to a file outside is indistinguishable from a regular file. Both need
//! local write access to the shared folder, which this module does not
//! defend against.

use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::SftpError;
use crate::fs::{DirEntry, FileKind, FsError, Metadata, SftpFile, SftpFileSystem, WriteMode};
use crate::path::SftpPath;

/// A local directory shared over SFTP; read-only and without dotfiles unless
/// told otherwise.
#[derive(Debug, Clone)]
pub struct LocalFolder {
    rules: Arc<Rules>,
}

/// The folder and the options that decide what a client may reach.
#[derive(Debug)]
struct Rules {
    /// Canonical path of the shared folder.
    root: PathBuf,
    writable: bool,
    dotfiles: bool,
}

impl LocalFolder {
    /// Shares `root` read-only, dotfiles hidden. Fails if `root` is not an
    /// existing directory.
    pub fn new(root: impl AsRef<Path>) -> Result<Self, SftpError> {
        let given = root.as_ref();
        let root = fs::canonicalize(given).map_err(|source| SftpError::Io { path: given.to_owned(), source })?;
        if !root.is_dir() {
            return Err(SftpError::NotADirectory(given.to_owned()));
        }
        Ok(Self { rules: Arc::new(Rules { root, writable: false, dotfiles: false }) })
    }

    /// Allows uploads, mkdir, remove and rename.
    pub fn writable(self, writable: bool) -> Self {
        self.with(|rules| rules.writable = writable)
    }

    /// Shows and serves names starting with `.`.
    pub fn dotfiles(self, dotfiles: bool) -> Self {
        self.with(|rules| rules.dotfiles = dotfiles)
    }

    /// The canonical path of the shared folder.
    pub fn root(&self) -> &Path {
        &self.rules.root
    }

    fn with(self, change: impl FnOnce(&mut Rules)) -> Self {
        let mut rules = Rules { root: self.rules.root.clone(), ..*self.rules };
        change(&mut rules);
        Self { rules: Arc::new(rules) }
    }

    /// Runs blocking filesystem work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Rules) -> Result<T, FsError> + Send + 'static,
    ) -> Result<T, FsError> {
        let rules = Arc::clone(&self.rules);
        tokio::task::spawn_blocking(move || work(&rules))
            .await
            .map_err(|_| FsError::Failure("internal error".to_owned()))?
    }
}

impl Rules {
    /// Refuses hidden names (dotfiles) and names no host path can carry.
    fn check_names<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<(), FsError> {
        for name in names {
            if name.contains('\0') || (!self.dotfiles && name.starts_with('.')) {
                return Err(FsError::NotFound);
            }
        }
        Ok(())
    }

    /// Checks that a canonical host path lies inside the folder and passes
    /// the name rules there; what escapes is reported as absent.
    fn check_inside(&self, canonical: &Path) -> Result<(), FsError> {
        let Ok(relative) = canonical.strip_prefix(&self.root) else {
            tracing::debug!(target_path = %canonical.display(), "refused: resolves outside the shared folder");
            return Err(FsError::NotFound);
        };
        let mut names = Vec::new();
        for part in relative.components() {
            // A component that is not UTF-8 cannot be named by a client anyway.
            names.push(part.as_os_str().to_str().ok_or(FsError::NotFound)?);
        }
        self.check_names(names)
    }

    /// The host path of an existing `path`, all symlinks followed, checked
    /// to stay inside the folder.
    fn resolve(&self, path: &SftpPath) -> Result<PathBuf, FsError> {
        self.check_names(path.components())?;
        let mut joined = self.root.clone();
        joined.extend(path.components());
        let canonical = fs::canonicalize(&joined).map_err(|err| FsError::from_io(&err))?;
        self.check_inside(&canonical)?;
        Ok(canonical)
    }

    /// The host path of the entry `path` names, without following it if it
    /// is a symlink (for lstat, remove, rename), and its own metadata. Its
    /// parent is resolved and checked; a symlink entry must point inside.
    fn resolve_entry(&self, path: &SftpPath) -> Result<(PathBuf, fs::Metadata), FsError> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            let metadata = fs::symlink_metadata(&self.root).map_err(|err| FsError::from_io(&err))?;
            return Ok((self.root.clone(), metadata));
        };
        self.check_names([name])?;
        let entry = self.resolve(&parent)?.join(name);
        let metadata = fs::symlink_metadata(&entry).map_err(|err| FsError::from_io(&err))?;
        if metadata.file_type().is_symlink() {
            let target = fs::canonicalize(&entry).map_err(|err| FsError::from_io(&err))?;
            self.check_inside(&target)?;
        }
        Ok((entry, metadata))
    }

    /// The host path where `path` is, or is to be created: its parent
    /// resolved and checked; an existing symlink resolves to its (checked)
    /// target.
    fn resolve_new(&self, path: &SftpPath) -> Result<PathBuf, FsError> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(FsError::Failure("already exists".to_owned()));
        };
        self.check_names([name])?;
        let entry = self.resolve(&parent)?.join(name);
        match fs::symlink_metadata(&entry) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = fs::canonicalize(&entry).map_err(|err| FsError::from_io(&err))?;
                self.check_inside(&target)?;
                Ok(target)
            }
            Ok(_) => Ok(entry),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(entry),
            Err(err) => Err(FsError::from_io(&err)),
        }
    }

    fn stat(&self, path: &SftpPath) -> Result<Metadata, FsError> {
        let host = self.resolve(path)?;
        let metadata = fs::metadata(host).map_err(|err| FsError::from_io(&err))?;
        Ok(to_metadata(&metadata))
    }

    fn read_dir(&self, path: &SftpPath) -> Result<Vec<DirEntry>, FsError> {
        let dir = self.resolve(path)?;
        let mut entries = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|err| FsError::from_io(&err))? {
            let entry = entry.map_err(|err| FsError::from_io(&err))?;
            let Ok(name) = entry.file_name().into_string() else {
                // SFTP names here are UTF-8 strings; a lossy name could not be opened.
                tracing::debug!(dir = %dir.display(), "skipped a name that is not UTF-8");
                continue;
            };
            if self.check_names([name.as_str()]).is_err() {
                continue;
            }
            let Ok(metadata) = entry.metadata() else { continue };
            if metadata.file_type().is_symlink() {
                // Broken links and links leading outside are left out entirely.
                let Ok(target) = fs::canonicalize(entry.path()) else { continue };
                if self.check_inside(&target).is_err() {
                    continue;
                }
            }
            entries.push(DirEntry { name, metadata: to_metadata(&metadata) });
        }
        Ok(entries)
    }

    fn open_read(&self, path: &SftpPath) -> Result<LocalFile, FsError> {
        let host = self.resolve(path)?;
        // Checked before opening: opening a FIFO would block a thread forever.
        let metadata = fs::metadata(&host).map_err(|err| FsError::from_io(&err))?;
        if !metadata.is_file() {
            return Err(not_a_file(&metadata));
        }
        let file = fs::File::open(&host).map_err(|err| FsError::from_io(&err))?;
        Ok(LocalFile { file: Arc::new(file) })
    }

    fn open_write(&self, path: &SftpPath, mode: WriteMode) -> Result<LocalFile, FsError> {
        let host = if mode.create { self.resolve_new(path)? } else { self.resolve(path)? };
        match fs::metadata(&host) {
            Ok(metadata) if !metadata.is_file() => return Err(not_a_file(&metadata)),
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && mode.create => {}
            Err(err) => return Err(FsError::from_io(&err)),
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).read(mode.read);
        if mode.truncate {
            // std refuses append together with truncate; truncation wins.
            options.truncate(true);
        } else if mode.append {
            options.append(true);
        }
        if mode.create && mode.exclusive {
            options.create_new(true);
        } else if mode.create {
            options.create(true);
        }
        let file = options.open(&host).map_err(|err| FsError::from_io(&err))?;
        Ok(LocalFile { file: Arc::new(file) })
    }

    fn read_link(&self, path: &SftpPath) -> Result<SftpPath, FsError> {
        let (entry, metadata) = self.resolve_entry(path)?;
        if !metadata.file_type().is_symlink() {
            return Err(FsError::Failure("not a symlink".to_owned()));
        }
        let target = fs::canonicalize(entry).map_err(|err| FsError::from_io(&err))?;
        let relative = target.strip_prefix(&self.root).map_err(|_| FsError::NotFound)?;
        let relative = relative.to_str().ok_or(FsError::NotFound)?;
        Ok(SftpPath::normalize(relative))
    }

    fn remove_file(&self, path: &SftpPath) -> Result<(), FsError> {
        let (entry, metadata) = self.resolve_entry(path)?;
        if metadata.is_dir() {
            return Err(FsError::Failure("is a directory".to_owned()));
        }
        fs::remove_file(entry).map_err(|err| FsError::from_io(&err))
    }

    fn remove_dir(&self, path: &SftpPath) -> Result<(), FsError> {
        if path.is_root() {
            return Err(FsError::PermissionDenied);
        }
        let (entry, _) = self.resolve_entry(path)?;
        fs::remove_dir(entry).map_err(|err| FsError::from_io(&err))
    }

    /// SFTP v3's rename never replaces; POSIX's (`replace`) replaces a
    /// file, as rename(2) does.
    fn rename(&self, from: &SftpPath, to: &SftpPath, replace: bool) -> Result<(), FsError> {
        if from.is_root() || to.is_root() {
            return Err(FsError::PermissionDenied);
        }
        let (source, _) = self.resolve_entry(from)?;
        let (Some(parent), Some(name)) = (to.parent(), to.file_name()) else {
            return Err(FsError::PermissionDenied);
        };
        self.check_names([name])?;
        let target = self.resolve(&parent)?.join(name);
        // Racy, but only against local users.
        match fs::symlink_metadata(&target) {
            Ok(existing) if !replace || existing.is_dir() => return Err(FsError::Failure("already exists".to_owned())),
            _ => {}
        }
        fs::rename(source, target).map_err(|err| FsError::from_io(&err))
    }
}

fn not_a_file(metadata: &fs::Metadata) -> FsError {
    if metadata.is_dir() {
        FsError::Failure("is a directory".to_owned())
    } else {
        FsError::Failure("not a regular file".to_owned())
    }
}

fn to_metadata(metadata: &fs::Metadata) -> Metadata {
    let file_type = metadata.file_type();
    let kind = if file_type.is_symlink() {
        FileKind::Symlink
    } else if file_type.is_dir() {
        FileKind::Dir
    } else if file_type.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    };
    Metadata {
        kind,
        size: metadata.len(),
        permissions: metadata.mode() & 0o7777,
        modified: metadata.modified().ok(),
        accessed: metadata.accessed().ok(),
    }
}

impl SftpFileSystem for LocalFolder {
    type File = LocalFile;

    fn writable(&self) -> bool {
        self.rules.writable
    }

    async fn stat(&self, path: &SftpPath) -> Result<Metadata, FsError> {
        let path = path.clone();
        self.blocking(move |rules| rules.stat(&path)).await
    }

    async fn lstat(&self, path: &SftpPath) -> Result<Metadata, FsError> {
        let path = path.clone();
        self.blocking(move |rules| rules.resolve_entry(&path).map(|(_, metadata)| to_metadata(&metadata))).await
    }

    async fn read_dir(&self, path: &SftpPath) -> Result<Vec<DirEntry>, FsError> {
        let path = path.clone();
        self.blocking(move |rules| rules.read_dir(&path)).await
    }

    async fn open_read(&self, path: &SftpPath) -> Result<LocalFile, FsError> {
        let path = path.clone();
        self.blocking(move |rules| rules.open_read(&path)).await
    }

    async fn read_link(&self, path: &SftpPath) -> Result<SftpPath, FsError> {
        let path = path.clone();
        self.blocking(move |rules| rules.read_link(&path)).await
    }

    async fn open_write(&self, path: &SftpPath, mode: WriteMode) -> Result<LocalFile, FsError> {
        if !self.rules.writable {
            return Err(FsError::PermissionDenied);
        }
        let path = path.clone();
        self.blocking(move |rules| rules.open_write(&path, mode)).await
    }

    async fn mkdir(&self, path: &SftpPath) -> Result<(), FsError> {
        if !self.rules.writable {
            return Err(FsError::PermissionDenied);
        }
        let path = path.clone();
        self.blocking(move |rules| {
            let host = rules.resolve_new(&path)?;
            fs::create_dir(host).map_err(|err| FsError::from_io(&err))
        })
        .await
    }

    async fn remove_file(&self, path: &SftpPath) -> Result<(), FsError> {
        if !self.rules.writable {
            return Err(FsError::PermissionDenied);
        }
        let path = path.clone();
        self.blocking(move |rules| rules.remove_file(&path)).await
    }

    async fn remove_dir(&self, path: &SftpPath) -> Result<(), FsError> {
        if !self.rules.writable {
            return Err(FsError::PermissionDenied);
        }
        let path = path.clone();
        self.blocking(move |rules| rules.remove_dir(&path)).await
    }

    async fn rename(&self, from: &SftpPath, to: &SftpPath) -> Result<(), FsError> {
        if !self.rules.writable {
            return Err(FsError::PermissionDenied);
        }
        let (from, to) = (from.clone(), to.clone());
        self.blocking(move |rules| rules.rename(&from, &to, false)).await
    }

    async fn rename_replacing(&self, from: &SftpPath, to: &SftpPath) -> Option<Result<(), FsError>> {
        if !self.rules.writable {
            return Some(Err(FsError::PermissionDenied));
        }
        let (from, to) = (from.clone(), to.clone());
        Some(self.blocking(move |rules| rules.rename(&from, &to, true)).await)
    }
}

/// An open local file, read and written with positioned I/O.
#[derive(Debug)]
pub struct LocalFile {
    file: Arc<fs::File>,
}

impl LocalFile {
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&fs::File) -> std::io::Result<T> + Send + 'static,
    ) -> Result<T, FsError> {
        let file = Arc::clone(&self.file);
        match tokio::task::spawn_blocking(move || work(&file)).await {
            Ok(result) => result.map_err(|err| FsError::from_io(&err)),
            Err(_) => Err(FsError::Failure("internal error".to_owned())),
        }
    }
}

impl SftpFile for LocalFile {
    async fn read_at(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FsError> {
        self.blocking(move |file| {
            let mut buffer = vec![0; len as usize];
            let mut filled = 0;
            // Positioned reads may return short; fill up to EOF.
            while filled < buffer.len() {
                match file.read_at(&mut buffer[filled..], offset + filled as u64) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            buffer.truncate(filled);
            Ok(buffer)
        })
        .await
    }

    async fn write_at(&mut self, offset: u64, data: Vec<u8>) -> Result<(), FsError> {
        self.blocking(move |file| file.write_all_at(&data, offset)).await
    }

    async fn metadata(&mut self) -> Result<Metadata, FsError> {
        self.blocking(|file| file.metadata().map(|metadata| to_metadata(&metadata))).await
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// `base/share` is shared; `base/secret.txt` sits next to it.
    fn fixture() -> (tempfile::TempDir, LocalFolder) {
        let base = tempfile::tempdir().expect("tempdir");
        let share = base.path().join("share");
        fs::create_dir_all(share.join("sub")).expect("mkdir");
        fs::write(share.join("hello.txt"), b"hello").expect("write");
        fs::write(share.join("sub/inner.txt"), b"inner").expect("write");
        fs::write(share.join(".env"), b"TOKEN=1").expect("write");
        fs::create_dir(share.join(".git")).expect("mkdir");
        fs::write(share.join(".git/config"), b"git").expect("write");
        fs::write(base.path().join("secret.txt"), b"SECRET").expect("write");
        symlink(base.path().join("secret.txt"), share.join("out-link")).expect("symlink");
        symlink("../..", share.join("sub/up-link")).expect("symlink");
        symlink("hello.txt", share.join("in-link")).expect("symlink");
        symlink(".env", share.join("dot-link")).expect("symlink");
        symlink("missing", share.join("broken-link")).expect("symlink");
        let folder = LocalFolder::new(&share).expect("share");
        (base, folder)
    }

    fn path(raw: &str) -> SftpPath {
        SftpPath::normalize(raw)
    }

    async fn read_all(folder: &LocalFolder, raw: &str) -> Result<Vec<u8>, FsError> {
        let mut file = folder.open_read(&path(raw)).await?;
        file.read_at(0, 1 << 16).await
    }

    #[tokio::test]
    async fn reads_inside_the_share() {
        let (_base, folder) = fixture();
        assert_eq!(read_all(&folder, "/hello.txt").await.expect("read"), b"hello");
        assert_eq!(read_all(&folder, "sub/inner.txt").await.expect("read"), b"inner");
        // `..` is removed by normalisation before the backend sees it.
        assert_eq!(read_all(&folder, "/sub/../hello.txt").await.expect("read"), b"hello");
        // A symlink inside pointing inside is followed.
        assert_eq!(read_all(&folder, "/in-link").await.expect("read"), b"hello");
    }

    #[tokio::test]
    async fn nothing_outside_is_reachable() {
        let (_base, folder) = fixture();
        for raw in ["../secret.txt", "/../secret.txt", "/sub/../../secret.txt", "/out-link"] {
            assert!(matches!(read_all(&folder, raw).await, Err(FsError::NotFound)), "{raw}");
            assert!(matches!(folder.stat(&path(raw)).await, Err(FsError::NotFound)), "{raw}");
        }
        assert!(matches!(folder.lstat(&path("/out-link")).await, Err(FsError::NotFound)));
        assert!(matches!(folder.read_link(&path("/out-link")).await, Err(FsError::NotFound)));
        // A relative symlink climbing to the share's parent resolves outside too.
        assert!(matches!(folder.read_dir(&path("/sub/up-link")).await, Err(FsError::NotFound)));
        assert!(matches!(read_all(&folder, "/sub/up-link/secret.txt").await, Err(FsError::NotFound)));
    }

    #[tokio::test]
    async fn dotfiles_are_hidden_and_refused() {
        let (_base, folder) = fixture();
        for raw in ["/.env", ".git/config", "/dot-link"] {
            assert!(matches!(read_all(&folder, raw).await, Err(FsError::NotFound)), "{raw}");
        }
        assert!(matches!(folder.read_dir(&path("/.git")).await, Err(FsError::NotFound)));
        let names: Vec<String> =
            folder.read_dir(&SftpPath::root()).await.expect("list").into_iter().map(|entry| entry.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, ["hello.txt", "in-link", "sub"], "no dotfiles, no escaping or broken links");

        let with_dotfiles = folder.clone().dotfiles(true);
        assert_eq!(read_all(&with_dotfiles, "/.env").await.expect("read"), b"TOKEN=1");
        assert_eq!(read_all(&with_dotfiles, "/dot-link").await.expect("read"), b"TOKEN=1");
        assert!(matches!(read_all(&with_dotfiles, "/out-link").await, Err(FsError::NotFound)));
    }

    #[tokio::test]
    async fn listing_reports_links_as_links() {
        let (_base, folder) = fixture();
        let entries = folder.read_dir(&SftpPath::root()).await.expect("list");
        let link = entries.iter().find(|entry| entry.name == "in-link").expect("in-link listed");
        assert_eq!(link.metadata.kind, FileKind::Symlink);
        assert_eq!(folder.stat(&path("/in-link")).await.expect("stat").kind, FileKind::File);
        assert_eq!(folder.read_link(&path("/in-link")).await.expect("readlink"), path("/hello.txt"));
    }

    #[tokio::test]
    async fn read_only_by_default() {
        let (base, folder) = fixture();
        let mode = WriteMode { create: true, truncate: true, ..WriteMode::default() };
        assert!(matches!(folder.open_write(&path("/new.txt"), mode).await, Err(FsError::PermissionDenied)));
        assert!(matches!(folder.mkdir(&path("/newdir")).await, Err(FsError::PermissionDenied)));
        assert!(matches!(folder.remove_file(&path("/hello.txt")).await, Err(FsError::PermissionDenied)));
        assert!(matches!(folder.rename(&path("/hello.txt"), &path("/x")).await, Err(FsError::PermissionDenied)));
        assert!(!base.path().join("share/new.txt").exists());
        assert!(base.path().join("share/hello.txt").exists());
    }

    #[tokio::test]
    async fn writable_share_writes_inside_only() {
        let (base, folder) = fixture();
        let folder = folder.writable(true);
        let mode = WriteMode { create: true, truncate: true, ..WriteMode::default() };
        let mut file = folder.open_write(&path("/sub/new.txt"), mode).await.expect("create");
        file.write_at(0, b"new".to_vec()).await.expect("write");
        file.close().await.expect("close");
        assert_eq!(fs::read(base.path().join("share/sub/new.txt")).expect("read back"), b"new");

        // Writing through the escaping link must not touch the outside file.
        assert!(matches!(folder.open_write(&path("/out-link"), mode).await, Err(FsError::NotFound)));
        assert!(folder.open_write(&path("/../escape.txt"), mode).await.is_ok());
        assert!(base.path().join("share/escape.txt").exists(), "`..` stayed inside");
        assert!(!base.path().join("escape.txt").exists());
        assert!(matches!(folder.open_write(&path("/.env"), mode).await, Err(FsError::NotFound)));
        assert!(matches!(folder.remove_file(&path("/out-link")).await, Err(FsError::NotFound)));
        assert_eq!(fs::read(base.path().join("secret.txt")).expect("secret"), b"SECRET");

        folder.mkdir(&path("/made")).await.expect("mkdir");
        folder.rename(&path("/sub/new.txt"), &path("/made/moved.txt")).await.expect("rename");
        assert!(matches!(folder.rename(&path("/hello.txt"), &path("/made/moved.txt")).await, Err(FsError::Failure(_))));
        // posix-rename replaces a file, never a folder.
        let replaced = folder.rename_replacing(&path("/hello.txt"), &path("/made/moved.txt")).await;
        replaced.expect("offered").expect("replaces");
        assert_eq!(fs::read(base.path().join("share/made/moved.txt")).expect("moved"), b"hello");
        let onto_folder = folder.rename_replacing(&path("/made/moved.txt"), &path("/sub")).await;
        assert!(matches!(onto_folder, Some(Err(FsError::Failure(_)))));
        folder.remove_file(&path("/made/moved.txt")).await.expect("rm");
        folder.remove_dir(&path("/made")).await.expect("rmdir");
        assert!(matches!(folder.remove_dir(&SftpPath::root()).await, Err(FsError::PermissionDenied)));
    }
}
