//! One tracing span per request, gRPC and plain HTTP alike: method, route,
//! caller, status and duration. The caller is filled in by whichever layer
//! authenticates the request ([`record_caller`]).
//!
//! At debug level every request ends with one "answered" event carrying the
//! span's fields. For a streaming RPC the status and duration are those of
//! the response head: a stream's final status travels in its trailers.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use crate::services::access::Caller;

pub async fn trace_request(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route_for_log(request.uri().path()),
        caller = Empty,
        status = Empty,
        grpc_status = Empty,
        ms = Empty,
    );
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    span.record("status", response.status().as_u16());
    if let Some(code) = response.headers().get("grpc-status").and_then(|value| value.to_str().ok()) {
        span.record("grpc_status", code);
    }
    span.record("ms", started.elapsed().as_millis() as u64);
    tracing::debug!(parent: &span, "answered");
    response
}

/// Names the caller in the current request's span.
pub fn record_caller(caller: &Caller) {
    tracing::Span::current().record("caller", caller.username.as_str());
}

/// The request path as a log may keep it: a share link's id is the secret
/// that opens it, so it never reaches a log.
fn route_for_log(path: &str) -> String {
    match path.strip_prefix("/s/") {
        Some(rest) => match rest.split_once('/') {
            Some((_, below)) => format!("/s/{{id}}/{below}"),
            None => "/s/{id}".to_owned(),
        },
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::route_for_log;

    #[test]
    fn link_ids_stay_out_of_logs() {
        assert_eq!(route_for_log("/s/0123456789abcdef0123456789abcdef"), "/s/{id}");
        assert_eq!(route_for_log("/s/0123456789abcdef0123456789abcdef/zip"), "/s/{id}/zip");
        assert_eq!(route_for_log("/cordvault.v1.FileService/List"), "/cordvault.v1.FileService/List");
    }
}
