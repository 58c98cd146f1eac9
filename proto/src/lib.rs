//! cordvault's gRPC API (package `cordvault.v1`) and the workers' internal
//! one (`cordvault.worker.v1`), generated at build time.

pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/cordvault.v1.rs"));
}

/// The manager's internal API for worker processes (package
/// `cordvault.worker.v1`): it carries data keys, so no public client is
/// generated from it.
pub mod worker {
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/cordvault.worker.v1.rs"));
    }
}

/// The encoded descriptor set of every cordvault .proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cordvault_descriptor.bin"));

#[cfg(feature = "grpc")]
mod browser_cors;
#[cfg(feature = "grpc")]
pub use browser_cors::browser_cors;
#[cfg(feature = "grpc")]
pub mod upload_stream;
