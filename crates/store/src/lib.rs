//! Chunk stores: where sealed chunks live.
//!
//! A store keeps opaque byte objects and hands back a locator for each. It
//! knows nothing of files, keys or users; the manager records locators in the
//! database. Every store passes the same [`conformance`] suite.

pub mod conformance;
mod direct;
pub mod discord;
mod discord_limits;
mod error;
mod local;
mod put;

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;

pub use discord::{DiscordConfig, DiscordStore};
pub use error::StoreError;
pub use local::LocalStore;
pub use put::{StoredChunk, UploadShape, seal_and_put};

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

/// The same store description with other Discord channels, for a worker
/// given channels of its own; other stores are unchanged.
pub fn with_discord_channels(spec: &str, channels: &[u64]) -> Result<String, StoreError> {
    let Some(json) = spec.strip_prefix("discord:") else {
        return Ok(spec.to_owned());
    };
    let mut config: DiscordConfig = serde_json::from_str(json)
        .map_err(|err| StoreError::Misconfigured(format!("bad Discord store settings: {err}")))?;
    config.channels = channels.to_vec();
    let json = serde_json::to_string(&config).map_err(|err| StoreError::Misconfigured(err.to_string()))?;
    Ok(format!("discord:{json}"))
}

/// Opens a store from its description: `local:/path/to/chunks`, or
/// `discord:` followed by a [`DiscordConfig`] in JSON.
pub fn open(spec: &str, max_object_size: u64) -> Result<std::sync::Arc<dyn ChunkStore>, StoreError> {
    match spec.split_once(':') {
        Some(("local", path)) if !path.is_empty() => {
            Ok(std::sync::Arc::new(LocalStore::open(path)?.with_max_object_size(max_object_size)))
        }
        Some(("discord", json)) => {
            let config: DiscordConfig = serde_json::from_str(json)
                .map_err(|err| StoreError::Misconfigured(format!("bad Discord store settings: {err}")))?;
            Ok(discord::shared(DiscordStore::new(config)?))
        }
        _ => Err(StoreError::Misconfigured("unknown chunk store (expected local:/path or discord:{…})".into())),
    }
}
