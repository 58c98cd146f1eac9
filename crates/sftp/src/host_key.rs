//! The server's persistent Ed25519 host key.
//!
//! Clients pin the host key (known_hosts, or the fingerprint a peer
//! advertises), so it is created once and reloaded on every start: a fresh
//! key per run would make every client either refuse or learn to ignore
//! the warning.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};

use crate::error::SftpError;

/// The server's host key pair.
#[derive(Clone)]
pub struct HostKey {
    key: PrivateKey,
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKey").field("fingerprint", &self.fingerprint()).finish_non_exhaustive()
    }
}

impl HostKey {
    /// Loads the OpenSSH private key at `path`, or creates a new Ed25519 key
    /// there (mode 0600) if the file does not exist.
    ///
    /// A key file readable by group or others is refused, as sshd does.
    pub fn load_or_create(path: impl AsRef<Path>) -> Result<Self, SftpError> {
        let path = path.as_ref();
        match fs::symlink_metadata(path) {
            Ok(_) => Self::load(path),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                key.write_new(path)?;
                tracing::info!(path = %path.display(), fingerprint = %key.fingerprint(), "created SSH host key");
                Ok(key)
            }
            Err(source) => Err(SftpError::Io { path: path.to_owned(), source }),
        }
    }

    /// A new random Ed25519 key, kept in memory only (tests, ephemeral servers).
    pub fn generate() -> Result<Self, SftpError> {
        // rand 0.10: russh's keys take a rand_core 0.10 RNG, not rand 0.8's.
        let mut rng = rand_russh::rng();
        let key = PrivateKey::random(&mut rng, Algorithm::Ed25519).map_err(SftpError::KeyGeneration)?;
        Ok(Self { key })
    }

    /// Wraps an existing private key.
    pub fn from_private_key(key: PrivateKey) -> Self {
        Self { key }
    }

    fn load(path: &Path) -> Result<Self, SftpError> {
        let io_error = |source| SftpError::Io { path: path.to_owned(), source };
        let mode = fs::metadata(path).map_err(io_error)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(SftpError::HostKeyPermissions { path: path.to_owned(), mode: mode & 0o777 });
        }
        let pem = fs::read_to_string(path).map_err(io_error)?;
        let key =
            PrivateKey::from_openssh(pem).map_err(|source| SftpError::HostKey { path: path.to_owned(), source })?;
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(SftpError::HostKeyAlgorithm { path: path.to_owned(), algorithm: key.algorithm().to_string() });
        }
        Ok(Self { key })
    }

    /// Writes the key to a temporary file created 0600 and renames it into
    /// place, so a crash never leaves a truncated key that later loads fail on.
    fn write_new(&self, path: &Path) -> Result<(), SftpError> {
        let io_error = |source| SftpError::Io { path: path.to_owned(), source };
        let pem = self
            .key
            .to_openssh(LineEnding::LF)
            .map_err(|source| SftpError::HostKey { path: path.to_owned(), source })?;
        let temporary = temporary_path(path);
        let written = (|| {
            let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
            file.write_all(pem.as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written.map_err(io_error)
    }

    /// The public half, as clients see it.
    pub fn public_key(&self) -> &PublicKey {
        self.key.public_key()
    }

    /// OpenSSH's fingerprint form, `SHA256:` and unpadded base64, as
    /// `ssh-keygen -l` and `ssh` print it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }

    /// The public key as one `ssh-ed25519 AAAA...` line (no comment), the
    /// form known_hosts and authorized_keys entries use.
    pub fn public_key_openssh(&self) -> String {
        let mut public = self.key.public_key().clone();
        public.set_comment("");
        public.to_openssh().unwrap_or_default()
    }

    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|name| name.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("host_ed25519");
        let created = HostKey::load_or_create(&path).expect("create");
        let mode = fs::metadata(&path).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let reloaded = HostKey::load_or_create(&path).expect("reload");
        assert_eq!(created.fingerprint(), reloaded.fingerprint());
        assert!(created.fingerprint().starts_with("SHA256:"));
        assert!(!created.fingerprint().ends_with('='));
        assert!(created.public_key_openssh().starts_with("ssh-ed25519 AAAA"));
    }

    #[test]
    fn refuses_a_key_others_can_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("host_ed25519");
        HostKey::load_or_create(&path).expect("create");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(HostKey::load_or_create(&path), Err(SftpError::HostKeyPermissions { .. })));
    }

    #[test]
    fn refuses_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("host_ed25519");
        fs::write(&path, "not a key").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(matches!(HostKey::load_or_create(&path), Err(SftpError::HostKey { .. })));
    }
}
