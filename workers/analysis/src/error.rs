//! Why an analysis failed, as the codes dumpus clients know.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The package has no `user.json`: its owner left "User data" unticked
    /// when requesting it.
    #[error("the package holds no user.json (account data was not requested)")]
    MissingUserData,
    /// Not a zip, a truncated one, or a file in it that does not read.
    #[error("the package is not a readable zip: {0}")]
    InvalidPackage(String),
    /// Over a size limit, or compressed at a ratio only a zip bomb reaches.
    #[error("the package is too large: {0}")]
    TooLarge(String),
    #[error("the analysis failed: {0}")]
    Internal(String),
}

impl AnalysisError {
    /// The `errorMessageCode` a dumpus client shows.
    pub fn code(&self) -> &'static str {
        match self {
            AnalysisError::MissingUserData => "MISSING_USER_DATA",
            AnalysisError::InvalidPackage(_) => "INVALID_PACKAGE",
            AnalysisError::TooLarge(_) => "PACKAGE_TOO_LARGE",
            AnalysisError::Internal(_) => "UNKNOWN_ERROR",
        }
    }
}

impl From<zip::result::ZipError> for AnalysisError {
    fn from(err: zip::result::ZipError) -> Self {
        AnalysisError::InvalidPackage(err.to_string())
    }
}

impl From<io::Error> for AnalysisError {
    fn from(err: io::Error) -> Self {
        AnalysisError::InvalidPackage(err.to_string())
    }
}

impl From<diesel::result::Error> for AnalysisError {
    fn from(err: diesel::result::Error) -> Self {
        AnalysisError::Internal(format!("writing the result database: {err}"))
    }
}

pub type Result<T, E = AnalysisError> = std::result::Result<T, E>;
