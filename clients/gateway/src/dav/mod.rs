//! WebDAV in front of the manager, under `/dav/`: each request carries the
//! user's credentials (HTTP Basic; an app password is the intended kind)
//! and is served by an [`ApiDavFs`] acting as that user.

mod file;
mod fs;
mod locks;
mod metadata;
mod props;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use dav_server::{DavConfig, DavHandler};
use http::{HeaderValue, StatusCode, header};

pub use fs::ApiDavFs;
use locks::ApiLocks;
pub use metadata::content_etag;

use crate::logins::Logins;
use crate::staging::StagingArea;

/// Where WebDAV is served on the manager's port.
pub const PREFIX: &str = "/dav";

#[derive(Clone)]
struct DavState {
    logins: Arc<Logins>,
    staging: Arc<StagingArea>,
    handler: DavHandler,
}

/// The `/dav` routes; `logins` signs users in against the manager.
pub fn routes(logins: Arc<Logins>, staging: StagingArea) -> axum::Router {
    let state = DavState {
        logins,
        staging: Arc::new(staging),
        handler: DavHandler::builder().strip_prefix(PREFIX).build_handler(),
    };
    axum::Router::new()
        .route(PREFIX, any(serve))
        .route(&format!("{PREFIX}/"), any(serve))
        .route(&format!("{PREFIX}/{{*path}}"), any(serve))
        .with_state(state)
}

/// The user and password of a Basic `Authorization` header.
fn basic_credentials(request: &Request) -> Option<(String, String)> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn challenge() -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, "sign in with your username and an app password\n").into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"cordvault\", charset=\"UTF-8\""));
    response
}

async fn serve(State(state): State<DavState>, request: Request) -> Response {
    let Some((user, password)) = basic_credentials(&request) else {
        return challenge();
    };
    if request.headers().get_all("if").iter().any(|value| !if_header_is_complete(value.as_bytes())) {
        return (StatusCode::BAD_REQUEST, "an If header has an unclosed <...> or [...]\n").into_response();
    }
    let client = match state.logins.with_password(&user, &password).await {
        Ok(client) => client,
        Err(err) if err.code.is_retryable() || err.code == cordvault_core::ErrorCode::ResourceExhausted => {
            tracing::info!(user, error = %err, "webdav login could not be checked");
            let mut response = (StatusCode::SERVICE_UNAVAILABLE, format!("{}\n", err.message)).into_response();
            if let Some(seconds) = err.retry_after_secs() {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            return response;
        }
        Err(err) => {
            tracing::info!(user, error = %err, "webdav login refused by the manager");
            return challenge();
        }
    };
    let config = DavConfig::new()
        .filesystem(Box::new(ApiDavFs::new(client.clone(), Arc::clone(&state.staging))))
        .locksystem(Box::new(ApiLocks::new(client)))
        .principal(user);
    state.handler.handle_with(config, request).await.map(axum::body::Body::new)
}

/// Whether every `<...>` and `[...]` of an `If` header is closed.
/// dav-server 0.11's parser indexes past the end of one that is not
/// (a panic, and a dropped connection, for any client that sends it), so
/// such headers are refused before they reach it. Its scanner is followed
/// exactly: a quote inside brackets hides the closing character, and
/// whitespace inside ends the token (a parse error, which it handles).
fn if_header_is_complete(value: &[u8]) -> bool {
    let mut at = 0;
    while let Some(&first) = value.get(at) {
        let close = match first {
            b'<' => b'>',
            b'[' => b']',
            _ => {
                at += 1;
                continue;
            }
        };
        let mut quoted = false;
        loop {
            at += 1;
            let Some(&byte) = value.get(at) else { return false };
            if !quoted && byte == close {
                break;
            }
            if b" \t\r\n".contains(&byte) {
                return true;
            }
            if byte == b'"' {
                quoted = !quoted;
            }
        }
        at += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::if_header_is_complete;

    #[test]
    fn unclosed_tokens_in_if_headers_are_caught() {
        for complete in [
            &b"(<urn:uuid:1> [\"etag\"]) (Not <DAV:no-lock>)"[..],
            b"<http://host/dav/a> (<urn:uuid:1>)",
            b"([\"with ] inside\"])",
            b"(<has space>)",
            b"",
        ] {
            assert!(if_header_is_complete(complete), "{}", String::from_utf8_lossy(complete));
        }
        for cut in [&b"(<urn:uuid:1> [\"etag"[..], b"<", b"(<urn:uuid:1", b"[", b"([\"a]\"", b"(<a>) [\"b\""] {
            assert!(!if_header_is_complete(cut), "{}", String::from_utf8_lossy(cut));
        }
    }
}
