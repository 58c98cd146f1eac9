//! One small error type shared by the services, the server and the SDK.
//!
//! Services return [`Error`]; the server turns it into a gRPC status in one
//! place and the SDK turns the status back into an [`Error`].

use std::fmt;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    Unauthenticated,
    FailedPrecondition,
    OutOfRange,
    ResourceExhausted,
    /// Stored bytes failed authentication or are gone: never served.
    DataLoss,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: &[ErrorCode] = &[
        ErrorCode::InvalidArgument,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::PermissionDenied,
        ErrorCode::Unauthenticated,
        ErrorCode::FailedPrecondition,
        ErrorCode::OutOfRange,
        ErrorCode::ResourceExhausted,
        ErrorCode::DataLoss,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// The code [`ErrorCode::as_str`] names.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|code| code.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::FailedPrecondition => "FAILED_PRECONDITION",
            ErrorCode::OutOfRange => "OUT_OF_RANGE",
            ErrorCode::ResourceExhausted => "RESOURCE_EXHAUSTED",
            ErrorCode::DataLoss => "DATA_LOSS",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::Unavailable | ErrorCode::ResourceExhausted)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a code and a message meant for the person who made the call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// When trying again makes sense (rate limits, lockouts): sent as
    /// `retry-after` in gRPC metadata and HTTP headers.
    pub retry_after: Option<std::time::Duration>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! constructors {
    ($($name:ident => $code:ident),* $(,)?) => {
        impl Error {
            $(
                pub fn $name(message: impl Into<String>) -> Self {
                    Error { code: ErrorCode::$code, message: message.into(), retry_after: None }
                }
            )*
        }
    };
}

constructors! {
    invalid_argument => InvalidArgument,
    not_found => NotFound,
    already_exists => AlreadyExists,
    permission_denied => PermissionDenied,
    unauthenticated => Unauthenticated,
    failed_precondition => FailedPrecondition,
    out_of_range => OutOfRange,
    resource_exhausted => ResourceExhausted,
    data_loss => DataLoss,
    unavailable => Unavailable,
    internal => Internal,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), retry_after: None }
    }

    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Whole seconds to wait, at least one: the form of a `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(|wait| (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    }
}
