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
    Status::new(code, err.message)
}

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
    Error::new(code, message)
}

pub(crate) fn transport(err: tonic::transport::Error) -> Error {
    Error::unavailable(format!("cannot reach the server: {err}"))
}

pub(crate) fn io(context: &str, err: std::io::Error) -> Error {
    Error::new(ErrorCode::FailedPrecondition, format!("{context}: {err}"))
}
