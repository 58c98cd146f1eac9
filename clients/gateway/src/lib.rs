//! The cordvault tree over the protocols users' own clients speak (SFTP
//! and WebDAV), served by a gateway that is only a client of the manager's
//! public API: it signs each user in and then acts with that user's token,
//! so every permission, quota and audit rule of the manager applies
//! unchanged, and the gateway never touches the database or the chunk
//! store.

pub mod dav;
mod errors;
pub mod logins;
mod read_ahead;
mod running;
pub mod sftp;
mod staging;
mod tree_ops;

pub use logins::Logins;
pub use running::{DavGatewayConfig, GatewayError, RunningSftpGateway, SftpGatewayConfig, dav_routes, start_sftp};
pub use staging::StagingArea;
