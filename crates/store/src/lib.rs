//! Chunk stores: where sealed chunks live.
//!
//! A store keeps opaque byte objects and hands back a locator for each. It
//! knows nothing of files, keys or users; the manager records locators in the
//! database. Every store passes the same [`conformance`] suite.

pub mod conformance;
mod direct;
pub mod discord;
pub mod discord_channels;
mod discord_limits;
mod error;
mod local;
mod put;
mod spec;
mod stored_file;

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;

pub use discord::{DiscordApi, DiscordConfig, DiscordStore};
pub use discord_channels::{BotGuild, TextChannel, TextMessage};
pub use error::StoreError;
pub use local::LocalStore;
pub use put::{StoredChunk, UploadShape, seal_and_put};
pub use spec::StoreSpec;
pub use stored_file::StoredFile;

/// Where a store put an object: opaque to everyone but that store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkLocator(pub String);

impl std::fmt::Display for ChunkLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[async_trait]
pub trait ChunkStore: Send + Sync + std::fmt::Debug + 'static {
    /// Largest object, in bytes, that `put` accepts.
    fn max_object_size(&self) -> u64;

    /// Stores an object. Returns only once the bytes are durable.
    async fn put(&self, data: Bytes) -> Result<ChunkLocator, StoreError>;

    /// Reads `range` of an object; the answer is shorter only when the object is.
    async fn get_range(&self, locator: &ChunkLocator, range: Range<u64>) -> Result<Bytes, StoreError>;

    /// Removes an object; removing one that is gone is not an error.
    async fn delete(&self, locator: &ChunkLocator) -> Result<(), StoreError>;

    /// Every object the store holds, for consistency checks.
    async fn list(&self) -> Result<Vec<StoredObject>, StoreError>;
}

/// An object as [`ChunkStore::list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub locator: ChunkLocator,
    /// When it was stored; orphan sweeps spare young objects whose record
    /// may still be on its way.
    pub stored_at: std::time::SystemTime,
}
