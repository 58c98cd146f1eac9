//! `GET /thumbnail/{entry id}`: a file's thumbnail, with the file's read
//! permission; `<img src>` carries a thumbnails ticket as `?ticket=`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use cordvault_core::Error;
use cordvault_core::ticket::TicketPurpose;
use serde::Deserialize;

use super::{HttpState, QueryCredentials, error_response, http_caller};

#[derive(Debug, Deserialize)]
pub struct ThumbnailQuery {
    #[serde(flatten)]
    credentials: QueryCredentials,
}

pub async fn thumbnail(
    State(state): State<HttpState>,
    Path(entry_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<ThumbnailQuery>,
) -> Response {
    let Ok(entry_id) = entry_id.parse::<i64>() else {
        return error_response(Error::invalid_argument(format!("{entry_id:?} is not an entry id")));
    };
    let caller = match http_caller(&state, &headers, &query.credentials, TicketPurpose::Thumbnails).await {
        Ok(caller) => caller,
        Err(err) => return error_response(err),
    };
    match state.thumbnails.by_entry_id(&caller, entry_id).await {
        // Private: the ticket is in the URL, and access can be revoked.
        Ok(thumbnail) => (
            [(header::CONTENT_TYPE, thumbnail.mime_type), (header::CACHE_CONTROL, "private, max-age=300".to_owned())],
            thumbnail.data,
        )
            .into_response(),
        Err(err) => error_response(err),
    }
}
