//! The CORS policy of every cordvault port a browser calls: the manager, and
//! upload workers that take PutChunk calls from the web UI on their own
//! origin. Tokens travel in the Authorization header, never in cookies, so
//! any origin may ask.

use std::time::Duration;

use http::{HeaderName, Method, header};
use tower_http::cors::{AllowHeaders, Any, CorsLayer};

pub fn browser_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::DELETE, Method::OPTIONS])
        // The request's own list, echoed: a `*` would not cover
        // Authorization (Fetch standard), which Firefox and Safari enforce.
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
            // What the HTTP routes say about an error: its code and when to retry.
            HeaderName::from_static("x-cordvault-error"),
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
            header::CONTENT_RANGE,
        ])
        .max_age(Duration::from_secs(3600))
}
