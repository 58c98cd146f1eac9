//! `GET /bulk-download?path=…`: a folder and everything below it as one
//! zip, streamed in constant memory (stored entries, ZIP64 when needed).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use cordvault_core::http_range::content_disposition;
use cordvault_core::path::TreePath;
use cordvault_core::zip::ZipEncoder;
use cordvault_core::{Error, Result};
use futures::StreamExt;
use serde::Deserialize;
use std::sync::Arc;

use super::body::{PieceSender, cut_off_when, file_pieces, paced_channel};
use super::{HttpState, caller_and_path, error_response};
use crate::db::entries::{EntryRow, EntryView};
use crate::services::access::access;
use crate::services::reads::Reads;
use crate::services::tree::EntryInfo;

#[derive(Debug, Deserialize)]
pub struct ZipQuery {
    path: Option<String>,
    auth: Option<String>,
}

pub async fn bulk_download(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<ZipQuery>,
) -> Response {
    let usage = "name the folder: /bulk-download?path=/folder";
    let (caller, path) = match caller_and_path(&state, &headers, query.auth.as_deref(), query.path, usage).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let prepared = async {
        let path = TreePath::parse(&path)?;
        let view = state.tree.resolve(&path).await?;
        if !view.row.is_folder {
            return Err(Error::failed_precondition(format!("{path} is a file; download it with /download")));
        }
        let grants = state.tree.grants(&caller, &view.row).await?;
        // Files the caller cannot read are left out, and so are folders,
        // unless a readable file sits below them.
        let rows = state.tree.subtree(&caller, &view.row, grants).await?;
        let rows = rows.into_iter().map(|(row, grants)| (access(&caller, &row, grants).read, row)).collect();
        Ok::<_, Error>((EntryInfo { path, view }, rows))
    };
    match prepared.await {
        Ok((folder, rows)) => serve_zip(state.reads.clone(), folder, rows, &method, state.stall_timeout)
            .map(|body| cut_off_when(body, state.accounts.revoked(&caller))),
        Err(err) => error_response(err),
    }
}

/// Streams `folder` as a zip of the `rows` below it (parents before
/// children) that are marked to be included.
pub fn serve_zip(
    reads: Arc<Reads>,
    folder: EntryInfo,
    rows: Vec<(bool, EntryRow)>,
    method: &Method,
    stall: Duration,
) -> Response {
    let name = match folder.path.file_name() {
        Some(name) => format!("{name}.zip"),
        None => "cordvault.zip".to_owned(),
    };
    let builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/zip")
        .header(header::CONTENT_DISPOSITION, content_disposition("attachment", &name))
        .header(header::ACCEPT_RANGES, "none")
        .header(header::CACHE_CONTROL, "private, no-cache");
    if method == Method::HEAD {
        return builder
            .body(axum::body::Body::empty())
            .unwrap_or_else(|err| error_response(Error::internal(err.to_string())));
    }
    let (sender, body) = paced_channel(stall);
    tokio::spawn(async move {
        if let Err(err) = write_zip(&sender, &reads, &folder, rows).await {
            sender.fail(err).await;
        }
    });
    builder.body(body).unwrap_or_else(|err| error_response(Error::internal(err.to_string())))
}

async fn write_zip(sender: &PieceSender, reads: &Reads, folder: &EntryInfo, rows: Vec<(bool, EntryRow)>) -> Result<()> {
    let relative = relative_paths(folder.view.row.id, &rows);
    let needed = folders_needed(&rows);
    let mut zip = ZipEncoder::new();
    let mut files = 0u64;
    for (included, row) in rows {
        let Some(name) = relative.get(&row.id) else { continue };
        if row.is_folder {
            if included || needed.contains_key(&row.id) {
                sender.send(Bytes::from(zip.add_folder(name, row.updated_at)?)).await?;
            }
            continue;
        }
        if !included {
            continue;
        }
        let path = TreePath::parse(&format!("{}/{name}", folder.path.to_string().trim_end_matches('/')))?;
        let (size, modified) = (row.size as u64, row.updated_at);
        let file = reads
            .open_checked(EntryInfo { path, view: EntryView { row, owner: None, sha256: None, has_thumbnail: false } })
            .await?;
        sender.send(Bytes::from(zip.start_file(name, size, modified)?)).await?;
        let mut pieces = std::pin::pin!(file_pieces(Arc::new(file), 0..size));
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            zip.file_data(&piece)?;
            sender.send(piece).await?;
        }
        sender.send(Bytes::from(zip.finish_file()?)).await?;
        files += 1;
    }
    let written = zip.written();
    sender.send(Bytes::from(zip.finish()?)).await?;
    tracing::info!(path = %folder.path, files, bytes = written, "zip streamed");
    Ok(())
}

/// Each row's path relative to the zipped folder ("a/b.txt").
fn relative_paths(top: i64, rows: &[(bool, EntryRow)]) -> HashMap<i64, String> {
    let mut paths: HashMap<i64, String> = HashMap::new();
    for (_, row) in rows {
        let parent = row.parent_id.unwrap_or_default();
        let path = if parent == top {
            row.name.clone()
        } else {
            match paths.get(&parent) {
                Some(parent_path) => format!("{parent_path}/{}", row.name),
                None => continue,
            }
        };
        paths.insert(row.id, path);
    }
    paths
}

/// Folders that hold an included file somewhere below them.
fn folders_needed(rows: &[(bool, EntryRow)]) -> HashMap<i64, ()> {
    let parents: HashMap<i64, Option<i64>> = rows.iter().map(|(_, row)| (row.id, row.parent_id)).collect();
    let mut needed = HashMap::new();
    for (included, row) in rows {
        if !included || row.is_folder {
            continue;
        }
        let mut current = row.parent_id;
        while let Some(id) = current {
            if needed.insert(id, ()).is_some() || !parents.contains_key(&id) {
                break;
            }
            current = parents[&id];
        }
    }
    needed
}
