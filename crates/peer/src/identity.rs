//! A peer's identity in its config directory: the SSH host key its server
//! shows (and signs adverts with) and the client key it logs in to others
//! with, both Ed25519, created on first use and kept so that pins and
//! fingerprints stay valid across runs.

use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use cordvault_sftp::{HostKey, PrivateKey, PublicKey};

use crate::error::PeerError;

/// The host key file in the config directory.
pub const HOST_KEY_FILE: &str = "peer_host_ed25519_key";
/// The client key file in the config directory.
pub const CLIENT_KEY_FILE: &str = "peer_client_ed25519_key";
/// Extra client keys the server lets in, one OpenSSH public key per line.
pub const ALLOW_FILE: &str = "peer_authorized_keys";

#[derive(Debug, Clone)]
pub struct Identity {
    pub host_key: HostKey,
    /// Kept as a `HostKey` for its load/create rules (0600, Ed25519).
    client: HostKey,
    config_dir: PathBuf,
}

impl Identity {
    /// Loads both keys from `config_dir`, creating the directory (0700) and
    /// any missing key.
    pub fn load_or_create(config_dir: impl AsRef<Path>) -> Result<Identity, PeerError> {
        let config_dir = config_dir.as_ref().to_owned();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&config_dir)
            .map_err(PeerError::local(&config_dir))?;
        Ok(Identity {
            host_key: HostKey::load_or_create(config_dir.join(HOST_KEY_FILE))?,
            client: HostKey::load_or_create(config_dir.join(CLIENT_KEY_FILE))?,
            config_dir,
        })
    }

    pub fn client_key(&self) -> &PrivateKey {
        self.client.private_key()
    }

    pub fn client_public_key(&self) -> &PublicKey {
        self.client.public_key()
    }

    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }
}
