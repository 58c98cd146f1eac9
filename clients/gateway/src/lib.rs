//! The cordvault tree over the protocols users' own clients speak (SFTP
//! today), served by a gateway that is only a client of the manager's
//! public API: it signs each user in and then acts with that user's token,
//! so every permission, quota and audit rule of the manager applies
//! unchanged, and the gateway never touches the database or the chunk
//! store.

mod errors;
pub mod logins;
mod running;
pub mod sftp;

pub use logins::Logins;
pub use running::{GatewayError, RunningSftpGateway, SftpGatewayConfig, start_sftp};
