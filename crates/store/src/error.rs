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

/// The one way a store failure becomes a service error, for the manager and
/// the workers alike.
impl From<StoreError> for cordvault_core::Error {
    fn from(err: StoreError) -> Self {
        use cordvault_core::Error;
        match err {
            // A recorded chunk the store no longer has: the bytes are lost.
            StoreError::NotFound(locator) => {
                Error::data_loss(format!("chunk {locator} is missing from the chunk store"))
            }
            // Both may pass (the service comes back, a full disk gets room):
            // the caller retries.
            StoreError::Unavailable(_) | StoreError::Io(_) => Error::unavailable(err.to_string()),
            // Retrying cannot help: a bug or the store's configuration.
            StoreError::InvalidLocator(_) | StoreError::TooLarge { .. } | StoreError::Misconfigured(_) => {
                tracing::error!(error = %err, "chunk store failure");
                Error::internal(err.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordvault_core::ErrorCode;

    #[test]
    fn store_failures_keep_what_the_caller_can_act_on() {
        let code = |err: StoreError| cordvault_core::Error::from(err).code;
        assert_eq!(code(StoreError::NotFound(ChunkLocator("x".into()))), ErrorCode::DataLoss);
        assert_eq!(code(StoreError::Unavailable("429".into())), ErrorCode::Unavailable);
        assert_eq!(code(StoreError::Io(std::io::Error::other("disk full"))), ErrorCode::Unavailable);
        assert_eq!(code(StoreError::TooLarge { size: 2, limit: 1 }), ErrorCode::Internal);
        assert_eq!(code(StoreError::Misconfigured("no channel".into())), ErrorCode::Internal);
    }
}
