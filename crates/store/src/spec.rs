//! Which chunk store, and how to reach it. The manager opens its store from
//! one, and hands the same to workers in Welcome (the worker protocol's
//! `chunk_store` string, the only place it is a string). A Discord store's
//! bot tokens are part of it, so its `Debug` leaves them out.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{ChunkStore, DiscordConfig, DiscordStore, LocalStore, StoreError, discord};

#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// A directory of this machine (or a shared mount).
    Local(PathBuf),
    Discord(DiscordConfig),
}

impl StoreSpec {
    /// Reads the wire form: `local:/path/to/chunks`, or `discord:` followed
    /// by a [`DiscordConfig`] in JSON.
    pub fn parse(wire: &str) -> Result<StoreSpec, StoreError> {
        match wire.split_once(':') {
            Some(("local", path)) if !path.is_empty() => Ok(StoreSpec::Local(PathBuf::from(path))),
            Some(("discord", json)) => serde_json::from_str(json)
                .map(StoreSpec::Discord)
                .map_err(|err| StoreError::Misconfigured(format!("bad Discord store settings: {err}"))),
            _ => Err(StoreError::Misconfigured("unknown chunk store (expected local:/path or discord:{…})".into())),
        }
    }

    /// The wire form [`StoreSpec::parse`] reads. It carries bot tokens:
    /// it goes to workers and nowhere else.
    pub fn to_wire(&self) -> String {
        match self {
            StoreSpec::Local(path) => format!("local:{}", path.display()),
            StoreSpec::Discord(config) => {
                let json = serde_json::to_string(config).expect("a Discord store's settings serialize");
                format!("discord:{json}")
            }
        }
    }

    /// The same store with other Discord channels, for a worker given
    /// channels of its own; other stores are unchanged.
    pub fn with_discord_channels(self, channels: &[u64]) -> StoreSpec {
        match self {
            StoreSpec::Discord(config) => StoreSpec::Discord(DiscordConfig { channels: channels.to_vec(), ..config }),
            local => local,
        }
    }

    /// Opens the store; objects over `max_object_size` are refused.
    pub fn open(&self, max_object_size: u64) -> Result<Arc<dyn ChunkStore>, StoreError> {
        match self {
            StoreSpec::Local(path) => Ok(Arc::new(LocalStore::open(path)?.with_max_object_size(max_object_size))),
            StoreSpec::Discord(config) => Ok(discord::shared(DiscordStore::new(config.clone())?)),
        }
    }
}

impl std::fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreSpec::Local(path) => f.debug_tuple("Local").field(path).finish(),
            // DiscordConfig's Debug leaves the tokens out.
            StoreSpec::Discord(config) => f.debug_tuple("Discord").field(config).finish(),
        }
    }
}
