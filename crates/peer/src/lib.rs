//! Peer mode: the discord-sftp tool rebuilt on cordvault (issue 16).
//!
//! Peers share folders over SFTP ([`cordvault_sftp`]) and find each other
//! through adverts a Discord bot posts in a channel. This crate holds the
//! parts that need no network: the signed [`advert`] format, and
//! [`discovery`], which turns a batch of channel messages into the peers to
//! trust (trust on first use, pinned in a file) and the client keys the
//! SFTP server may let in.
//!
//! Unlike the original, an advert carries no password or other secret: it
//! names the peer's host key and client key and is signed by the host key,
//! so nobody else can advertise under its name, and a client checks the
//! server it reaches against the advertised fingerprint.

pub mod advert;
pub mod channel;
pub mod discovery;
mod error;
pub mod identity;
pub mod node;
pub mod session;
pub mod upnp;

pub use advert::{Advert, AdvertError, Endpoint, unix_now};
pub use channel::{AdvertChannel, ChannelChoice};
pub use discovery::{AcceptError, ChannelMessage, IngestReport, Peer, PeerTable, PinStore, PinStoreError, Warning};
pub use error::PeerError;
pub use identity::Identity;
pub use node::{PeerNode, PeerOptions, ShareOptions};
pub use session::{GetOptions, GetReport, PeerSession, Progress, RemoteEntry};
