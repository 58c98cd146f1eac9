//! SFTP for cordvault: a server core on russh + russh-sftp that serves any
//! [`SftpFileSystem`], a [`LocalFolder`] backend that shares a directory,
//! and a [`client`] that connects to such a server with a pinned host key.
//!
//! Security model, in short: logins decided by the caller's [`Gatekeeper`]
//! (public keys through an [`Authorizer`] for a shared folder; passwords
//! only where the gatekeeper offers them); a persistent Ed25519 [`HostKey`] whose
//! fingerprint clients pin; only the `sftp` subsystem (exec, shell and
//! terminals are refused); client paths normalised so `..` never climbs
//! above the share's `/`; read-only unless the backend says otherwise; and
//! connection, session, handle and time limits ([`Limits`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), cordvault_sftp::SftpError> {
//! use cordvault_sftp::{AuthorizedKeys, HostKey, LocalFolder, SftpServer};
//!
//! let host_key = HostKey::load_or_create("/var/lib/cordvault/ssh_host_ed25519_key")?;
//! let allowed = AuthorizedKeys::load("/etc/cordvault/authorized_keys")?;
//! let server = SftpServer::builder(LocalFolder::new("/srv/share")?, host_key, allowed).build();
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:2222")
//!     .await
//!     .map_err(cordvault_sftp::SftpError::Listener)?;
//! server.serve(listener).await;
//! # Ok(())
//! # }
//! ```

mod auth;
pub mod client;
mod error;
mod fs;
mod host_key;
mod limits;
mod local;
mod login;
mod path;
mod server;
mod sftp_handler;
mod ssh_handler;

pub use auth::{AuthorizedKeys, Authorizer};
pub use error::SftpError;
pub use fs::{DirEntry, FileKind, FsError, Metadata, SftpFile, SftpFileSystem, WriteMode};
pub use host_key::HostKey;
pub use limits::Limits;
pub use local::{LocalFile, LocalFolder};
pub use login::{Gatekeeper, SharedTree};
pub use path::SftpPath;
/// The key types the API uses, from the `ssh-key` version russh pins.
pub use russh::keys::{PrivateKey, PublicKey};
pub use server::{SftpServer, SftpServerBuilder, ShutdownHandle};
