//! The local side of transfers: walking a directory tree and hashing files.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, anyhow};

/// A directory tree to upload, paths relative to its root.
#[derive(Debug, Default)]
pub struct LocalTree {
    /// Directories without subdirectories ("" is the root itself): creating
    /// these remotely creates every other one, as the server makes parents.
    pub leaf_dirs: Vec<PathBuf>,
    pub files: Vec<LocalFile>,
    /// Symlinked directories and special files, left out.
    pub skipped: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct LocalFile {
    pub relative: PathBuf,
    pub size: u64,
}

/// Walks `root`, following symlinks to files but not to directories (they
/// could loop). Other special files are skipped.
pub fn walk(root: &Path) -> Result<LocalTree> {
    let mut tree = LocalTree::default();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        let mut children: Vec<fs::DirEntry> = fs::read_dir(&dir)
            .and_then(|entries| entries.collect())
            .with_context(|| format!("cannot read {}", dir.display()))?;
        children.sort_by_key(|child| child.file_name());
        let mut has_subdirs = false;
        for child in children {
            let path = child.path();
            // fs::metadata follows symlinks; the entry's own type tells whether it is one.
            let metadata = fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let is_symlink = child.file_type().is_ok_and(|kind| kind.is_symlink());
            if metadata.is_dir() && !is_symlink {
                has_subdirs = true;
                pending.push(relative.join(child.file_name()));
            } else if metadata.is_file() {
                tree.files.push(LocalFile { relative: relative.join(child.file_name()), size: metadata.len() });
            } else {
                tree.skipped.push(path);
            }
        }
        if !has_subdirs {
            tree.leaf_dirs.push(relative);
        }
    }
    tree.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(tree)
}

/// The remote path of `relative` under the remote folder `base`.
pub fn remote_path_under(base: &str, relative: &Path) -> Result<String> {
    let mut path = base.to_owned();
    for component in relative.components() {
        let Component::Normal(name) = component else { continue };
        let name = name.to_str().ok_or_else(|| anyhow!("{} is not a valid UTF-8 name", relative.display()))?;
        path = crate::remote_path::join(&path, name);
    }
    Ok(path)
}

/// The name a local file or directory gets remotely; None for "/".
pub fn upload_name(local: &Path) -> Result<Option<String>> {
    // "." and "dir/.." have no name of their own until resolved.
    let resolved = local.canonicalize().with_context(|| format!("cannot read {}", local.display()))?;
    let Some(name) = resolved.file_name() else { return Ok(None) };
    let name = name.to_str().ok_or_else(|| anyhow!("{} is not a valid UTF-8 name", resolved.display()))?;
    Ok(Some(name.to_owned()))
}

/// SHA-256 of a local file in lower-case hex, as the server reports it.
pub async fn sha256_hex(path: PathBuf) -> Result<String> {
    tokio::task::spawn_blocking(move || -> Result<String> {
        let mut file = fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = file.read(&mut buffer).with_context(|| format!("cannot read {}", path.display()))?;
            if read == 0 {
                return Ok(hex::encode(context.finish().as_ref()));
            }
            context.update(&buffer[..read]);
        }
    })
    .await
    .context("hashing task failed")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_files_and_leaf_directories() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("a/b")).unwrap();
        fs::create_dir_all(root.path().join("empty")).unwrap();
        fs::write(root.path().join("top.txt"), b"1").unwrap();
        fs::write(root.path().join("a/b/deep.txt"), b"22").unwrap();
        let tree = walk(root.path()).unwrap();
        let files: Vec<_> = tree.files.iter().map(|file| (file.relative.to_str().unwrap(), file.size)).collect();
        assert_eq!(files, [("a/b/deep.txt", 2), ("top.txt", 1)]);
        let mut leaves: Vec<_> = tree.leaf_dirs.iter().map(|dir| dir.to_str().unwrap()).collect();
        leaves.sort();
        assert_eq!(leaves, ["a/b", "empty"]);
    }

    #[test]
    fn maps_relative_paths_under_a_remote_folder() {
        assert_eq!(remote_path_under("/up", Path::new("a/b.txt")).unwrap(), "/up/a/b.txt");
        assert_eq!(remote_path_under("/", Path::new("")).unwrap(), "/");
        assert_eq!(remote_path_under("/up", Path::new("")).unwrap(), "/up");
    }
}
