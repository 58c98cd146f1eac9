//! The crate's error type, for setup (keys, folders, listener) and for the
//! client. Per-request refusals inside a session are [`crate::FsError`]s,
//! answered as SFTP statuses, never as errors that end a connection.

use std::path::PathBuf;

/// Errors from setting up or running the server, and from the client.
#[derive(Debug, thiserror::Error)]
pub enum SftpError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("host key {}: {source}", path.display())]
    HostKey {
        path: PathBuf,
        #[source]
        source: russh::keys::ssh_key::Error,
    },
    #[error("host key {}: expected an Ed25519 key, found {algorithm}", path.display())]
    HostKeyAlgorithm { path: PathBuf, algorithm: String },
    #[error("host key {} is readable by other users (mode {mode:o}); it must be 0600", path.display())]
    HostKeyPermissions { path: PathBuf, mode: u32 },
    #[error("key generation failed: {0}")]
    KeyGeneration(#[source] russh::keys::ssh_key::Error),
    #[error("listener: {0}")]
    Listener(#[source] std::io::Error),
    #[error("ssh: {0}")]
    Ssh(#[from] russh::Error),
    #[error("server host key mismatch: expected {expected}, got {actual}")]
    HostKeyMismatch { expected: String, actual: String },
    #[error("server host key is a certificate; only a pinned plain key is accepted")]
    HostKeyCertificate,
    #[error("the server refused public key authentication for user {user:?}")]
    AuthRejected { user: String },
    #[error("sftp: {0}")]
    Sftp(#[from] russh_sftp::client::error::Error),
}
