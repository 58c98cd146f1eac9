//! Discord data packages: submit a link, follow the status, fetch the
//! sealed result and open it with the key, delete.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::BytesMut;
use cordvault_core::package::{PackageId, PackageKey, open_result};
use cordvault_proto::v1 as pb;
use futures::StreamExt;
use tokio::io::AsyncReadExt;

use crate::error::{from_status, io};
use crate::{Client, Result};

/// An uploaded zip goes out in messages of this size.
const UPLOAD_PIECE: usize = 1024 * 1024;

/// A fetched result, opened: the gzipped SQLite database.
pub struct OpenedResult {
    pub gzipped_database: Vec<u8>,
}

impl Client {
    /// Queues the package a link names; its id, and whether this call queued it.
    pub async fn submit_package(&self, link: &str) -> Result<(String, bool)> {
        let request = pb::SubmitPackageRequest { link: link.to_owned() };
        let answer = self.packages().submit_package(request).await.map_err(from_status)?.into_inner();
        Ok((answer.package_id, answer.queued))
    }

    /// Uploads a package zip from disk (for people who downloaded theirs),
    /// queued under `key` — one made with [`PackageKey::generate`], which
    /// alone opens the result. Needs a signed-in client. Its id, and
    /// whether this call queued it.
    pub async fn upload_package(&self, zip: &Path, key: &PackageKey) -> Result<(String, bool)> {
        let file = tokio::fs::File::open(zip).await.map_err(|err| io("cannot open the zip", err))?;
        let size = file.metadata().await.map_err(|err| io("cannot read the zip's size", err))?.len();
        let first = pb::UploadPackageRequest { key: key.expose().to_owned(), size, data: Default::default() };
        // A read error ends the stream early (the server then refuses the
        // short upload) and is reported instead of the server's answer.
        let failed: Arc<Mutex<Option<std::io::Error>>> = Arc::default();
        let read_failure = failed.clone();
        let pieces = futures::stream::unfold(file, move |mut file| {
            let read_failure = read_failure.clone();
            async move {
                let mut piece = BytesMut::with_capacity(UPLOAD_PIECE);
                match file.read_buf(&mut piece).await {
                    Ok(0) => None,
                    Ok(_) => Some((pb::UploadPackageRequest { data: piece.freeze(), ..Default::default() }, file)),
                    Err(err) => {
                        *read_failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(err);
                        None
                    }
                }
            }
        });
        let messages = futures::stream::iter([first]).chain(pieces);
        let answer = self.signed_in_packages()?.upload_package(messages).await;
        if let Some(err) = failed.lock().unwrap_or_else(PoisonError::into_inner).take() {
            return Err(io("cannot read the zip", err));
        }
        let answer = answer.map_err(from_status)?.into_inner();
        Ok((answer.package_id, answer.queued))
    }

    /// Queues a zip stored in cordvault at `path` (which the signed-in user
    /// may read) under `key`.
    pub async fn submit_stored_package(&self, path: &str, key: &PackageKey) -> Result<(String, bool)> {
        let request = pb::SubmitStoredPackageRequest { path: path.to_owned(), key: key.expose().to_owned() };
        let answer = self.signed_in_packages()?.submit_stored_package(request).await.map_err(from_status)?.into_inner();
        Ok((answer.package_id, answer.queued))
    }

    pub async fn package_status(&self, key: &PackageKey) -> Result<pb::PackageStatus> {
        let request = pb::GetPackageStatusRequest { package_id: id(key), key: key.expose().to_owned() };
        let answer = self.packages().get_package_status(request).await.map_err(from_status)?.into_inner();
        crate::client::required(answer.status, "status")
    }

    /// Fetches the sealed result and opens it with the key, here: the key
    /// never needs to leave this process for the result to be read.
    pub async fn fetch_package(&self, key: &PackageKey) -> Result<OpenedResult> {
        let request = pb::FetchPackageResultRequest { package_id: id(key), key: key.expose().to_owned() };
        let mut stream = self.packages().fetch_package_result(request).await.map_err(from_status)?.into_inner();
        let (mut iv, mut sealed) = (String::new(), Vec::new());
        while let Some(message) = stream.next().await {
            let message = message.map_err(from_status)?;
            if !message.iv.is_empty() {
                iv = message.iv;
                sealed.reserve(message.size.min(1 << 30) as usize);
            }
            sealed.extend_from_slice(&message.data);
        }
        Ok(OpenedResult { gzipped_database: open_result(key, &iv, &sealed)? })
    }

    /// False when there was no such package.
    pub async fn delete_package(&self, key: &PackageKey) -> Result<bool> {
        let request = pb::DeletePackageRequest { package_id: id(key), key: key.expose().to_owned() };
        Ok(self.packages().delete_package(request).await.map_err(from_status)?.into_inner().deleted)
    }
}

fn id(key: &PackageKey) -> String {
    let id: PackageId = key.package_id();
    id.to_string()
}
