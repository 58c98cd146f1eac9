//! Every request message of the public API, decoded from the wire and run
//! through the checks the services apply to its fields before anything
//! reaches the database (paths, names, usernames, passwords, digests, page
//! tokens, upload and link ids, media types, enums). Fields a service only
//! looks up (usernames of others, ids) are decoded and left alone, as the
//! service does.
//!
//! Input: the first byte picks the request message (modulo their number);
//! the rest is its protobuf encoding. A message that decodes must encode
//! and decode again to itself, and every check must answer Ok or
//! INVALID_ARGUMENT with a bounded message, never panic.
//!
//! On its first run the target reads the API's descriptor set and fails if
//! some RPC takes a request message this file does not list, so that a new
//! RPC cannot go unfuzzed.

#![no_main]

use std::collections::BTreeSet;
use std::sync::Once;

use cordvault_core::ErrorCode;
use cordvault_core::fields::{PageToken, validate_password, validate_sha256, validate_username};
use cordvault_core::ids::{LinkId, UploadId};
use cordvault_core::media_type::validate_media_type;
use cordvault_core::package::{PackageId, PackageKey};
use cordvault_core::path::{TreePath, normalize_name};
use cordvault_proto::v1 as pb;
use cordvault_proto::worker::v1 as worker;
use libfuzzer_sys::fuzz_target;
use prost::Message;

/// Error messages travel in HTTP/2 headers: user input in them is cut short.
const MAX_MESSAGE_BYTES: usize = 2048;

fn checked<T>(field: &str, result: cordvault_core::Result<T>) {
    if let Err(err) = result {
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{field}: {err}");
        assert!(err.message.len() <= MAX_MESSAGE_BYTES, "{field}: {} bytes of message", err.message.len());
    }
}

fn path(value: &str) {
    checked("path", TreePath::parse(value));
}

/// Optional paths (empty = not given) are checked only when given.
fn optional_path(value: &str) {
    if !value.is_empty() {
        path(value);
    }
}

/// A data package's id and key, as every call after submission presents them.
fn package(id: &str, key: &str) {
    checked("package id", PackageId::parse(id));
    checked("package key", PackageKey::parse(key));
}

fn name(value: &str) {
    checked("name", normalize_name(value));
}

fn username(value: &str) {
    checked("username", validate_username(value));
}

fn password(value: &str) {
    checked("password", validate_password(value));
}

fn sha256(value: &str) {
    if !value.is_empty() {
        checked("sha256", validate_sha256(value));
    }
}

fn upload_id(value: &str) {
    // Anything else is an unknown upload: it never reaches a query.
    let _ = UploadId::parse(value);
}

fn media_type(value: &str) {
    if !value.is_empty() {
        checked("mime_type", validate_media_type(value));
    }
}

/// An enum field: the services refuse values the API does not define.
fn enumeration<E: TryFrom<i32>>(value: i32) {
    let _ = E::try_from(value);
}

/// The proto package of each module the list names its messages from.
macro_rules! pb {
    () => {
        "v1"
    };
}
macro_rules! worker {
    () => {
        "worker.v1"
    };
}

/// The request messages, each with the checks its service applies.
macro_rules! requests {
    ($($package:ident :: $message:ident => |$m:ident| $check:block,)*) => {
        /// Full names, e.g. `.cordvault.v1.ListRequest`.
        const NAMES: &[&str] = &[$(concat!(".cordvault.", $package!(), ".", stringify!($message))),*];

        fn decode_and_check(which: usize, bytes: &[u8]) {
            let mut index = 0;
            $(
                if which == index {
                    let Ok($m) = $package::$message::decode(bytes) else { return };
                    let again = $package::$message::decode($m.encode_to_vec().as_slice())
                        .unwrap_or_else(|err| panic!("{} does not decode as encoded: {err}", stringify!($message)));
                    assert_eq!(again, $m, "{} changes on a round trip", stringify!($message));
                    $check
                    return;
                }
                index += 1;
            )*
            let _ = index;
        }
    };
}

requests! {
    // AuthService
    pb::RegisterRequest => |m| { username(&m.username); password(&m.password); },
    pb::LoginRequest => |m| { let _ = (m.username.len(), m.password.len()); },
    pb::UpdatePasswordRequest => |m| { password(&m.new_password); },
    pb::WhoAmIRequest => |m| { let _ = m; },
    pb::CreateDownloadTicketRequest => |m| { enumeration::<pb::TicketPurpose>(m.purpose); optional_path(&m.path); },
    pb::AddSshKeyRequest => |m| { let _ = m.public_key.len(); },
    pb::ListSshKeysRequest => |m| { let _ = m; },
    pb::RemoveSshKeyRequest => |m| { let _ = m.id; },
    pb::CreateAppPasswordRequest => |m| { let _ = m.label.len(); },
    pb::ListAppPasswordsRequest => |m| { let _ = m; },
    pb::RevokeAppPasswordRequest => |m| { let _ = m.id; },
    // FileService
    pb::StatRequest => |m| { path(&m.path); },
    pb::ListRequest => |m| { path(&m.path); checked("page_token", PageToken::parse(&m.page_token)); enumeration::<pb::SortField>(m.sort_by); },
    pb::CreateFolderRequest => |m| { path(&m.path); },
    pb::MoveRequest => |m| { path(&m.path); path(&m.destination_folder); enumeration::<pb::ConflictPolicy>(m.conflict_policy); },
    pb::RenameRequest => |m| { path(&m.path); name(&m.new_name); enumeration::<pb::ConflictPolicy>(m.conflict_policy); },
    pb::DeleteRequest => |m| { path(&m.path); },
    pb::MergeFoldersRequest => |m| { path(&m.source); path(&m.destination); enumeration::<pb::ConflictPolicy>(m.conflict_policy); },
    pb::ListTrashRequest => |m| { let _ = m; },
    pb::RestoreRequest => |m| { let _ = m.trash_id; },
    pb::EmptyTrashRequest => |m| { let _ = m; },
    pb::FolderUsageRequest => |m| { path(&m.path); },
    pb::SetVisibilityRequest => |m| { path(&m.path); enumeration::<pb::Visibility>(m.visibility); },
    pb::ShareRequest => |m| { path(&m.path); enumeration::<pb::ShareLevel>(m.level); },
    pb::UnshareRequest => |m| { path(&m.path); },
    pb::ListSharesRequest => |m| { path(&m.path); },
    pb::TransferOwnershipRequest => |m| { path(&m.path); },
    pb::ListOwnershipOffersRequest => |m| { let _ = m; },
    pb::AnswerOwnershipOfferRequest => |m| { path(&m.path); },
    pb::SearchUsersRequest => |m| { let _ = m.query.chars().count(); },
    pb::WatchRequest => |m| { optional_path(&m.path); },
    pb::GetThumbnailRequest => |m| { path(&m.path); },
    // Names, namespaces and values are checked by the manager's properties
    // service against its limits.
    pb::SetPropertiesRequest => |m| { path(&m.path); let _ = (m.set.len(), m.remove.len()); },
    pb::GetPropertiesRequest => |m| { path(&m.path); },
    // TransferService
    pb::StartUploadRequest => |m| {
        path(&m.path);
        sha256(&m.sha256);
        enumeration::<pb::ConflictPolicy>(m.conflict_policy);
        media_type(&m.mime_type);
        upload_id(&m.resume_upload_id);
    },
    pb::UploadRequest => |m| { upload_id(&m.upload_id); },
    pb::PutChunkRequest => |m| { upload_id(&m.upload_id); },
    pb::QueryUploadRequest => |m| { upload_id(&m.upload_id); },
    pb::CommitUploadRequest => |m| { upload_id(&m.upload_id); sha256(&m.sha256); },
    pb::AbortUploadRequest => |m| { upload_id(&m.upload_id); },
    pb::ReadRequest => |m| { path(&m.path); let _ = m.offset.checked_add(m.length); },
    // LinkService
    pb::CreateLinkRequest => |m| { path(&m.path); let _ = m.password.chars().count(); },
    pb::ListLinksRequest => |m| { let _ = m.all; },
    pb::RevokeLinkRequest => |m| { let _ = LinkId::parse(&m.id); },
    // LockService: owner elements and timeouts are checked by the manager's
    // lock service; tokens are only compared.
    pb::CreateLockRequest => |m| { path(&m.path); let _ = (m.owner_xml.len(), m.timeout_seconds); },
    pb::ReleaseLockRequest => |m| { path(&m.path); let _ = m.token.len(); },
    pb::RefreshLockRequest => |m| { path(&m.path); let _ = (m.token.len(), m.timeout_seconds); },
    pb::CheckLocksRequest => |m| { path(&m.path); let _ = m.tokens.len(); },
    pb::ListLocksRequest => |m| { path(&m.path); },
    pb::DeleteLocksRequest => |m| { path(&m.path); },
    // AdminService
    pb::ListUsersRequest => |m| { let _ = m; },
    pb::CreateUserRequest => |m| { username(&m.username); password(&m.password); },
    pb::DeleteUserRequest => |m| { let _ = m.files; },
    pb::SetAdminRequest => |m| { let _ = m.is_admin; },
    pb::ResetPasswordRequest => |m| { password(&m.new_password); },
    pb::GetQuotaRequest => |m| { let _ = m; },
    pb::SetQuotaRequest => |m| { let _ = m.max_bytes; },
    pb::SetPackagePremiumRequest => |m| { checked("package id", PackageId::parse(&m.package_id)); },
    // PackageService: links are checked by the manager's own parser (with
    // its allow-list); ids and keys here.
    pb::SubmitPackageRequest => |m| { let _ = m.link; },
    pb::UploadPackageRequest => |m| { if !m.key.is_empty() { checked("package key", PackageKey::parse_client_made(&m.key)); } },
    pb::SubmitStoredPackageRequest => |m| { path(&m.path); checked("package key", PackageKey::parse_client_made(&m.key)); },
    pb::GetPackageStatusRequest => |m| { package(&m.package_id, &m.key); },
    pb::FetchPackageResultRequest => |m| { package(&m.package_id, &m.key); },
    pb::DeletePackageRequest => |m| { package(&m.package_id, &m.key); },
    pb::LookupDiscordUserRequest => |m| { package(&m.package_id, &m.key); },
    pb::LookupGuildWidgetRequest => |m| { let _ = m.guild_id; },
    // WorkerLinkService (cordvault.worker.v1)
    worker::ConnectRequest => |m| {
        use worker::connect_request::Message as FromWorker;
        match &m.message {
            Some(FromWorker::Hello(hello)) => enumeration::<pb::WorkerKind>(hello.kind),
            Some(FromWorker::ThumbnailResult(_))
            | Some(FromWorker::Heartbeat(_))
            | Some(FromWorker::PackageProgress(_))
            | Some(FromWorker::PackageResultPiece(_))
            | Some(FromWorker::PackageResult(_))
            | None => {}
        }
    },
    worker::RecordChunkRequest => |m| { upload_id(&m.upload_id); },
    worker::QueryChunksRequest => |m| { upload_id(&m.upload_id); },
    worker::GatewayLoginRequest => |m| { let _ = (m.service_password.len(), m.username.len(), m.public_key.len()); },
    // WorkerService
    pb::ListWorkersRequest => |m| { let _ = m; },
    pb::WatchWorkersRequest => |m| { let _ = m; },
}

/// Every RPC's request message is in the list above.
fn check_the_list_is_complete() {
    let set = prost_types::FileDescriptorSet::decode(cordvault_proto::FILE_DESCRIPTOR_SET).expect("descriptor set");
    let listed: BTreeSet<&str> = NAMES.iter().copied().collect();
    let mut missing = Vec::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                let input = method.input_type();
                if !listed.contains(input) {
                    missing.push(format!("{}.{} takes {input}", service.name(), method.name()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "request messages not fuzzed: {missing:?}");
}

fuzz_target!(|data: &[u8]| {
    static COMPLETE: Once = Once::new();
    COMPLETE.call_once(check_the_list_is_complete);
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    decode_and_check(usize::from(which) % NAMES.len(), bytes);
});
