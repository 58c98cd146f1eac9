//! API errors as each protocol reports them. The API's own codes come from
//! core's one error boundary; this is the gateway's side of it.

use cordvault_core::{Error, ErrorCode};
use cordvault_sftp::FsError;

/// The SFTP status for an API error. SFTP v3 has codes only for "no such
/// file" and "permission denied"; everything else is a failure that
/// carries the manager's reason (quota exceeded, name taken...).
pub(crate) fn sftp_status(err: Error) -> FsError {
    match err.code {
        ErrorCode::NotFound => FsError::NotFound,
        ErrorCode::PermissionDenied | ErrorCode::Unauthenticated => FsError::PermissionDenied,
        ErrorCode::Internal => {
            tracing::warn!(error = %err, "the manager failed a request");
            FsError::Failure("the server failed; try again".to_owned())
        }
        _ => FsError::Failure(err.message),
    }
}

/// The WebDAV (HTTP) status for an API error, as dav-server maps its
/// file-system errors: 404, 403, 405/412 for what exists, 507 for quota.
pub(crate) fn dav_error(err: Error) -> dav_server::fs::FsError {
    use dav_server::fs::FsError;
    match err.code {
        ErrorCode::NotFound => FsError::NotFound,
        ErrorCode::PermissionDenied | ErrorCode::Unauthenticated => FsError::Forbidden,
        ErrorCode::AlreadyExists => FsError::Exists,
        ErrorCode::ResourceExhausted => FsError::InsufficientStorage,
        ErrorCode::InvalidArgument | ErrorCode::FailedPrecondition | ErrorCode::OutOfRange => {
            tracing::info!(error = %err, "webdav request refused by the manager");
            FsError::Forbidden
        }
        ErrorCode::DataLoss | ErrorCode::Unavailable | ErrorCode::Internal => {
            tracing::warn!(error = %err, "the manager failed a webdav request");
            FsError::GeneralFailure
        }
    }
}
