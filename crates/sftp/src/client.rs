//! Connecting to a peer's SFTP server with a pinned host key.
//!
//! There is no trust-on-first-use: the caller must already know the
//! server's fingerprint (from a peer advert, say), and a server showing any
//! other key is refused before authentication, so the client key is never
//! offered to an impostor.

use std::sync::Arc;

use russh::client::{self, Config};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use tokio::net::ToSocketAddrs;

use crate::error::SftpError;

/// The user name [`connect`] logs in as.
pub const DEFAULT_USER: &str = "cordvault";

/// Accepts exactly one host key, by its SHA-256 fingerprint.
struct PinnedHostKey {
    expected: String,
}

impl client::Handler for PinnedHostKey {
    type Error = SftpError;

    async fn check_server_key(&mut self, server_key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_key else {
            return Err(SftpError::HostKeyCertificate);
        };
        let actual = key.fingerprint(HashAlg::Sha256).to_string();
        if actual != self.expected {
            tracing::warn!(expected = %self.expected, actual = %actual, "server host key mismatch");
            return Err(SftpError::HostKeyMismatch { expected: self.expected.clone(), actual });
        }
        Ok(true)
    }
}

/// Connects as [`DEFAULT_USER`]; see [`connect_as`].
pub async fn connect(
    addr: impl ToSocketAddrs,
    client_key: &PrivateKey,
    expected_fingerprint: &str,
) -> Result<SftpSession, SftpError> {
    connect_as(addr, DEFAULT_USER, client_key, expected_fingerprint).await
}

/// Connects to `addr`, checks that the server's host key has
/// `expected_fingerprint` (`SHA256:...`, as [`crate::HostKey::fingerprint`]
/// gives it), authenticates as `user` with `client_key` and opens an SFTP
/// session. The connection lives as long as the returned session.
pub async fn connect_as(
    addr: impl ToSocketAddrs,
    user: &str,
    client_key: &PrivateKey,
    expected_fingerprint: &str,
) -> Result<SftpSession, SftpError> {
    let config = Config { nodelay: true, ..Config::default() };
    let pin = PinnedHostKey { expected: expected_fingerprint.trim().to_owned() };
    let mut handle = client::connect(Arc::new(config), addr, pin).await?;
    // RSA client keys sign with the best SHA-2 hash the server supports.
    let hash = if client_key.algorithm().is_rsa() { handle.best_supported_rsa_hash().await?.flatten() } else { None };
    let key = PrivateKeyWithHashAlg::new(Arc::new(client_key.clone()), hash);
    let auth = handle.authenticate_publickey(user, key).await?;
    if !auth.success() {
        return Err(SftpError::AuthRejected { user: user.to_owned() });
    }
    let channel = handle.channel_open_session().await?;
    channel.request_subsystem(true, "sftp").await?;
    // OpenSSH's sftp keeps 64 reads in flight; russh-sftp's default is 16.
    let config = russh_sftp::client::Config { max_concurrent_reads: 64, ..Default::default() };
    Ok(SftpSession::new_with_config(channel.into_stream(), config).await?)
}
