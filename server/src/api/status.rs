//! Service results as RPC results (through core's one error boundary,
//! [`cordvault_core::status`]) and the caller of an RPC.

use cordvault_core::Error;
use tonic::{Request, Status};

use crate::services::access::Caller;

pub use cordvault_core::status::to_status;

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
