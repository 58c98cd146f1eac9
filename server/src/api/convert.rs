//! Conversions between protobuf messages and service types.

use cordvault_core::path::ConflictPolicy;
use cordvault_core::status::to_status;
use cordvault_proto::v1 as pb;
use tonic::Status;

use crate::db::credentials::{AppPasswordRow, SshKeyRow};
use crate::db::entries::SortBy;
use crate::db::locks::LockView;
use crate::db::properties::PropertyRow;
use crate::db::users::UserRow;
use crate::services::access::{AccessLevel, ShareLevel};
use crate::services::quotas::QuotaReport;
use crate::services::tree::EntryInfo;
use crate::services::uploads::UploadState;

pub fn entry(info: &EntryInfo) -> pb::Entry {
    let row = &info.view.row;
    pb::Entry {
        id: row.id,
        path: info.path.to_string(),
        name: info.path.file_name().unwrap_or("").to_owned(),
        kind: if row.is_folder { pb::EntryKind::Folder } else { pb::EntryKind::File } as i32,
        size: row.size as u64,
        mime_type: row.mime_type.clone(),
        owner: info.view.owner.clone().unwrap_or_default(),
        created_at_ms: row.created_at,
        updated_at_ms: row.updated_at,
        sha256: info.view.sha256.clone().unwrap_or_default(),
        public: row.is_public(),
        has_thumbnail: info.view.has_thumbnail,
        access: pb::Access::Unspecified as i32,
    }
}

/// An entry as the caller sees it, with what the caller may do with it.
pub fn entry_with_access(info: &EntryInfo, level: AccessLevel) -> pb::Entry {
    let access = match level {
        AccessLevel::None => pb::Access::None,
        AccessLevel::Read => pb::Access::Read,
        AccessLevel::Write => pb::Access::Write,
        AccessLevel::Manage => pb::Access::Manage,
    };
    let entry = entry(info);
    // A hash would let a caller who may not read a file confirm a guess of
    // its contents.
    let sha256 = if level == AccessLevel::None { String::new() } else { entry.sha256 };
    pb::Entry { access: access as i32, sha256, ..entry }
}

pub fn share_level(value: i32) -> Result<ShareLevel, Status> {
    match pb::ShareLevel::try_from(value) {
        Ok(pb::ShareLevel::Read) => Ok(ShareLevel::Read),
        Ok(pb::ShareLevel::ReadWrite) => Ok(ShareLevel::ReadWrite),
        Ok(pb::ShareLevel::Unspecified) => Err(Status::invalid_argument("level must be read or read-write")),
        Err(_) => Err(Status::invalid_argument(format!("share level {value} is unknown"))),
    }
}

pub fn share_level_to_pb(level: ShareLevel) -> pb::ShareLevel {
    match level {
        ShareLevel::None => pb::ShareLevel::Unspecified,
        ShareLevel::Read => pb::ShareLevel::Read,
        ShareLevel::ReadWrite => pb::ShareLevel::ReadWrite,
    }
}

pub fn user(row: &UserRow) -> pb::User {
    pb::User { id: row.id, username: row.username.clone(), is_admin: row.is_admin, created_at_ms: row.created_at }
}

pub fn ssh_key(row: &SshKeyRow) -> pb::SshKey {
    pb::SshKey {
        id: row.id,
        fingerprint: row.fingerprint.clone(),
        algorithm: row.algorithm.clone(),
        comment: row.comment.clone(),
        created_at_ms: row.created_at_ms,
    }
}

pub fn app_password(row: &AppPasswordRow) -> pb::AppPassword {
    pb::AppPassword {
        id: row.id,
        label: row.label.clone(),
        created_at_ms: row.created_at_ms,
        last_used_at_ms: row.last_used_at_ms.unwrap_or(0),
    }
}

pub fn property(row: PropertyRow) -> pb::Property {
    pb::Property { namespace: row.namespace, name: row.name, value: row.value.into() }
}

pub fn property_row(property: pb::Property) -> PropertyRow {
    PropertyRow { namespace: property.namespace, name: property.name, value: property.value.into() }
}

pub fn lock(view: LockView) -> pb::Lock {
    let row = view.row;
    pb::Lock {
        token: row.token,
        path: row.path,
        owner_username: view.owner,
        owner_xml: row.owner_xml,
        shared: row.shared,
        deep: row.deep,
        expires_at_ms: row.expires_at_ms,
        timeout_seconds: row.timeout_seconds,
    }
}

pub fn conflict_policy(value: i32) -> Result<ConflictPolicy, Status> {
    ConflictPolicy::from_code(value).map_err(to_status)
}

pub fn sort_by(value: i32) -> Result<SortBy, Status> {
    match pb::SortField::try_from(value) {
        Ok(pb::SortField::Unspecified | pb::SortField::Name) => Ok(SortBy::Name),
        Ok(pb::SortField::Size) => Ok(SortBy::Size),
        Ok(pb::SortField::Updated) => Ok(SortBy::Updated),
        Err(_) => Err(Status::invalid_argument(format!("sort_by {value} is unknown"))),
    }
}

pub fn query_response(state: &UploadState, durable_chunks: Vec<u64>) -> pb::QueryUploadResponse {
    pb::QueryUploadResponse {
        path: state.path.to_string(),
        size: state.content.size as u64,
        chunk_size: state.content.chunk_size as u64,
        chunk_count: state.chunk_count,
        durable_chunks,
        expires_at_ms: state.upload.expires_at,
    }
}

pub fn quota(report: &QuotaReport) -> pb::Quota {
    let (limits, usage) = (&report.limits, &report.usage);
    pb::Quota {
        max_bytes: limits.max_bytes,
        used_bytes: usage.bytes.max(0) as u64,
        max_entries: limits.max_entries,
        used_entries: usage.entries.max(0) as u64,
        max_upload_sessions: limits.max_upload_sessions,
        open_upload_sessions: usage.upload_sessions.max(0) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_policies_have_one_number_in_api_and_database() {
        let pairs = [
            (ConflictPolicy::Fail, pb::ConflictPolicy::Fail),
            (ConflictPolicy::Rename, pb::ConflictPolicy::Rename),
            (ConflictPolicy::Overwrite, pb::ConflictPolicy::Overwrite),
        ];
        for (policy, in_api) in pairs {
            assert_eq!(policy.code(), in_api as i32);
            assert_eq!(conflict_policy(in_api as i32).unwrap(), policy);
        }
        assert_eq!(conflict_policy(pb::ConflictPolicy::Unspecified as i32).unwrap(), ConflictPolicy::Fail);
        assert_eq!(conflict_policy(4).unwrap_err().code(), tonic::Code::InvalidArgument);
    }
}
