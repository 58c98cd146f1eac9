//! What WebDAV shows of cordvault entries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cordvault_client::proto as pb;
use dav_server::fs::{DavDirEntry, DavMetaData, FsFuture, FsResult};

fn time(ms: i64) -> FsResult<SystemTime> {
    let ms = u64::try_from(ms).map_err(|_| dav_server::fs::FsError::GeneralFailure)?;
    Ok(UNIX_EPOCH + Duration::from_millis(ms))
}

/// The SHA-256 in base64url (43 characters) rather than hex (64): clients
/// echo ETags back in `If` headers next to lock tokens, and some build
/// those in small fixed buffers (litmus's neon cuts them at 200 bytes).
pub fn content_etag(sha256_hex: &str) -> Option<String> {
    use base64::Engine;
    let digest = hex::decode(sha256_hex).ok().filter(|digest| digest.len() == 32)?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest))
}

/// An entry's metadata, as the manager described it.
#[derive(Debug, Clone)]
pub struct EntryMeta(pub pb::Entry);

impl EntryMeta {
    fn is_folder(&self) -> bool {
        self.0.kind() == pb::EntryKind::Folder
    }
}

impl DavMetaData for EntryMeta {
    fn len(&self) -> u64 {
        self.0.size
    }

    fn modified(&self) -> FsResult<SystemTime> {
        time(self.0.updated_at_ms)
    }

    fn created(&self) -> FsResult<SystemTime> {
        time(self.0.created_at_ms)
    }

    fn is_dir(&self) -> bool {
        self.is_folder()
    }

    /// A file's ETag is its content hash, so it changes exactly when the
    /// bytes do, whichever replica or gateway answers; a folder's changes
    /// with its modification time.
    fn etag(&self) -> Option<String> {
        if !self.is_folder()
            && let Some(tag) = content_etag(&self.0.sha256)
        {
            return Some(tag);
        }
        Some(format!("{:x}-{:x}", self.0.id, self.0.updated_at_ms))
    }
}

/// One line of a folder listing.
pub struct Listed(pub EntryMeta);

impl DavDirEntry for Listed {
    fn name(&self) -> Vec<u8> {
        self.0.0.name.clone().into_bytes()
    }

    fn metadata(&self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let meta: Box<dyn DavMetaData> = Box::new(self.0.clone());
        Box::pin(std::future::ready(Ok(meta)))
    }
}
