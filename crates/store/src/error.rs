use crate::ChunkLocator;

/// What can go wrong in a chunk store, in terms the caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("chunk {0} is not in the store")]
    NotFound(ChunkLocator),
    #[error("{0:?} is not a locator of this store")]
    InvalidLocator(String),
    #[error("object of {size} bytes is over the store's limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// Worth retrying later.
    #[error("chunk store unavailable: {0}")]
    Unavailable(String),
    #[error("chunk store misconfigured: {0}")]
    Misconfigured(String),
    #[error("chunk store i/o error: {0}")]
    Io(#[from] std::io::Error),
}
