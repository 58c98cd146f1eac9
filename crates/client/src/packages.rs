//! Discord data packages: submit a link, follow the status, fetch the
//! sealed result and open it with the key, delete.

use cordvault_core::package::{PackageId, PackageKey, open_result};
use cordvault_proto::v1 as pb;
use futures::StreamExt;

use crate::error::from_status;
use crate::{Client, Result};

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
