//! `GET /bulk-download?path=…`: a folder and everything below it as one
//! zip, streamed in constant memory (stored entries, ZIP64 when needed).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use cordvault_core::http_range::content_disposition;
use cordvault_core::path::TreePath;
use cordvault_core::ticket::TicketPurpose;
use cordvault_core::{Error, Result};
use futures::StreamExt;
use serde::Deserialize;
use std::sync::Arc;

use super::body::{PieceSender, cut_off_when, file_pieces, paced_channel};
use super::zip_stream::ZipStream;
use super::{HttpState, QueryCredentials, caller_and_path, error_response};
use crate::db::entries::{EntryRow, EntryView};
use crate::services::access::{Caller, CallerShares, Grants, access};
use crate::services::reads::Reads;
use crate::services::tree::EntryInfo;

#[derive(Debug, Deserialize)]
pub struct ZipQuery {
    path: Option<String>,
    #[serde(flatten)]
    credentials: QueryCredentials,
}

pub async fn bulk_download(
    State(state): State<HttpState>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<ZipQuery>,
) -> Response {
    let usage = "name the folder: /bulk-download?path=/folder";
    let credentials = &query.credentials;
    let (caller, path) = match caller_and_path(
        &state,
        &headers,
        credentials,
        query.path,
        |path| TicketPurpose::Zip(path),
        usage,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let prepared = async {
        let view = state.tree.resolve(&path).await?;
        if !view.row.is_folder {
            return Err(Error::failed_precondition(format!("{path} is a file; download it with /download")));
        }
        let grants = state.tree.grants(&caller, &view.row).await?;
        let shares = state.tree.db().shares_of_user(caller.user_id).await?;
        let scope = ZipScope::Readable { caller: caller.clone(), grants, shares };
        Ok::<_, Error>((EntryInfo { path, view }, scope))
    };
    match prepared.await {
        Ok((folder, scope)) => serve_zip(state.reads.clone(), folder, scope, &method, state.stall_timeout)
            .map(|body| cut_off_when(body, state.accounts.revoked(&caller))),
        Err(err) => error_response(err),
    }
}

/// Which entries below a zipped folder go in.
pub enum ZipScope {
    /// Files the caller may read; a folder goes in when the caller may read
    /// it, and the walk goes on below the others for files shared inside.
    Readable { caller: Caller, grants: Grants, shares: CallerShares },
    /// Everything (a share link's folder).
    Everything,
}

impl ZipScope {
    fn top_grants(&self) -> Grants {
        match self {
            ZipScope::Readable { grants, .. } => *grants,
            ZipScope::Everything => Grants::default(),
        }
    }

    /// The grants of `row` below a folder with `parent` grants, and whether it goes in.
    fn admit(&self, parent: Grants, row: &EntryRow) -> (Grants, bool) {
        match self {
            ZipScope::Readable { caller, shares, .. } => {
                let grants = parent.descend(row, shares.get(&row.id).copied());
                (grants, access(caller, row, grants).read)
            }
            ZipScope::Everything => (parent, true),
        }
    }
}

/// Children read per query: the walk holds one page and the folders still
/// to visit, never the whole subtree.
const PAGE: i64 = cordvault_core::limits::DB_BATCH as i64;

/// Streams `folder` and what `scope` admits below it as a zip.
pub fn serve_zip(reads: Arc<Reads>, folder: EntryInfo, scope: ZipScope, method: &Method, stall: Duration) -> Response {
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
        if let Err(err) = write_zip(&sender, &reads, &folder, &scope).await {
            sender.fail(err).await;
        }
    });
    builder.body(body).unwrap_or_else(|err| error_response(Error::internal(err.to_string())))
}

/// A folder the walk has yet to list.
struct Pending {
    id: i64,
    /// Its path inside the zip ("" for the zipped folder).
    relative: String,
    grants: Grants,
}

async fn write_zip(sender: &PieceSender, reads: &Reads, folder: &EntryInfo, scope: &ZipScope) -> Result<()> {
    let db = reads.db();
    let mut zip = ZipStream::start(sender.clone());
    let mut files = 0u64;
    let mut pending = vec![Pending { id: folder.view.row.id, relative: String::new(), grants: scope.top_grants() }];
    while let Some(parent) = pending.pop() {
        let mut after = String::new();
        loop {
            let page = db.children_after(parent.id, &after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.name.clone();
            let full_page = page.len() as i64 == PAGE;
            for row in page {
                let relative = match parent.relative.as_str() {
                    "" => row.name.clone(),
                    above => format!("{above}/{}", row.name),
                };
                let (grants, admitted) = scope.admit(parent.grants, &row);
                if row.is_folder {
                    if admitted {
                        zip.add_folder(&relative, row.updated_at).await?;
                    }
                    pending.push(Pending { id: row.id, relative, grants });
                    continue;
                }
                if !admitted {
                    continue;
                }
                write_file(reads, &mut zip, folder, &relative, row).await?;
                files += 1;
            }
            if !full_page {
                break;
            }
        }
    }
    let written = zip.finish().await?;
    tracing::info!(path = %folder.path, files, bytes = written, "zip streamed");
    Ok(())
}

async fn write_file(
    reads: &Reads,
    zip: &mut ZipStream,
    folder: &EntryInfo,
    relative: &str,
    row: EntryRow,
) -> Result<()> {
    let path = TreePath::parse(&format!("{}/{relative}", folder.path.to_string().trim_end_matches('/')))?;
    let (size, modified) = (row.size as u64, row.updated_at);
    let file = reads
        .open_checked(EntryInfo { path, view: EntryView { row, owner: None, sha256: None, has_thumbnail: false } })
        .await?;
    zip.start_file(relative, size, modified).await?;
    let mut pieces = std::pin::pin!(file_pieces(Arc::new(file), 0..size));
    while let Some(piece) = pieces.next().await {
        zip.file_data(piece?).await?;
    }
    Ok(())
}
