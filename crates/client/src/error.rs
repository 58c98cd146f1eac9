//! Errors as the SDK reports them. The mapping between cordvault error codes
//! and gRPC statuses is core's one error boundary
//! ([`cordvault_core::status`]), re-exported here for SDK users.

pub use cordvault_core::status::{from_status, to_status};
use cordvault_core::{Error, ErrorCode};

pub(crate) fn transport(err: tonic::transport::Error) -> Error {
    Error::unavailable(format!("cannot reach the server: {err}"))
}

pub(crate) fn io(context: &str, err: std::io::Error) -> Error {
    Error::new(ErrorCode::FailedPrecondition, format!("{context}: {err}"))
}
