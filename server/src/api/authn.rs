//! The authentication layer: checks `authorization: Bearer …` once for every
//! cordvault RPC and hands the caller to the handlers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tonic::Status;

use super::status::to_status;
use crate::services::accounts::Accounts;

/// Methods that may be called without a token. Workers authenticate with
/// the service password inside their Connect stream.
const PUBLIC_METHODS: &[&str] =
    &["/cordvault.v1.AuthService/Register", "/cordvault.v1.AuthService/Login", "/cordvault.v1.WorkerService/Connect"];

pub async fn authenticate(State(accounts): State<Arc<Accounts>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // Health, reflection and plain HTTP routes handle access themselves.
    if !path.starts_with("/cordvault.") {
        return next.run(request).await;
    }
    let public = PUBLIC_METHODS.contains(&path);
    let token = match bearer_token(&request) {
        Ok(token) => token,
        Err(status) => return status_response(status),
    };
    match token {
        Some(token) => match accounts.authenticate(&token).await {
            Ok(caller) => {
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

fn bearer_token(request: &Request) -> Result<Option<String>, Status> {
    let Some(value) = request.headers().get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| Status::unauthenticated("authorization header is not valid text"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| Status::unauthenticated("authorization must be \"Bearer <token>\""))?;
    Ok(Some(token.trim().to_owned()))
}

fn status_response(status: Status) -> Response {
    status.into_http::<axum::body::Body>()
}
