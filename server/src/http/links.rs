//! Share link pages under `/s/{id}`: the linked file (ranges included), a
//! linked folder's listing, files and zip, the password form, and previews
//! for chat apps.
//!
//! The order of checks is what keeps a password link from leaking: the link
//! row, then the password, and only then whether the entry still exists.
//! Statuses: unknown or revoked 404; password needed 401 (the form);
//! wrong password 403; expired, used up, changed or deleted 410.

mod html;

use std::collections::HashMap;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as RoutePath, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use cordvault_core::Error;
use cordvault_core::http_range::{RangeRequest, parse_range};
use cordvault_core::link_form::{form_fields, is_within_link};
use serde::Deserialize;

use self::html::{Preview, encode_query_value, escape, human_size, is_crawler, message_page, page};
use super::download::serve_file;
use super::zip::{ZipScope, serve_zip};
use super::{HttpState, error_response};
use crate::db::entries::EntryRow;
use crate::db::links::LinkRow;
use crate::listener::PeerAddr;
use crate::services::links::{LinkError, Proof, Refusal, url_path};
use crate::services::tree::EntryInfo;

/// Name of the cookie that stands for a correct password; its path is the link's.
const COOKIE: &str = "cordvault_link";
/// Header a script may send the password in.
const PASSWORD_HEADER: &str = "x-link-password";
/// Most files a folder listing shows; the zip still has them all.
const MAX_LISTED: usize = 10_000;

pub fn routes() -> Router<HttpState> {
    // `get` answers HEAD too, without a body.
    Router::new()
        .route("/s/{id}", get(open).post(unlock))
        .route("/s/{id}/file", get(folder_file))
        .route("/s/{id}/zip", get(folder_zip))
}

#[derive(Debug, Deserialize)]
struct FileQuery {
    path: Option<String>,
}

/// `GET /s/{id}`: the file, the folder listing, or a preview for a chat app.
async fn open(
    State(state): State<HttpState>,
    RoutePath(id): RoutePath<String>,
    peer: Option<Extension<PeerAddr>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let (row, target) = match admit(&state, &id, peer, &headers, &url_path(&id)).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if user_agent(&headers).is_some_and(is_crawler) {
        return preview_page(&state, &target).await;
    }
    if target.view.row.is_folder {
        return listing(&state, &row, &target).await;
    }
    serve_link_file(&state, &row, target, &method, &headers).await
}

/// `GET /s/{id}/file?path=…`: one file of a linked folder.
async fn folder_file(
    State(state): State<HttpState>,
    RoutePath(id): RoutePath<String>,
    Query(query): Query<FileQuery>,
    peer: Option<Extension<PeerAddr>>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let here = uri.path_and_query().map_or_else(|| url_path(&id), ToString::to_string);
    let (row, folder) = match admit(&state, &id, peer, &headers, &here).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if !folder.view.row.is_folder {
        return not_a_folder();
    }
    let Some(relative) = query.path else {
        return error_response(Error::invalid_argument("name the file: /s/{id}/file?path=folder/file"));
    };
    match state.links.file_in_folder(&folder, &relative).await {
        Ok(file) => serve_link_file(&state, &row, file, &method, &headers).await,
        Err(err) => error_response(err),
    }
}

/// `GET /s/{id}/zip`: a linked folder as one zip; each counts as a download.
async fn folder_zip(
    State(state): State<HttpState>,
    RoutePath(id): RoutePath<String>,
    peer: Option<Extension<PeerAddr>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let (row, folder) = match admit(&state, &id, peer, &headers, &format!("{}/zip", url_path(&id))).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    if !folder.view.row.is_folder {
        return not_a_folder();
    }
    if method != Method::HEAD
        && let Err(err) = state.links.count_download(&row).await
    {
        return refusal_response(err, &id, &url_path(&id));
    }
    tracing::info!(link = %row.id, path = %folder.path, "link zip download");
    serve_zip(state.reads.clone(), folder, ZipScope::Everything, &method, state.stall_timeout)
}

/// `POST /s/{id}` with the form's `password`: sets the cookie and returns to
/// where the visitor was going. A wrong password is answered before anything
/// about the entry is looked at.
async fn unlock(
    State(state): State<HttpState>,
    RoutePath(id): RoutePath<String>,
    peer: Option<Extension<PeerAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let row = match state.links.find(&id).await {
        Ok(row) => row,
        Err(err) => return refusal_response(err, &id, &url_path(&id)),
    };
    let fields = form_fields(&body);
    let next = fields.get("next").filter(|next| is_within_link(next, &id)).cloned().unwrap_or_else(|| url_path(&id));
    if row.password_hash.is_none() {
        return see_other(&next, None);
    }
    let password = fields.get("password").map(String::as_str).filter(|password| !password.is_empty());
    if password.is_none() {
        return refusal_response(LinkError::Refused(Refusal::PasswordNeeded), &id, &next);
    }
    let proof = Proof { password, cookies: Vec::new(), peer: peer.map(|Extension(PeerAddr(peer))| peer.ip()) };
    if let Err(err) = state.links.unlock(&row, &proof).await {
        return refusal_response(err, &id, &next);
    }
    see_other(&next, Some(access_cookie(&state, &row, &headers)))
}

/// The link and where it leads, once the visitor may follow it; else the
/// page to answer with. `here` is where the password form returns to.
async fn admit(
    state: &HttpState,
    id: &str,
    peer: Option<Extension<PeerAddr>>,
    headers: &HeaderMap,
    here: &str,
) -> Result<(LinkRow, EntryInfo), Response> {
    let refused = |err| refusal_response(err, id, here);
    let row = state.links.find(id).await.map_err(refused)?;
    let proof = Proof {
        // Passwords are UTF-8; header values need not be ASCII.
        password: headers.get(PASSWORD_HEADER).and_then(|value| std::str::from_utf8(value.as_bytes()).ok()),
        cookies: cookies(headers, COOKIE),
        peer: peer.map(|Extension(PeerAddr(peer))| peer.ip()),
    };
    state.links.unlock(&row, &proof).await.map_err(refused)?;
    let target = state.links.target(&row).await.map_err(refused)?;
    Ok((row, target))
}

fn refusal_response(err: LinkError, id: &str, here: &str) -> Response {
    let refusal = match err {
        LinkError::Refused(refusal) => refusal,
        LinkError::Failed(err) => return error_response(err),
    };
    match refusal {
        Refusal::Unknown => {
            message_page(StatusCode::NOT_FOUND, "Link not found", "This link does not exist, or it was revoked.")
        }
        Refusal::PasswordNeeded => html::password_form(StatusCode::UNAUTHORIZED, id, here, false),
        Refusal::WrongPassword => html::password_form(StatusCode::FORBIDDEN, id, here, true),
        Refusal::Expired => message_page(StatusCode::GONE, "Link expired", "This link has expired."),
        Refusal::UsedUp => message_page(StatusCode::GONE, "Link used up", "This link has reached its download limit."),
        Refusal::Gone => {
            message_page(StatusCode::GONE, "Link no longer valid", "What this link shared was changed or deleted.")
        }
        Refusal::Withdrawn => message_page(
            StatusCode::GONE,
            "Link no longer valid",
            "The person who made this link may no longer share what it leads to.",
        ),
    }
}

fn not_a_folder() -> Response {
    message_page(StatusCode::NOT_FOUND, "Not found", "This link shares a single file, not a folder.")
}

/// Opens a file and serves it, counting the download first when it is one.
async fn serve_link_file(
    state: &HttpState,
    row: &LinkRow,
    file: EntryInfo,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let counts = is_download(method, headers, &file);
    let file = match state.reads.open_checked(file).await {
        Ok(file) => file,
        Err(err) => return error_response(err),
    };
    if counts {
        if let Err(err) = state.links.count_download(row).await {
            return refusal_response(err, &row.id, &url_path(&row.id));
        }
        tracing::info!(link = %row.id, path = %file.info.path, "link download");
    }
    serve_file(file, method, headers, "attachment", state.stall_timeout)
}

/// Whether a request counts against a download limit: every GET that
/// sends bytes, ranged or not. Counting only ranges from byte 0 let
/// `bytes=1-` (the first byte being guessable) fetch a file without limit.
fn is_download(method: &Method, headers: &HeaderMap, file: &EntryInfo) -> bool {
    if method == Method::HEAD {
        return false;
    }
    let Some(range) = headers.get(header::RANGE).and_then(|value| value.to_str().ok()) else {
        return true;
    };
    !matches!(parse_range(range, file.view.row.size.max(0) as u64), RangeRequest::Unsatisfiable)
}

/// The page a chat app's crawler turns into a preview: name and size.
async fn preview_page(state: &HttpState, target: &EntryInfo) -> Response {
    let name = target.path.file_name().unwrap_or("cordvault").to_owned();
    let description = if target.view.row.is_folder {
        match state.links.folder_rows(target).await {
            Ok(rows) => {
                let files: Vec<&EntryRow> = rows.iter().filter(|row| !row.is_folder).collect();
                let total: u64 = files.iter().map(|row| row.size.max(0) as u64).sum();
                format!("Folder, {} files, {}", files.len(), human_size(total))
            }
            Err(err) => return error_response(err),
        }
    } else {
        human_size(target.view.row.size.max(0) as u64)
    };
    let preview = Preview { title: name, description };
    let body = format!("<h1>{}</h1>\n<p>{}</p>", escape(&preview.title), escape(&preview.description));
    page(StatusCode::OK, &preview.title, Some(&preview), &body)
}

/// A linked folder: every file below it, each with its own link, and the zip.
async fn listing(state: &HttpState, row: &LinkRow, folder: &EntryInfo) -> Response {
    let rows = match state.links.folder_rows(folder).await {
        Ok(rows) => rows,
        Err(err) => return error_response(err),
    };
    let files = relative_files(folder.view.row.id, &rows);
    let total: u64 = files.iter().map(|(_, size)| size).sum();
    let base = url_path(&row.id);
    let name = folder.path.file_name().unwrap_or("cordvault");
    let mut body = format!(
        "<h1>{}</h1>\n<p>{} files, {} · <a href=\"{base}/zip\">Download everything as a zip</a></p>\n<table>\n",
        escape(name),
        files.len(),
        human_size(total),
    );
    for (path, size) in files.iter().take(MAX_LISTED) {
        body.push_str(&format!(
            "<tr><td><a href=\"{base}/file?path={}\">{}</a></td><td class=\"size\">{}</td></tr>\n",
            escape(&encode_query_value(path)),
            escape(path),
            human_size(*size),
        ));
    }
    body.push_str("</table>");
    if files.len() > MAX_LISTED {
        body.push_str(&format!("\n<p>Only the first {MAX_LISTED} files are listed; the zip holds them all.</p>"));
    }
    page(StatusCode::OK, name, None, &body)
}

/// Every file below `top` with its path relative to `top` and its size, in
/// path order; `rows` lists parents before children.
fn relative_files(top: i64, rows: &[EntryRow]) -> Vec<(String, u64)> {
    let mut folders: HashMap<i64, String> = HashMap::from([(top, String::new())]);
    let mut files = Vec::new();
    for row in rows {
        let Some(parent) = row.parent_id.and_then(|parent| folders.get(&parent)) else { continue };
        let path = if parent.is_empty() { row.name.clone() } else { format!("{parent}/{}", row.name) };
        if row.is_folder {
            folders.insert(row.id, path);
        } else {
            files.push((path, row.size.max(0) as u64));
        }
    }
    files.sort();
    files
}

/// The `Set-Cookie` value that lets this browser past the password form of
/// this one link.
fn access_cookie(state: &HttpState, row: &LinkRow, headers: &HeaderMap) -> String {
    let secure = headers.get("x-forwarded-proto").is_some_and(|proto| proto.as_bytes() == b"https");
    format!(
        "{COOKIE}={}; Path={}; HttpOnly; SameSite=Lax{}",
        state.links.cookie_value(row),
        url_path(&row.id),
        if secure { "; Secure" } else { "" }
    )
}

/// Values of every cookie called `name`.
fn cookies<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .collect()
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok())
}

/// 303 to `location` (a path of this link), with an optional cookie.
fn see_other(location: &str, cookie: Option<String>) -> Response {
    let mut response = message_page(StatusCode::SEE_OTHER, "Opening", "Opening the link…");
    let headers = response.headers_mut();
    match HeaderValue::from_str(location) {
        Ok(location) => headers.insert(header::LOCATION, location),
        Err(_) => return error_response(Error::invalid_argument("the return address is not a valid path")),
    };
    if let Some(cookie) = cookie.and_then(|cookie| HeaderValue::from_str(&cookie).ok()) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; cordvault_link=abc; b=2"));
        headers.append(header::COOKIE, HeaderValue::from_static("cordvault_link=\"def\""));
        assert_eq!(cookies(&headers, COOKIE), ["abc", "def"]);
    }
}
