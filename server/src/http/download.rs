//! `GET`/`HEAD /download?path=…`: one file over plain HTTP, with ranges.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use cordvault_core::Error;
use cordvault_core::http_range::{
    Multipart, RangeRequest, content_disposition, content_range, parse_range, unsatisfied_content_range,
};
use cordvault_core::ticket::TicketPurpose;
use futures::StreamExt;
use serde::Deserialize;

use super::body::{cut_off_when, file_pieces, paced_body};
use super::{HttpState, QueryCredentials, caller_and_path, error_response};
use crate::services::reads::OpenFile;

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    path: Option<String>,
    #[serde(flatten)]
    credentials: QueryCredentials,
}

pub async fn download(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<DownloadQuery>,
) -> Response {
    let usage = "name the file: /download?path=/folder/file";
    let credentials = &query.credentials;
    let (caller, path) =
        match caller_and_path(&state, &headers, credentials, query.path, |path| TicketPurpose::Download(path), usage)
            .await
        {
            Ok(found) => found,
            Err(response) => return response,
        };
    match state.reads.open(&caller, &path.to_string()).await {
        Ok(file) => {
            let response = serve_file(file, &method, &headers, "attachment", state.stall_timeout);
            response.map(|body| cut_off_when(body, state.accounts.revoked(&caller)))
        }
        Err(err) => error_response(err),
    }
}

/// What a file looks like to HTTP caches and conditional requests.
struct Validators {
    etag: String,
    last_modified: String,
}

impl Validators {
    fn of(file: &OpenFile) -> Self {
        let row = &file.info.view.row;
        let sha256 = file.info.view.sha256.clone().unwrap_or_default();
        let modified = UNIX_EPOCH + Duration::from_millis(row.updated_at.max(0) as u64);
        Validators { etag: format!("\"{sha256}\""), last_modified: httpdate::fmt_http_date(modified) }
    }

    /// `If-Range` holds only for an exact strong ETag or the exact date.
    fn if_range_holds(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::IF_RANGE) else {
            return true;
        };
        let value = value.to_str().unwrap_or_default().trim();
        value == self.etag || value == self.last_modified
    }
}

/// Answers a request for `file`: whole (200), one range (206), several
/// ranges (206 multipart/byteranges) or none satisfiable (416).
pub fn serve_file(
    file: OpenFile,
    method: &Method,
    headers: &HeaderMap,
    disposition: &str,
    stall: Duration,
) -> Response {
    let size = file.size();
    let validators = Validators::of(&file);
    let name = file.info.path.file_name().unwrap_or("download").to_owned();
    // Only a valid media type goes into a header; a type stored before
    // uploads were checked falls back.
    let mime = cordvault_core::media_type::validate_media_type(&file.info.view.row.mime_type)
        .unwrap_or_else(|_| "application/octet-stream".to_owned());
    let ranges = match headers.get(header::RANGE).and_then(|value| value.to_str().ok()) {
        Some(range) if validators.if_range_holds(headers) => parse_range(range, size),
        _ => RangeRequest::Full,
    };
    let file = Arc::new(file);
    let head = method == Method::HEAD;
    let mut builder = Response::builder()
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, &validators.etag)
        .header(header::LAST_MODIFIED, &validators.last_modified)
        .header(header::CACHE_CONTROL, "private, no-cache")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_DISPOSITION, content_disposition(disposition, &name));
    let response = match ranges {
        RangeRequest::Full => {
            builder = builder.status(StatusCode::OK).header(header::CONTENT_TYPE, &mime);
            let body = if head { Body::empty() } else { paced_body(file_pieces(file, 0..size), stall) };
            builder.header(header::CONTENT_LENGTH, size).body(body)
        }
        RangeRequest::Unsatisfiable => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, unsatisfied_content_range(size))
            .body(Body::empty()),
        RangeRequest::Partial(ranges) if ranges.len() == 1 => {
            let range = ranges[0].clone();
            builder = builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_TYPE, &mime)
                .header(header::CONTENT_RANGE, content_range(&range, size))
                .header(header::CONTENT_LENGTH, range.end - range.start);
            let body = if head { Body::empty() } else { paced_body(file_pieces(file, range), stall) };
            builder.body(body)
        }
        RangeRequest::Partial(ranges) => {
            let boundary = cordvault_core::crypto::random_hex::<12>();
            let multipart = Arc::new(Multipart::new(boundary, &mime, &ranges, size));
            builder = builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_TYPE, multipart.content_type())
                .header(header::CONTENT_LENGTH, multipart.content_length());
            let body = if head { Body::empty() } else { paced_body(multipart_pieces(file, multipart, ranges), stall) };
            builder.body(body)
        }
    };
    response.unwrap_or_else(|err| error_response(Error::internal(format!("building the response failed: {err}"))))
}

/// The parts of a multipart/byteranges body: each part's header, then its bytes; then the closing line.
fn multipart_pieces(
    file: Arc<OpenFile>,
    multipart: Arc<Multipart>,
    ranges: Vec<std::ops::Range<u64>>,
) -> impl futures::Stream<Item = Result<Bytes, Error>> + Send {
    let closing = Bytes::copy_from_slice(multipart.closing().as_bytes());
    let parts = ranges.into_iter().enumerate().map(move |(index, range)| {
        let header = Bytes::copy_from_slice(multipart.part_header(index).as_bytes());
        futures::stream::once(async move { Ok(header) }).chain(file_pieces(file.clone(), range))
    });
    futures::stream::iter(parts).flatten().chain(futures::stream::once(async move { Ok(closing) }))
}
