//! The authentication layer: checks `authorization: Bearer …` once for every
//! cordvault RPC and hands the caller to the handlers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use cordvault_core::Error;
use cordvault_core::token::bearer;
use tonic::Status;

use super::status::to_status;
use crate::services::access::is_public_method;
use crate::services::accounts::Accounts;

pub async fn authenticate(State(accounts): State<Arc<Accounts>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // Health, reflection, plain HTTP routes and the workers' internal API
    // (cordvault.worker.v1, with its own credentials) handle access themselves.
    if !path.starts_with("/cordvault.v1.") {
        return next.run(request).await;
    }
    let public = is_public_method(path);
    let token = match bearer_token(request.headers()) {
        Ok(token) => token.map(str::to_owned),
        Err(err) => return status_response(to_status(err)),
    };
    match token {
        Some(token) => match accounts.authenticate(&token).await {
            Ok(caller) => {
                crate::trace::record_caller(&caller);
                request.extensions_mut().insert(caller);
            }
            // A stale token must not stand in the way of logging in again.
            Err(_) if public => {}
            Err(err) => return status_response(to_status(err)),
        },
        None if public => {}
        None => return status_response(Status::unauthenticated("missing authorization: Bearer token")),
    }
    next.run(request).await
}

/// The token of an `Authorization: Bearer <token>` header, if there is one:
/// the one parser for RPCs and plain HTTP routes.
pub fn bearer_token(headers: &http::HeaderMap) -> Result<Option<&str>, Error> {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| Error::unauthenticated("authorization header is not valid text"))?;
    bearer(value).map(Some)
}

fn status_response(status: Status) -> Response {
    status.into_http::<axum::body::Body>()
}
