//! What SFTP shows of cordvault entries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cordvault_client::proto as pb;
use cordvault_sftp::{FileKind, Metadata};

/// What SFTP shows of an entry; the permission bits tell what the caller
/// may do with it, as the manager worked it out.
pub(crate) fn metadata(entry: &pb::Entry) -> Metadata {
    let folder = entry.kind() == pb::EntryKind::Folder;
    let modified = u64::try_from(entry.updated_at_ms).ok().map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
    let permissions = match (entry.access(), folder) {
        (pb::Access::None, _) => 0,
        (pb::Access::Read, true) => 0o555,
        (pb::Access::Read, false) => 0o444,
        (_, true) => 0o755,
        (_, false) => 0o644,
    };
    Metadata {
        kind: if folder { FileKind::Dir } else { FileKind::File },
        size: entry.size,
        permissions,
        modified,
        accessed: modified,
    }
}

/// Now, as SFTP reports the time of a file being written.
pub(crate) fn now() -> Option<SystemTime> {
    Some(SystemTime::now())
}
