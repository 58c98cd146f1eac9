//! Compiles proto/cordvault/{v1,worker/v1} with protox (pure Rust, no protoc) and writes the
//! descriptor set next to the generated code for server reflection.

use std::path::PathBuf;

const PROTO_FILES: &[&str] = &[
    "cordvault/v1/common.proto",
    "cordvault/v1/auth.proto",
    "cordvault/v1/file.proto",
    "cordvault/v1/transfer.proto",
    "cordvault/v1/worker.proto",
    "cordvault/v1/admin.proto",
    "cordvault/v1/link.proto",
    "cordvault/v1/package.proto",
    "cordvault/v1/lock.proto",
    "cordvault/worker/v1/worker.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed={}", proto_root.join("cordvault").display());

    let descriptors = protox::compile(PROTO_FILES, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("cordvault_descriptor.bin"), prost::Message::encode_to_vec(&descriptors))?;
    let grpc = std::env::var_os("CARGO_FEATURE_GRPC").is_some();
    tonic_prost_build::configure()
        .build_server(grpc)
        .build_client(grpc)
        // No transport constructors: WorkerLinkService.Connect would clash with `connect`.
        .build_transport(false)
        .bytes(".")
        .compile_fds(descriptors)?;
    Ok(())
}
