//! Plain HTTP routes on the manager port, for browsers and `curl`:
//! `/download`, `/bulk-download`, `/thumbnail/{id}`, share links under
//! `/s/`, and the web UI.

pub mod body;
pub mod download;
pub mod links;
pub mod thumbnail;
pub mod web;
pub mod zip;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cordvault_core::Error;

use crate::api::status::to_http_status;
use crate::services::access::Caller;
use crate::services::accounts::Accounts;
use crate::services::links::Links;
use crate::services::reads::Reads;
use crate::services::thumbnails::Thumbnails;
use crate::services::tree::Tree;

/// What the HTTP routes need.
#[derive(Clone)]
pub struct HttpState {
    pub accounts: Arc<Accounts>,
    pub tree: Tree,
    pub reads: Arc<Reads>,
    pub links: Links,
    pub thumbnails: Thumbnails,
    /// A client that reads nothing for this long is dropped.
    pub stall_timeout: Duration,
}

pub fn routes(state: HttpState) -> Router {
    Router::new()
        .route("/download", axum::routing::get(download::download))
        .route("/bulk-download", axum::routing::get(zip::bulk_download))
        .route("/thumbnail/{entry_id}", axum::routing::get(thumbnail::thumbnail))
        .merge(links::routes())
        .with_state(state)
}

/// An error as a plain-text HTTP response.
pub fn error_response(err: Error) -> Response {
    let status = to_http_status(err.code);
    let retry_after = err.retry_after_secs();
    let mut response = (status, format!("{}\n", err.message)).into_response();
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    response
}

/// The caller and the `path` query parameter of a request, or the response
/// refusing it; `usage` tells how the route is called.
pub async fn caller_and_path(
    state: &HttpState,
    headers: &HeaderMap,
    auth: Option<&str>,
    path: Option<String>,
    usage: &str,
) -> Result<(Caller, String), Response> {
    let caller = http_caller(state, headers, auth).await.map_err(error_response)?;
    let path = path.ok_or_else(|| error_response(Error::invalid_argument(usage.to_owned())))?;
    Ok((caller, path))
}

/// The caller of an HTTP request: `Authorization: Bearer` or an `auth` query token.
pub async fn http_caller(state: &HttpState, headers: &HeaderMap, query_token: Option<&str>) -> Result<Caller, Error> {
    let from_header = match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().map_err(|_| Error::unauthenticated("authorization header is not valid text"))?;
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(|| Error::unauthenticated("authorization must be \"Bearer <token>\""))?;
            Some(token.trim().to_owned())
        }
        None => None,
    };
    let token = from_header
        .or_else(|| query_token.map(str::to_owned))
        .ok_or_else(|| Error::unauthenticated("send a token: Authorization: Bearer <token>, or ?auth=<token>"))?;
    state.accounts.authenticate(&token).await
}
