//! The one mapping between cordvault error codes and gRPC statuses, both
//! ways: servers and workers send errors with [`to_status`], the SDK reads
//! them back with [`from_status`].

use cordvault_core::{Error, ErrorCode};
use tonic::{Code, Status};

pub fn to_status(err: Error) -> Status {
    let code = match err.code {
        ErrorCode::InvalidArgument => Code::InvalidArgument,
        ErrorCode::NotFound => Code::NotFound,
        ErrorCode::AlreadyExists => Code::AlreadyExists,
        ErrorCode::PermissionDenied => Code::PermissionDenied,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::OutOfRange => Code::OutOfRange,
        ErrorCode::ResourceExhausted => Code::ResourceExhausted,
        ErrorCode::DataLoss => Code::DataLoss,
        ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::Internal => Code::Internal,
    };
    let retry_after = err.retry_after_secs();
    let mut status = Status::new(code, err.message);
    if let Some(secs) = retry_after {
        status.metadata_mut().insert(RETRY_AFTER, secs.into());
    }
    status
}

/// Metadata key of the seconds to wait before trying again.
pub const RETRY_AFTER: &str = "retry-after";

pub fn from_status(status: Status) -> Error {
    let code = match status.code() {
        Code::InvalidArgument => ErrorCode::InvalidArgument,
        Code::NotFound => ErrorCode::NotFound,
        Code::AlreadyExists => ErrorCode::AlreadyExists,
        Code::PermissionDenied => ErrorCode::PermissionDenied,
        Code::Unauthenticated => ErrorCode::Unauthenticated,
        Code::FailedPrecondition => ErrorCode::FailedPrecondition,
        Code::OutOfRange => ErrorCode::OutOfRange,
        Code::ResourceExhausted => ErrorCode::ResourceExhausted,
        Code::DataLoss => ErrorCode::DataLoss,
        Code::Unavailable | Code::Cancelled | Code::DeadlineExceeded | Code::Aborted | Code::Unknown => {
            ErrorCode::Unavailable
        }
        Code::Ok | Code::Internal | Code::Unimplemented => ErrorCode::Internal,
    };
    let message = match status.message() {
        "" => format!("{:?}", status.code()),
        message => message.to_owned(),
    };
    let retry_after = status
        .metadata()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let err = Error::new(code, message);
    match retry_after {
        Some(secs) => err.with_retry_after(std::time::Duration::from_secs(secs)),
        None => err,
    }
}

pub(crate) fn transport(err: tonic::transport::Error) -> Error {
    Error::unavailable(format!("cannot reach the server: {err}"))
}

pub(crate) fn io(context: &str, err: std::io::Error) -> Error {
    Error::new(ErrorCode::FailedPrecondition, format!("{context}: {err}"))
}
