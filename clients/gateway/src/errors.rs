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
