//! Plain Rust services: everything the API adapters call. They speak
//! `cordvault_core` types and know nothing of gRPC.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod events;
pub mod folders;
pub mod hasher;
pub mod janitor;
pub mod links;
pub mod quotas;
pub mod reads;
pub mod revocation;
pub mod sharing;
pub mod throttle;
pub mod thumbnails;
pub mod tokens;
pub mod trash;
pub mod tree;
pub mod uploads;
pub mod workers;

use cordvault_store::StoreError;

/// What a chunk store failure means to a caller.
pub fn store_error(err: StoreError) -> cordvault_core::Error {
    match err {
        StoreError::NotFound(locator) => {
            cordvault_core::Error::data_loss(format!("chunk {locator} is missing from the chunk store"))
        }
        StoreError::Unavailable(reason) => cordvault_core::Error::unavailable(reason),
        err => {
            tracing::error!(error = %err, "chunk store failure");
            cordvault_core::Error::internal(err.to_string())
        }
    }
}
