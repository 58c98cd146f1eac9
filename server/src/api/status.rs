//! The one place where service errors become gRPC statuses.

use cordvault_core::{Error, ErrorCode};
use tonic::{Code, Request, Status};

use crate::services::access::Caller;

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

/// The same codes as HTTP statuses, for the plain HTTP routes.
pub fn to_http_status(code: ErrorCode) -> http::StatusCode {
    use http::StatusCode;
    match code {
        ErrorCode::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::AlreadyExists => StatusCode::CONFLICT,
        ErrorCode::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::FailedPrecondition => StatusCode::CONFLICT,
        ErrorCode::OutOfRange => StatusCode::RANGE_NOT_SATISFIABLE,
        ErrorCode::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::DataLoss | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// `.api()?` turns a service result into one an RPC can return.
pub trait ApiResult<T> {
    fn api(self) -> Result<T, Status>;
}

impl<T> ApiResult<T> for Result<T, Error> {
    fn api(self) -> Result<T, Status> {
        self.map_err(to_status)
    }
}

/// The authenticated caller, put there by the authentication layer.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("missing authorization: Bearer token"))
}
