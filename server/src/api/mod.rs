//! Thin gRPC adapters: protobuf in, a service call, protobuf out.

pub mod admin;
pub mod auth;
pub mod authn;
pub mod convert;
pub mod file;
pub mod link;
pub mod lock;
pub mod package;
pub mod status;
pub mod transfer;
pub mod worker;
pub mod worker_link;
