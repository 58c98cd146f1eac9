//! What can stop a peer-mode operation, in words the user can act on.

use std::path::PathBuf;

use cordvault_sftp::SftpError;
use cordvault_store::StoreError;

use crate::advert::AdvertError;
use crate::discovery::{AcceptError, PinStoreError};

#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("Discord: {}", discord_message(.0))]
    Discord(#[from] StoreError),
    #[error("no text channel named #{name} in the bot's guilds ({searched}); invite the bot or pass --channel-id")]
    ChannelNotFound { name: String, searched: String },
    #[error("#{name} exists in several of the bot's guilds ({found}); pass --channel-id to choose")]
    ChannelAmbiguous { name: String, found: String },
    #[error(transparent)]
    Sftp(#[from] SftpError),
    #[error(transparent)]
    Pins(#[from] PinStoreError),
    #[error(transparent)]
    Accept(#[from] AcceptError),
    #[error("advert: {0}")]
    Advert(#[from] AdvertError),
    #[error("no live peer named {0:?} (list_peers shows who is online)")]
    UnknownPeer(String),
    #[error("{0} runs client-only: it shares nothing to connect to")]
    ClientOnly(String),
    #[error("{}: {source}", path.display())]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} already exists; use -f to overwrite it", .0.display())]
    Exists(PathBuf),
    #[error("{path}: {message}")]
    Remote { path: String, message: String },
    #[error("{0}")]
    Refused(String),
}

impl PeerError {
    pub(crate) fn local(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PeerError {
        let path = path.into();
        move |source| PeerError::Local { path, source }
    }

    pub(crate) fn remote(path: &str) -> impl FnOnce(russh_sftp::client::error::Error) -> PeerError + '_ {
        move |err| PeerError::Remote { path: path.to_owned(), message: remote_message(&err) }
    }
}

/// The store's errors speak of a chunk store; here it is a channel.
fn discord_message(err: &StoreError) -> String {
    match err {
        StoreError::Unavailable(message) | StoreError::Misconfigured(message) => message.clone(),
        StoreError::NotFound(_) => "not found".to_owned(),
        other => other.to_string(),
    }
}

/// An SFTP status as a user reads it ("no such file", "permission denied").
fn remote_message(err: &russh_sftp::client::error::Error) -> String {
    use russh_sftp::client::error::Error;
    use russh_sftp::protocol::StatusCode;
    match err {
        Error::Status(status) => match status.status_code {
            StatusCode::NoSuchFile => "no such file or directory".to_owned(),
            StatusCode::PermissionDenied => "permission denied".to_owned(),
            StatusCode::Eof => "unexpected end of file".to_owned(),
            _ if !status.error_message.is_empty() => status.error_message.clone(),
            code => format!("{code:?}"),
        },
        other => other.to_string(),
    }
}
