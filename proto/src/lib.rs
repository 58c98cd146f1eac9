//! cordvault's gRPC API (package `cordvault.v1`), generated at build time.

pub mod v1 {
    tonic::include_proto!("cordvault.v1");
}

/// The encoded descriptor set of every cordvault .proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cordvault_descriptor.bin"));
