//! The Rust SDK for cordvault: typed errors, parallel resumable uploads and
//! ranged downloads over the gRPC API.
//!
//! ```no_run
//! # async fn demo() -> cordvault_client::Result<()> {
//! let client = cordvault_client::Client::connect("http://127.0.0.1:8080").await?;
//! let login = client.login("alice", "correct horse").await?;
//! let client = client.with_token(login.token);
//! client.create_folder("/photos").await?;
//! # Ok(()) }
//! ```

mod client;
mod credentials;
mod download;
mod error;
mod locks;
mod packages;
mod properties;
mod upload;
mod upload_writer;

pub use client::{Client, ListOptions, LoginResult};
pub use cordvault_core::path::ConflictPolicy;
pub use cordvault_core::{Error, ErrorCode};
pub use cordvault_proto::v1 as proto;
pub use credentials::CreatedAppPassword;
pub use download::{DownloadOptions, DownloadReport, RemoteReader};
pub use error::{from_status, to_status};
pub use locks::{LockOptions, LockOutcome};
pub use packages::OpenedResult;
pub use upload::{Progress, ProgressFn, UploadAttempt, UploadOptions, UploadReport};
pub use upload_writer::UploadWriter;

pub type Result<T, E = Error> = std::result::Result<T, E>;
