//! The one error boundary: an [`Error`] as a gRPC status, an HTTP status or
//! an SFTP status code, and back again for clients. Nothing else in
//! cordvault maps error codes.
//!
//! Every gRPC error carries a `google.rpc.ErrorInfo` detail whose reason is
//! the [`ErrorCode`] name, so that a client reads back exactly the code the
//! service meant (several codes share a gRPC code's neighbourhood, and
//! proxies answer with codes of their own). A status without that detail came
//! from somewhere else (a proxy, the transport, tonic itself) and is read by
//! its gRPC code.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::{Error, ErrorCode};

/// `ErrorInfo.domain` of cordvault's errors.
pub const ERROR_DOMAIN: &str = "cordvault";
/// Metadata key (gRPC) and `ErrorInfo` metadata key of the seconds to wait
/// before trying again; HTTP answers carry the same as `Retry-After`.
pub const RETRY_AFTER: &str = "retry-after";

pub fn grpc_code(code: ErrorCode) -> Code {
    match code {
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
    }
}

/// The code of a gRPC status that carries no cordvault `ErrorInfo`. What a
/// transport or proxy says about a call that may not have run (cancelled,
/// timed out, aborted, unknown) is worth retrying.
pub fn code_of_grpc(code: Code) -> ErrorCode {
    match code {
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
    }
}

pub fn to_status(err: Error) -> Status {
    let retry_after = err.retry_after_secs();
    let mut info = HashMap::new();
    if let Some(secs) = retry_after {
        info.insert(RETRY_AFTER.to_owned(), secs.to_string());
    }
    let details = ErrorDetails::with_error_info(err.code.as_str(), ERROR_DOMAIN, info);
    let mut status = Status::with_error_details(grpc_code(err.code), err.message, details);
    if let Some(secs) = retry_after {
        status.metadata_mut().insert(RETRY_AFTER, secs.into());
    }
    status
}

pub fn from_status(status: Status) -> Error {
    let info = status.get_details_error_info().filter(|info| info.domain == ERROR_DOMAIN);
    let code = info.as_ref().and_then(|info| ErrorCode::from_name(&info.reason));
    let code = code.unwrap_or_else(|| code_of_grpc(status.code()));
    let message = match status.message() {
        "" => format!("{:?}", status.code()),
        message => message.to_owned(),
    };
    let retry_after = status
        .metadata()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .or_else(|| info.as_ref().and_then(|info| info.metadata.get(RETRY_AFTER)).map(String::as_str))
        .and_then(|value| value.parse::<u64>().ok());
    let err = Error::new(code, message);
    match retry_after {
        Some(secs) => err.with_retry_after(Duration::from_secs(secs)),
        None => err,
    }
}

/// HTTP header naming the [`ErrorCode`] of an error answer: HTTP has fewer
/// statuses than there are codes (409 and 500 stand for two each).
pub const ERROR_HEADER: &str = "x-cordvault-error";

pub fn http_status(code: ErrorCode) -> http::StatusCode {
    use http::StatusCode;
    match code {
        ErrorCode::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::AlreadyExists | ErrorCode::FailedPrecondition => StatusCode::CONFLICT,
        ErrorCode::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::OutOfRange => StatusCode::RANGE_NOT_SATISFIABLE,
        ErrorCode::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::DataLoss | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// An HTTP error answer as an [`Error`], for clients of the HTTP routes:
/// by its [`ERROR_HEADER`] when it has one (a cordvault server's answer),
/// else by its status.
pub fn from_http(status: http::StatusCode, error_header: Option<&str>, message: impl Into<String>) -> Error {
    use http::StatusCode;
    let code = error_header.and_then(ErrorCode::from_name).unwrap_or(match status {
        StatusCode::BAD_REQUEST => ErrorCode::InvalidArgument,
        StatusCode::NOT_FOUND | StatusCode::GONE => ErrorCode::NotFound,
        StatusCode::CONFLICT => ErrorCode::FailedPrecondition,
        StatusCode::FORBIDDEN => ErrorCode::PermissionDenied,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::RANGE_NOT_SATISFIABLE => ErrorCode::OutOfRange,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::ResourceExhausted,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => {
            ErrorCode::Unavailable
        }
        status if status.is_client_error() => ErrorCode::InvalidArgument,
        _ => ErrorCode::Internal,
    });
    Error::new(code, message)
}

/// SFTP status codes (draft-ietf-secsh-filexfer-02, the version OpenSSH
/// speaks: it has no codes for "exists" or "quota", so those are FAILURE
/// with the message saying which).
pub mod sftp {
    pub const OK: u32 = 0;
    pub const EOF: u32 = 1;
    pub const NO_SUCH_FILE: u32 = 2;
    pub const PERMISSION_DENIED: u32 = 3;
    pub const FAILURE: u32 = 4;
    pub const BAD_MESSAGE: u32 = 5;
    pub const NO_CONNECTION: u32 = 6;
    pub const CONNECTION_LOST: u32 = 7;
    pub const OP_UNSUPPORTED: u32 = 8;
}

pub fn sftp_status(code: ErrorCode) -> u32 {
    match code {
        ErrorCode::NotFound => sftp::NO_SUCH_FILE,
        ErrorCode::PermissionDenied | ErrorCode::Unauthenticated => sftp::PERMISSION_DENIED,
        ErrorCode::InvalidArgument => sftp::BAD_MESSAGE,
        ErrorCode::OutOfRange => sftp::EOF,
        ErrorCode::Unavailable => sftp::NO_CONNECTION,
        ErrorCode::AlreadyExists
        | ErrorCode::FailedPrecondition
        | ErrorCode::ResourceExhausted
        | ErrorCode::DataLoss
        | ErrorCode::Internal => sftp::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_survives_grpc_both_ways() {
        for &code in ErrorCode::ALL {
            let err = Error::new(code, format!("{code} happened"));
            let back = from_status(to_status(err.clone()));
            assert_eq!(back, err);
            // Without the detail (a proxy's answer), the gRPC code decides.
            let bare = Status::new(grpc_code(code), "bare");
            assert_eq!(from_status(bare).code, code);
        }
    }

    #[test]
    fn every_code_survives_http_both_ways() {
        for &code in ErrorCode::ALL {
            let status = http_status(code);
            assert!(status.is_client_error() || status.is_server_error(), "{code}: {status}");
            assert_eq!(from_http(status, Some(code.as_str()), "x").code, code, "{code} as {status}");
            // A proxy's answer has no header: the status alone is close.
            let guessed = from_http(status, None, "x").code;
            assert_eq!(http_status(guessed), status, "{code} as {status}, read back as {guessed}");
        }
        assert_eq!(from_http(http::StatusCode::IM_A_TEAPOT, Some("NONSENSE"), "x").code, ErrorCode::InvalidArgument);
    }

    #[test]
    fn retry_after_travels_in_metadata_and_error_info() {
        let err = Error::resource_exhausted("slow down").with_retry_after(Duration::from_millis(2500));
        let status = to_status(err);
        assert_eq!(status.metadata().get(RETRY_AFTER).unwrap(), "3");
        let info = status.get_details_error_info().expect("ErrorInfo");
        assert_eq!((info.reason.as_str(), info.domain.as_str()), ("RESOURCE_EXHAUSTED", ERROR_DOMAIN));
        assert_eq!(info.metadata.get(RETRY_AFTER).map(String::as_str), Some("3"));
        assert_eq!(from_status(status).retry_after, Some(Duration::from_secs(3)));
    }

    #[test]
    fn foreign_statuses_map_by_code_and_foreign_details_are_ignored() {
        assert_eq!(from_status(Status::deadline_exceeded("late")).code, ErrorCode::Unavailable);
        assert_eq!(from_status(Status::unimplemented("no")).code, ErrorCode::Internal);
        let details = ErrorDetails::with_error_info("NOT_FOUND", "example.com", HashMap::new());
        let foreign = Status::with_error_details(Code::Internal, "theirs", details);
        assert_eq!(from_status(foreign).code, ErrorCode::Internal);
        assert_eq!(from_status(Status::unknown("")).message, "Unknown");
    }

    #[test]
    fn sftp_keeps_what_a_client_can_act_on() {
        assert_eq!(sftp_status(ErrorCode::NotFound), sftp::NO_SUCH_FILE);
        assert_eq!(sftp_status(ErrorCode::PermissionDenied), sftp::PERMISSION_DENIED);
        assert_eq!(sftp_status(ErrorCode::AlreadyExists), sftp::FAILURE);
    }
}
