//! The manager through its public gRPC API, every test on SQLite and, when
//! `CORDVAULT_TEST_POSTGRES` is set, on PostgreSQL.

mod accounts;
mod admin;
mod audit;
mod audit_limits;
mod authorization;
mod credentials;
mod discord;
mod downloads;
mod errors;
mod links;
mod locks;
mod malformed;
mod package_uploads;
mod packages;
mod permissions;
mod properties;
mod sharing;
mod thumbnails;
mod transfer;
mod tree;
mod worker_link;

use cordvault_test_support::TestServer;
use std::path::PathBuf;

/// Every object file of the local chunk store.
pub fn stored_objects(server: &TestServer) -> Vec<PathBuf> {
    let mut objects = Vec::new();
    for shard in std::fs::read_dir(server.chunk_dir()).unwrap() {
        let shard = shard.unwrap();
        if shard.file_name() == "tmp" {
            continue;
        }
        for object in std::fs::read_dir(shard.path()).unwrap() {
            objects.push(object.unwrap().path());
        }
    }
    objects
}
