//! dumpus-api's REST routes, so that the dumpus web client uses a cordvault
//! manager as its backend unchanged: the same paths, methods, status codes
//! and JSON field names. Where the original crashed (a malformed
//! Authorization header, a missing body field) these answer a 4xx a client
//! can act on.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cordvault_core::package::{PackageId, PackageKey};
use cordvault_core::{Error, ErrorCode};
use serde_json::{Value, json};

use super::HttpState;
use crate::db::packages::{PackageRow, STEP_PROCESSED};
use crate::listener::PeerAddr;
use crate::services::packages::{PackageStatus, Submitted};

/// How long the URL `/blob` hands out stays valid, as the original's default.
const BLOB_TTL: Duration = Duration::from_secs(300);

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/process", axum::routing::post(process))
        .route("/process/{package_id}", axum::routing::delete(delete))
        .route("/process/{package_id}/status", axum::routing::get(status))
        .route("/process/{package_id}/blob", axum::routing::get(blob))
        .route("/process/{package_id}/data", axum::routing::get(data))
        .route("/process/{package_id}/user/{user_id}", axum::routing::get(user))
        .route("/widget/{guild_id}", axum::routing::get(widget))
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// A 500 with the original's body; the cause goes to the log only.
fn internal(err: Error) -> Response {
    tracing::warn!(error = %err, "package route failed");
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
}

/// The key a request presents: `Authorization: Bearer <key>`. Anything
/// else (no header, another scheme, no token, junk) is no key.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim()).filter(|key| !key.is_empty())
}

/// The package id and key of an authorised request, or None.
fn authorized(state: &HttpState, package_id: &str, headers: &HeaderMap) -> Option<(PackageId, PackageKey)> {
    state.packages.authorize(package_id, presented_key(headers)).ok()
}

#[derive(serde::Deserialize)]
struct ProcessBody {
    package_link: String,
}

/// The caller's address, for the rate limits.
fn peer_ip(peer: Option<Extension<PeerAddr>>) -> Option<std::net::IpAddr> {
    peer.map(|Extension(PeerAddr(peer))| peer.ip())
}

/// A refusal by a rate limit: 429 with Retry-After and the original's
/// error body.
fn too_many(err: &Error) -> Response {
    let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, &err.message);
    if let Some(secs) = err.retry_after_secs() {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    response
}

async fn process(State(state): State<HttpState>, peer: Option<Extension<PeerAddr>>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<ProcessBody>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "send JSON: {\"package_link\": \"https://click.discord.com/ls/click?upn=…\"}",
        );
    };
    match state.packages.submit_link(&body.package_link, peer_ip(peer)).await {
        Ok(Submitted::Accepted { package_id, .. }) => {
            Json(json!({ "isAccepted": true, "packageId": package_id.as_str(), "errorMessageCode": null }))
                .into_response()
        }
        Ok(Submitted::InvalidLink) => {
            Json(json!({ "isAccepted": false, "packageId": null, "errorMessageCode": "INVALID_LINK" })).into_response()
        }
        Err(err) if err.code == ErrorCode::ResourceExhausted => too_many(&err),
        Err(err) => internal(err),
    }
}

fn base_status() -> Value {
    json!({
        "isDataAvailable": false,
        "isUpgraded": false,
        "isErrored": false,
        "errorMessageCode": null,
        "isProcessing": false,
        "processingStep": null,
        "processingQueuePosition": { "user": 0, "total": 0, "userWhenStarted": 0, "totalWhenStarted": 0 },
    })
}

async fn status(State(state): State<HttpState>, Path(package_id): Path<String>, headers: HeaderMap) -> Response {
    let mut body = base_status();
    let Some((id, key)) = authorized(&state, &package_id, &headers) else {
        body["errorMessageCode"] = json!("UNAUTHORIZED");
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    };
    match state.packages.status(&id, key).await {
        Ok(status) => Json(status_body(body, &status)).into_response(),
        Err(err) if err.code == ErrorCode::NotFound => {
            body["errorMessageCode"] = json!("UNKNOWN_PACKAGE_ID");
            Json(body).into_response()
        }
        Err(err) => internal(err),
    }
}

/// The status JSON as dumpus-api writes it: queue fields only while the
/// package waits or runs.
fn status_body(mut body: Value, status: &PackageStatus) -> Value {
    let row: &PackageRow = &status.row;
    body["isUpgraded"] = json!(row.premium);
    body["isErrored"] = json!(row.errored);
    if row.errored {
        body["errorMessageCode"] = json!(row.error_code);
    }
    body["processingStep"] = json!(row.step);
    if row.step == STEP_PROCESSED {
        body["isDataAvailable"] = json!(true);
        return body;
    }
    body["isProcessing"] = json!(true);
    let queue = status.queue;
    let position = &mut body["processingQueuePosition"];
    position["premiumQueueTotal"] = json!(queue.premium_total);
    position["standardQueueTotal"] = json!(queue.standard_total);
    position["premiumQueueUser"] = if row.premium { json!(queue.premium_ahead) } else { Value::Null };
    position["standardQueueUser"] = if row.premium { Value::Null } else { json!(queue.standard_ahead) };
    position["standardWhenJoined"] = json!(row.standard_total_when_joined);
    position["premiumWhenJoined"] = json!(row.premium_total_when_joined);
    body
}

/// Where the client fetches the result: `{url, iv, ttl}`, the URL served
/// by this manager with a short-lived ticket instead of the key.
async fn blob(State(state): State<HttpState>, Path(package_id): Path<String>, headers: HeaderMap) -> Response {
    // The demo needs no key, and is not encrypted: `iv` is null.
    if package_id == PackageId::DEMO {
        let url = format!("{}/process/{}/data", origin(&headers), PackageId::DEMO);
        return Json(json!({ "url": url, "iv": null, "ttl": BLOB_TTL.as_secs() })).into_response();
    }
    let Some((id, _)) = authorized(&state, &package_id, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let iv = match state.packages.result(&id).await {
        Ok((iv, _)) => iv,
        Err(err) if err.code == ErrorCode::NotFound => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => return internal(err),
    };
    let ticket = state.packages.result_ticket(&id, BLOB_TTL);
    let url = format!("{}/process/{}/data?ticket={ticket}", origin(&headers), id.as_str());
    Json(json!({ "url": url, "iv": iv, "ttl": BLOB_TTL.as_secs() })).into_response()
}

/// This manager as the client reached it.
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|proto| proto.to_str().ok()).unwrap_or("http");
    let scheme = if scheme == "https" { "https" } else { "http" };
    format!("{scheme}://{host}")
}

#[derive(serde::Deserialize)]
struct DataQuery {
    ticket: Option<String>,
}

/// The sealed result itself, for a ticket from `/blob` or the key.
async fn data(
    State(state): State<HttpState>,
    Path(package_id): Path<String>,
    Query(query): Query<DataQuery>,
    headers: HeaderMap,
) -> Response {
    if package_id == PackageId::DEMO {
        return match state.packages.demo().await {
            Ok(demo) => ([(header::CONTENT_TYPE, "application/octet-stream")], demo).into_response(),
            Err(err) => internal(err),
        };
    }
    let id = match (&query.ticket, authorized(&state, &package_id, &headers)) {
        (_, Some((id, _))) => id,
        (Some(ticket), None) => match PackageId::parse(&package_id) {
            Ok(id) if state.packages.check_result_ticket(&id, ticket).is_ok() => id,
            _ => return StatusCode::UNAUTHORIZED.into_response(),
        },
        (None, None) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    match state.packages.result(&id).await {
        Ok((_, sealed)) => ([(header::CONTENT_TYPE, "application/octet-stream")], sealed).into_response(),
        Err(err) if err.code == ErrorCode::NotFound => StatusCode::NOT_FOUND.into_response(),
        Err(err) => internal(err),
    }
}

async fn delete(State(state): State<HttpState>, Path(package_id): Path<String>, headers: HeaderMap) -> Response {
    let Some((id, _)) = authorized(&state, &package_id, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match state.packages.delete(&id).await {
        Ok(true) => Json(json!({ "isDeleted": true, "errorMessageCode": null })).into_response(),
        Ok(false) => Json(json!({ "isDeleted": false, "errorMessageCode": "UNKNOWN_PACKAGE_ID" })).into_response(),
        Err(err) => internal(err),
    }
}

/// A Discord user for a package's holder: `{user_id, display_name,
/// avatar_url, username}`. 401 without a package; 404 for a user Discord
/// does not know (the original answered 500); 500 when Discord fails.
async fn user(
    State(state): State<HttpState>,
    Path((package_id, user_id)): Path<(String, String)>,
    peer: Option<Extension<PeerAddr>>,
    headers: HeaderMap,
) -> Response {
    let Some((id, key)) = authorized(&state, &package_id, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if state.packages.ensure_exists(&id, key).await.is_err() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match state.lookups.user(&user_id, peer_ip(peer)).await {
        Ok(user) => Json(json!({
            "user_id": user.user_id,
            "display_name": user.display_name,
            "avatar_url": user.avatar_url,
            "username": user.username,
        }))
        .into_response(),
        Err(err) if matches!(err.code, ErrorCode::NotFound | ErrorCode::InvalidArgument) => {
            StatusCode::NOT_FOUND.into_response()
        }
        Err(err) if err.code == ErrorCode::ResourceExhausted => too_many(&err),
        Err(err) => {
            tracing::warn!(error = %err, "user lookup failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A guild's widget: `{name, icon_url, member_count}`.
async fn widget(
    State(state): State<HttpState>,
    Path(guild_id): Path<String>,
    peer: Option<Extension<PeerAddr>>,
) -> Response {
    if guild_id.is_empty() || !guild_id.bytes().all(|byte| byte.is_ascii_digit()) {
        return json_error(StatusCode::BAD_REQUEST, "invalid guild id");
    }
    match state.lookups.guild_widget(&guild_id, peer_ip(peer)).await {
        Ok(widget) => {
            Json(json!({ "name": widget.name, "icon_url": widget.icon_url, "member_count": widget.member_count }))
                .into_response()
        }
        Err(err) if matches!(err.code, ErrorCode::NotFound | ErrorCode::InvalidArgument) => {
            json_error(StatusCode::NOT_FOUND, "guild not found or bot lacks access")
        }
        Err(err) if err.code == ErrorCode::ResourceExhausted => too_many(&err),
        Err(err) => internal(err),
    }
}
