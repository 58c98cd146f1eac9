//! The data directory holds password hashes, wrapped keys and every name:
//! only the server's user may enter it, and its files are theirs alone.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

/// Creates `dir` (and missing parents) with mode 0700. A directory that
/// already exists keeps its mode, since the operator may have chosen it, but
/// one open to other users earns a warning.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if let Ok(metadata) = std::fs::metadata(dir) {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(data_dir = %dir.display(), mode = format!("{mode:o}"), "the data directory is open to other users; chmod 700 it");
        }
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Makes an existing file readable and writable by its owner only.
pub fn make_private_file(path: &Path) -> std::io::Result<()> {
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        result => result,
    }
}
