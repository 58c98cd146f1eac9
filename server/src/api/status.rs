//! Service errors as gRPC statuses (the mapping lives in the SDK, which every
//! server and worker shares) and as HTTP statuses, and the caller of an RPC.

use cordvault_core::{Error, ErrorCode};
use tonic::{Request, Status};

use crate::services::access::Caller;

/// Service errors become gRPC statuses through the one mapping the SDK
/// also reads them back with.
pub use cordvault_client::to_status;

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
