//! Plain HTTP routes on the manager port, for browsers and `curl`:
//! `/download`, `/bulk-download`, `/thumbnail/{id}`, share links under
//! `/s/`, dumpus-api's `/process` routes, and the web UI.

pub mod body;
pub mod download;
pub mod links;
pub mod packages;
pub mod thumbnail;
pub mod web;
pub mod zip;
mod zip_stream;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cordvault_core::Error;
use cordvault_core::path::TreePath;
use cordvault_core::status::{ERROR_HEADER, http_status};
use cordvault_core::ticket::TicketPurpose;

use crate::api::authn::bearer_token;
use crate::services::access::Caller;
use crate::services::accounts::Accounts;
use crate::services::links::Links;
use crate::services::packages::Packages;
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
    pub packages: Packages,
    pub lookups: crate::services::lookups::Lookups,
    /// A client that reads nothing for this long is dropped.
    pub stall_timeout: Duration,
}

pub fn routes(state: HttpState) -> Router {
    Router::new()
        .route("/download", axum::routing::get(download::download))
        .route("/bulk-download", axum::routing::get(zip::bulk_download))
        .route("/thumbnail/{entry_id}", axum::routing::get(thumbnail::thumbnail))
        .merge(links::routes())
        .merge(packages::routes())
        .with_state(state)
}

/// An error as a plain-text HTTP response.
pub fn error_response(err: Error) -> Response {
    let status = http_status(err.code);
    let retry_after = err.retry_after_secs();
    let mut response = (status, format!("{}\n", err.message)).into_response();
    response.headers_mut().insert(ERROR_HEADER, header::HeaderValue::from_static(err.code.as_str()));
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    response
}

/// What a plain HTTP request may carry in its query to say who it is.
#[derive(Debug, Default, serde::Deserialize)]
pub struct QueryCredentials {
    /// A download ticket (AuthService/CreateDownloadTicket).
    ticket: Option<String>,
    /// A login token: refused, it does not belong in a URL.
    auth: Option<String>,
}

/// The caller of a request for `path` (normalised) and the path, or the
/// response refusing it; `usage` tells how the route is called.
pub async fn caller_and_path(
    state: &HttpState,
    headers: &HeaderMap,
    credentials: &QueryCredentials,
    path: Option<String>,
    purpose: fn(&str) -> TicketPurpose<'_>,
    usage: &str,
) -> Result<(Caller, TreePath), Response> {
    let path = path.ok_or_else(|| error_response(Error::invalid_argument(usage.to_owned())))?;
    let path = TreePath::parse(&path).map_err(error_response)?;
    let normalised = path.to_string();
    let caller = http_caller(state, headers, credentials, purpose(&normalised)).await.map_err(error_response)?;
    Ok((caller, path))
}

/// The caller of an HTTP request: `Authorization: Bearer <login token>`, or
/// a download ticket for `purpose` in the query.
pub async fn http_caller(
    state: &HttpState,
    headers: &HeaderMap,
    credentials: &QueryCredentials,
    purpose: TicketPurpose<'_>,
) -> Result<Caller, Error> {
    if credentials.auth.is_some() {
        return Err(Error::unauthenticated(
            "login tokens are not taken in URLs, where browser history and logs keep them: send \
             Authorization: Bearer <token>, or ?ticket=<a ticket from AuthService/CreateDownloadTicket>",
        ));
    }
    let caller = match (bearer_token(headers)?, &credentials.ticket) {
        (Some(token), _) => state.accounts.authenticate(token).await?,
        (None, Some(ticket)) => state.accounts.authenticate_ticket(ticket, purpose).await?,
        (None, None) => {
            return Err(Error::unauthenticated(
                "send Authorization: Bearer <token>, or ?ticket=<a ticket from AuthService/CreateDownloadTicket>",
            ));
        }
    };
    crate::trace::record_caller(&caller);
    Ok(caller)
}
