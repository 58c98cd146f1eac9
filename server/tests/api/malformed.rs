//! Every RPC, sent malformed, oversized, missing fields or unauthenticated,
//! answers a precise status with a message; none answers INTERNAL or panics.

use std::future::Future;
use std::pin::Pin;

use cordvault_client::UploadOptions;
use cordvault_client::proto::admin_service_client::AdminServiceClient;
use cordvault_client::proto::auth_service_client::AuthServiceClient;
use cordvault_client::proto::file_service_client::FileServiceClient;
use cordvault_client::proto::link_service_client::LinkServiceClient;
use cordvault_client::proto::lock_service_client::LockServiceClient;
use cordvault_client::proto::transfer_service_client::TransferServiceClient;
use cordvault_client::proto::*;
use cordvault_test_support::{Backend, TestServer, authed, backend_tests, channel, random_bytes};
use tonic::Code;
use tonic::transport::Channel;

backend_tests!(malformed_requests_get_precise_errors);

type Call<'a> = Pin<Box<dyn Future<Output = Result<(), tonic::Status>> + Send + 'a>>;

struct Case<'a> {
    name: &'static str,
    expected: Code,
    call: Call<'a>,
}

macro_rules! case {
    ($name:expr, $expected:ident, $call:expr) => {
        Case { name: $name, expected: Code::$expected, call: Box::pin(async { $call.await.map(|_| ()) }) }
    };
}

fn read_stream(requests: Vec<ReadRequest>) -> tokio_stream::Iter<std::vec::IntoIter<ReadRequest>> {
    tokio_stream::iter(requests)
}

async fn first_read_answer(
    mut client: TransferServiceClient<Channel>,
    request: tonic::Request<tokio_stream::Iter<std::vec::IntoIter<ReadRequest>>>,
) -> Result<(), tonic::Status> {
    let mut responses = client.read(request).await?.into_inner();
    while responses.message().await?.is_some() {}
    Ok(())
}

async fn malformed_requests_get_precise_errors(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let bob = server.user("bob").await;
    let admin_token = admin.token().unwrap().to_owned();
    let bob_token = bob.token().unwrap().to_owned();
    admin.create_folder("/folder/sub").await.unwrap();
    let file = random_bytes(2 * 1024 * 1024 + 3, 1);
    admin.upload_bytes(file.clone(), "/folder/file.bin", &UploadOptions::default()).await.unwrap();

    let channel = channel(&server.url).await;
    let auth = AuthServiceClient::new(channel.clone());
    let files = FileServiceClient::new(channel.clone());
    let transfer = TransferServiceClient::new(channel.clone());
    let started = transfer
        .clone()
        .start_upload(authed(
            StartUploadRequest {
                path: "/folder/new.bin".into(),
                size: 2 * 1024 * 1024 + 3,
                sha256: "0".repeat(64),
                ..Default::default()
            },
            &admin_token,
        ))
        .await
        .unwrap()
        .into_inner();
    let upload_id = started.upload_id.clone();
    let long_name = format!("/{}", "n".repeat(256));
    let huge = "x".repeat(64 * 1024);
    let a = || admin_token.clone();
    let b = || bob_token.clone();
    let put = |upload_id: &str, chunk_index: u64, len: usize| PutChunkRequest {
        upload_id: upload_id.into(),
        chunk_index,
        data: vec![0u8; len].into(),
    };

    let auth_c = || auth.clone();
    let files_c = || files.clone();
    let transfer_c = || transfer.clone();
    let admin_c = || AdminServiceClient::new(channel.clone());
    let links_c = || LinkServiceClient::new(channel.clone());
    let locks_c = || LockServiceClient::new(channel.clone());
    let property = |name: &str| Property { namespace: "DAV:".into(), name: name.into(), value: vec![1].into() };
    let register =
        |username: &str, password: &str| RegisterRequest { username: username.into(), password: password.into() };
    let cases = vec![
        // AuthService
        case!(
            "register: empty username",
            InvalidArgument,
            auth_c().register(authed(register("", "password123"), &a()))
        ),
        case!(
            "register: bad characters",
            InvalidArgument,
            auth_c().register(authed(register("Bad Name", "password123"), &a()))
        ),
        case!(
            "register: long username",
            InvalidArgument,
            auth_c().register(authed(register(&"u".repeat(33), "password123"), &a()))
        ),
        case!(
            "register: huge username",
            InvalidArgument,
            auth_c().register(authed(register(&huge, "password123"), &a()))
        ),
        case!("register: short password", InvalidArgument, auth_c().register(authed(register("carol", "short"), &a()))),
        case!(
            "register: long password",
            InvalidArgument,
            auth_c().register(authed(register("carol", &"p".repeat(257)), &a()))
        ),
        case!("register: taken", AlreadyExists, auth_c().register(authed(register("bob", "password123"), &a()))),
        case!("register: no token", Unauthenticated, auth_c().register(register("carol", "password123"))),
        case!(
            "register: not admin",
            PermissionDenied,
            auth_c().register(authed(register("carol", "password123"), &b()))
        ),
        case!(
            "register: garbage token",
            Unauthenticated,
            auth_c().register(authed(register("carol", "password123"), "garbage"))
        ),
        case!("login: missing fields", InvalidArgument, auth_c().login(LoginRequest::default())),
        case!(
            "login: wrong password",
            Unauthenticated,
            auth_c().login(LoginRequest { username: "bob".into(), password: "wrong-password".into() })
        ),
        case!(
            "login: unknown user",
            Unauthenticated,
            auth_c().login(LoginRequest { username: "nobody".into(), password: "password123".into() })
        ),
        case!("update_password: no token", Unauthenticated, auth_c().update_password(UpdatePasswordRequest::default())),
        case!(
            "update_password: short",
            InvalidArgument,
            auth_c().update_password(authed(
                UpdatePasswordRequest { old_password: "bob-password".into(), new_password: "x".into() },
                &b()
            ))
        ),
        case!(
            "update_password: wrong old",
            PermissionDenied,
            auth_c().update_password(authed(
                UpdatePasswordRequest { old_password: "nope-nope".into(), new_password: "long-enough".into() },
                &b()
            ))
        ),
        case!("who_am_i: no token", Unauthenticated, auth_c().who_am_i(WhoAmIRequest {})),
        case!("who_am_i: garbage token", Unauthenticated, auth_c().who_am_i(authed(WhoAmIRequest {}, "a.b.c"))),
        // FileService
        case!("stat: no token", Unauthenticated, files_c().stat(StatRequest { path: "/".into() })),
        case!("stat: empty path", InvalidArgument, files_c().stat(authed(StatRequest::default(), &a()))),
        case!(
            "stat: relative path",
            InvalidArgument,
            files_c().stat(authed(StatRequest { path: "folder".into() }, &a()))
        ),
        case!(
            "stat: dot dot",
            InvalidArgument,
            files_c().stat(authed(StatRequest { path: "/folder/../x".into() }, &a()))
        ),
        case!("stat: huge path", InvalidArgument, files_c().stat(authed(StatRequest { path: huge.clone() }, &a()))),
        case!("stat: missing", NotFound, files_c().stat(authed(StatRequest { path: "/nope".into() }, &a()))),
        case!(
            "list: no token",
            Unauthenticated,
            files_c().list(ListRequest { path: "/".into(), ..Default::default() })
        ),
        case!(
            "list: page too big",
            InvalidArgument,
            files_c().list(authed(ListRequest { path: "/".into(), page_size: 5000, ..Default::default() }, &a()))
        ),
        case!(
            "list: forged page token",
            InvalidArgument,
            files_c().list(authed(
                ListRequest { path: "/".into(), page_token: "forged".into(), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "list: unknown sort",
            InvalidArgument,
            files_c().list(authed(ListRequest { path: "/".into(), sort_by: 99, ..Default::default() }, &a()))
        ),
        case!(
            "list: a file",
            FailedPrecondition,
            files_c().list(authed(ListRequest { path: "/folder/file.bin".into(), ..Default::default() }, &a()))
        ),
        case!(
            "list: missing",
            NotFound,
            files_c().list(authed(ListRequest { path: "/nope".into(), ..Default::default() }, &a()))
        ),
        case!(
            "create_folder: no token",
            Unauthenticated,
            files_c().create_folder(CreateFolderRequest { path: "/x".into() })
        ),
        case!(
            "create_folder: long name",
            InvalidArgument,
            files_c().create_folder(authed(CreateFolderRequest { path: long_name.clone() }, &a()))
        ),
        case!(
            "create_folder: control char",
            InvalidArgument,
            files_c().create_folder(authed(CreateFolderRequest { path: "/bad\u{1}name".into() }, &a()))
        ),
        case!(
            "create_folder: empty",
            InvalidArgument,
            files_c().create_folder(authed(CreateFolderRequest::default(), &a()))
        ),
        case!(
            "create_folder: under a file",
            FailedPrecondition,
            files_c().create_folder(authed(CreateFolderRequest { path: "/folder/file.bin/x".into() }, &a()))
        ),
        case!(
            "create_folder: is a file",
            AlreadyExists,
            files_c().create_folder(authed(CreateFolderRequest { path: "/folder/file.bin".into() }, &a()))
        ),
        case!("move: no token", Unauthenticated, files_c().r#move(MoveRequest::default())),
        case!(
            "move: missing source",
            NotFound,
            files_c().r#move(authed(
                MoveRequest { path: "/nope".into(), destination_folder: "/".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "move: missing destination",
            NotFound,
            files_c().r#move(authed(
                MoveRequest { path: "/folder/file.bin".into(), destination_folder: "/nope".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "move: empty destination",
            InvalidArgument,
            files_c().r#move(authed(MoveRequest { path: "/folder/file.bin".into(), ..Default::default() }, &a()))
        ),
        case!(
            "move: unknown policy",
            InvalidArgument,
            files_c().r#move(authed(
                MoveRequest { path: "/folder/file.bin".into(), destination_folder: "/".into(), conflict_policy: 42 },
                &a()
            ))
        ),
        case!(
            "move: into itself",
            InvalidArgument,
            files_c().r#move(authed(
                MoveRequest { path: "/folder".into(), destination_folder: "/folder/sub".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "move: root",
            PermissionDenied,
            files_c().r#move(authed(
                MoveRequest { path: "/".into(), destination_folder: "/folder".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "move: other's file",
            PermissionDenied,
            files_c().r#move(authed(
                MoveRequest { path: "/folder/file.bin".into(), destination_folder: "/".into(), conflict_policy: 0 },
                &b()
            ))
        ),
        case!(
            "move: into a file",
            FailedPrecondition,
            files_c().r#move(authed(
                MoveRequest {
                    path: "/folder/sub".into(),
                    destination_folder: "/folder/file.bin".into(),
                    conflict_policy: 0
                },
                &a()
            ))
        ),
        case!("rename: no token", Unauthenticated, files_c().rename(RenameRequest::default())),
        case!(
            "rename: empty name",
            InvalidArgument,
            files_c().rename(authed(
                RenameRequest { path: "/folder/file.bin".into(), new_name: "".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "rename: slash",
            InvalidArgument,
            files_c().rename(authed(
                RenameRequest { path: "/folder/file.bin".into(), new_name: "a/b".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "rename: dot dot",
            InvalidArgument,
            files_c().rename(authed(
                RenameRequest { path: "/folder/file.bin".into(), new_name: "..".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "rename: long",
            InvalidArgument,
            files_c().rename(authed(
                RenameRequest { path: "/folder/file.bin".into(), new_name: "n".repeat(256), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "rename: taken",
            AlreadyExists,
            files_c().rename(authed(
                RenameRequest { path: "/folder/file.bin".into(), new_name: "sub".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "rename: overwrite a folder",
            AlreadyExists,
            files_c().rename(authed(
                RenameRequest { path: "/folder/file.bin".into(), new_name: "sub".into(), conflict_policy: 3 },
                &a()
            ))
        ),
        case!(
            "rename: missing",
            NotFound,
            files_c()
                .rename(authed(RenameRequest { path: "/nope".into(), new_name: "x".into(), conflict_policy: 0 }, &a()))
        ),
        case!("delete: no token", Unauthenticated, files_c().delete(DeleteRequest::default())),
        case!(
            "delete: root",
            PermissionDenied,
            files_c().delete(authed(DeleteRequest { path: "/".into(), recursive: true }, &a()))
        ),
        case!(
            "delete: not empty",
            FailedPrecondition,
            files_c().delete(authed(DeleteRequest { path: "/folder".into(), recursive: false }, &a()))
        ),
        case!(
            "delete: missing",
            NotFound,
            files_c().delete(authed(DeleteRequest { path: "/nope".into(), recursive: false }, &a()))
        ),
        case!("delete: empty path", InvalidArgument, files_c().delete(authed(DeleteRequest::default(), &a()))),
        case!(
            "delete: other's",
            PermissionDenied,
            files_c().delete(authed(DeleteRequest { path: "/folder/file.bin".into(), recursive: false }, &b()))
        ),
        // TransferService
        case!("start_upload: no token", Unauthenticated, transfer_c().start_upload(StartUploadRequest::default())),
        case!(
            "start_upload: empty",
            InvalidArgument,
            transfer_c().start_upload(authed(StartUploadRequest::default(), &a()))
        ),
        case!(
            "start_upload: root",
            InvalidArgument,
            transfer_c().start_upload(authed(
                StartUploadRequest { path: "/".into(), sha256: "0".repeat(64), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "start_upload: bad sha256",
            InvalidArgument,
            transfer_c().start_upload(authed(
                StartUploadRequest { path: "/x".into(), sha256: "xyz".into(), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "start_upload: upper-case sha256",
            InvalidArgument,
            transfer_c().start_upload(authed(
                StartUploadRequest { path: "/x".into(), sha256: "A".repeat(64), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "start_upload: huge size",
            InvalidArgument,
            transfer_c().start_upload(authed(
                StartUploadRequest { path: "/x".into(), sha256: "0".repeat(64), size: u64::MAX, ..Default::default() },
                &a()
            ))
        ),
        case!(
            "start_upload: missing folder",
            NotFound,
            transfer_c().start_upload(authed(
                StartUploadRequest { path: "/nope/x".into(), sha256: "0".repeat(64), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "start_upload: taken",
            AlreadyExists,
            transfer_c().start_upload(authed(
                StartUploadRequest { path: "/folder/file.bin".into(), sha256: "0".repeat(64), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "start_upload: overwrite other's",
            PermissionDenied,
            transfer_c().start_upload(authed(
                StartUploadRequest {
                    path: "/folder/file.bin".into(),
                    sha256: "0".repeat(64),
                    conflict_policy: 3,
                    ..Default::default()
                },
                &b()
            ))
        ),
        case!(
            "start_upload: unknown policy",
            InvalidArgument,
            transfer_c().start_upload(authed(
                StartUploadRequest {
                    path: "/x".into(),
                    sha256: "0".repeat(64),
                    conflict_policy: 7,
                    ..Default::default()
                },
                &a()
            ))
        ),
        case!("put_chunk: no token", Unauthenticated, transfer_c().put_chunk(put(&upload_id, 0, 10))),
        case!("put_chunk: no upload id", InvalidArgument, transfer_c().put_chunk(authed(put("", 0, 10), &a()))),
        case!(
            "put_chunk: unknown upload",
            NotFound,
            transfer_c().put_chunk(authed(put("0123456789abcdef", 0, 10), &a()))
        ),
        case!(
            "put_chunk: index out of range",
            InvalidArgument,
            transfer_c().put_chunk(authed(put(&upload_id, 3, 3), &a()))
        ),
        case!("put_chunk: short chunk", InvalidArgument, transfer_c().put_chunk(authed(put(&upload_id, 0, 10), &a()))),
        case!(
            "put_chunk: oversized chunk",
            InvalidArgument,
            transfer_c().put_chunk(authed(put(&upload_id, 0, 1024 * 1024 + 1), &a()))
        ),
        case!(
            "put_chunk: other's upload",
            PermissionDenied,
            transfer_c().put_chunk(authed(put(&upload_id, 2, 3), &b()))
        ),
        case!(
            "query_upload: no token",
            Unauthenticated,
            transfer_c().query_upload(QueryUploadRequest { upload_id: upload_id.clone() })
        ),
        case!(
            "query_upload: empty",
            InvalidArgument,
            transfer_c().query_upload(authed(QueryUploadRequest::default(), &a()))
        ),
        case!(
            "query_upload: unknown",
            NotFound,
            transfer_c().query_upload(authed(QueryUploadRequest { upload_id: "nope".into() }, &a()))
        ),
        case!(
            "query_upload: other's",
            PermissionDenied,
            transfer_c().query_upload(authed(QueryUploadRequest { upload_id: upload_id.clone() }, &b()))
        ),
        case!(
            "commit_upload: no token",
            Unauthenticated,
            transfer_c().commit_upload(CommitUploadRequest { upload_id: upload_id.clone(), ..Default::default() })
        ),
        case!(
            "commit_upload: chunks missing",
            FailedPrecondition,
            transfer_c().commit_upload(authed(
                CommitUploadRequest { upload_id: upload_id.clone(), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "commit_upload: unknown",
            NotFound,
            transfer_c()
                .commit_upload(authed(CommitUploadRequest { upload_id: "nope".into(), ..Default::default() }, &a()))
        ),
        case!(
            "abort_upload: no token",
            Unauthenticated,
            transfer_c().abort_upload(AbortUploadRequest { upload_id: upload_id.clone() })
        ),
        case!(
            "abort_upload: unknown",
            NotFound,
            transfer_c().abort_upload(authed(AbortUploadRequest { upload_id: "nope".into() }, &a()))
        ),
        case!(
            "abort_upload: other's",
            PermissionDenied,
            transfer_c().abort_upload(authed(AbortUploadRequest { upload_id: upload_id.clone() }, &b()))
        ),
        case!(
            "read: no token",
            Unauthenticated,
            first_read_answer(
                transfer_c(),
                tonic::Request::new(read_stream(vec![ReadRequest {
                    path: "/folder/file.bin".into(),
                    ..Default::default()
                }]))
            )
        ),
        case!(
            "read: no path",
            InvalidArgument,
            first_read_answer(transfer_c(), authed(read_stream(vec![ReadRequest::default()]), &a()))
        ),
        case!(
            "read: nothing sent",
            InvalidArgument,
            first_read_answer(transfer_c(), authed(read_stream(vec![]), &a()))
        ),
        case!(
            "read: missing",
            NotFound,
            first_read_answer(
                transfer_c(),
                authed(read_stream(vec![ReadRequest { path: "/nope".into(), ..Default::default() }]), &a())
            )
        ),
        case!(
            "read: a folder",
            FailedPrecondition,
            first_read_answer(
                transfer_c(),
                authed(read_stream(vec![ReadRequest { path: "/folder".into(), ..Default::default() }]), &a())
            )
        ),
        case!(
            "read: past the end",
            OutOfRange,
            first_read_answer(
                transfer_c(),
                authed(
                    read_stream(vec![ReadRequest { path: "/folder/file.bin".into(), offset: u64::MAX, length: 1 }]),
                    &a()
                )
            )
        ),
        case!(
            "read: other's file",
            PermissionDenied,
            first_read_answer(
                transfer_c(),
                authed(read_stream(vec![ReadRequest { path: "/folder/file.bin".into(), ..Default::default() }]), &b())
            )
        ),
        // FileService: sharing, trash, folders, watch
        case!(
            "merge: empty source",
            InvalidArgument,
            files_c().merge_folders(authed(MergeFoldersRequest::default(), &a()))
        ),
        case!(
            "merge: into itself",
            InvalidArgument,
            files_c().merge_folders(authed(
                MergeFoldersRequest { source: "/folder".into(), destination: "/folder/sub".into(), conflict_policy: 0 },
                &a()
            ))
        ),
        case!(
            "merge: unknown policy",
            InvalidArgument,
            files_c().merge_folders(authed(
                MergeFoldersRequest {
                    source: "/folder/sub".into(),
                    destination: "/folder".into(),
                    conflict_policy: 42
                },
                &a()
            ))
        ),
        case!(
            "merge: a file",
            FailedPrecondition,
            files_c().merge_folders(authed(
                MergeFoldersRequest {
                    source: "/folder/file.bin".into(),
                    destination: "/folder".into(),
                    conflict_policy: 0
                },
                &a()
            ))
        ),
        case!("restore: unknown item", NotFound, files_c().restore(authed(RestoreRequest { trash_id: -7 }, &a()))),
        case!("restore: no token", Unauthenticated, files_c().restore(RestoreRequest { trash_id: 1 })),
        case!(
            "usage: empty path",
            InvalidArgument,
            files_c().folder_usage(authed(FolderUsageRequest::default(), &a()))
        ),
        case!(
            "usage: a file",
            FailedPrecondition,
            files_c().folder_usage(authed(FolderUsageRequest { path: "/folder/file.bin".into() }, &a()))
        ),
        case!(
            "visibility: unspecified",
            InvalidArgument,
            files_c().set_visibility(authed(SetVisibilityRequest { path: "/folder".into(), visibility: 0 }, &a()))
        ),
        case!(
            "visibility: unknown",
            InvalidArgument,
            files_c().set_visibility(authed(SetVisibilityRequest { path: "/folder".into(), visibility: 9 }, &a()))
        ),
        case!(
            "visibility: the root",
            PermissionDenied,
            files_c().set_visibility(authed(SetVisibilityRequest { path: "/".into(), visibility: 2 }, &a()))
        ),
        case!(
            "share: unknown level",
            InvalidArgument,
            files_c().share(authed(ShareRequest { path: "/folder".into(), username: "bob".into(), level: 17 }, &a()))
        ),
        case!(
            "share: huge username",
            NotFound,
            files_c().share(authed(ShareRequest { path: "/folder".into(), username: huge.clone(), level: 1 }, &a()))
        ),
        case!("unshare: empty path", InvalidArgument, files_c().unshare(authed(UnshareRequest::default(), &a()))),
        case!(
            "unshare: not shared",
            NotFound,
            files_c().unshare(authed(UnshareRequest { path: "/folder".into(), username: "bob".into() }, &a()))
        ),
        case!(
            "list shares: huge path",
            InvalidArgument,
            files_c().list_shares(authed(ListSharesRequest { path: huge.clone() }, &a()))
        ),
        case!(
            "transfer: no new owner",
            NotFound,
            files_c().transfer_ownership(authed(
                TransferOwnershipRequest { path: "/folder".into(), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "search users: huge query",
            InvalidArgument,
            files_c().search_users(authed(SearchUsersRequest { query: huge.clone() }, &a()))
        ),
        case!("watch: empty path", InvalidArgument, files_c().watch(authed(WatchRequest::default(), &a()))),
        case!("watch: missing folder", NotFound, files_c().watch(authed(WatchRequest { path: "/nope".into() }, &a()))),
        case!(
            "thumbnail: empty path",
            InvalidArgument,
            files_c().get_thumbnail(authed(GetThumbnailRequest::default(), &a()))
        ),
        case!(
            "thumbnail: huge path",
            InvalidArgument,
            files_c().get_thumbnail(authed(GetThumbnailRequest { path: huge.clone() }, &a()))
        ),
        case!(
            "thumbnail: missing file",
            NotFound,
            files_c().get_thumbnail(authed(GetThumbnailRequest { path: "/nope".into() }, &a()))
        ),
        case!(
            "thumbnail: a folder has none",
            NotFound,
            files_c().get_thumbnail(authed(GetThumbnailRequest { path: "/folder".into() }, &a()))
        ),
        // AdminService
        case!(
            "admin create: bad name",
            InvalidArgument,
            admin_c().create_user(authed(
                CreateUserRequest { username: "Bad Name".into(), password: "password123".into(), is_admin: false },
                &a()
            ))
        ),
        case!(
            "admin create: not admin",
            PermissionDenied,
            admin_c().create_user(authed(CreateUserRequest::default(), &b()))
        ),
        case!(
            "admin delete: no choice",
            InvalidArgument,
            admin_c().delete_user(authed(DeleteUserRequest { username: "bob".into(), files: None }, &a()))
        ),
        case!(
            "admin delete: unknown user",
            NotFound,
            admin_c().delete_user(authed(
                DeleteUserRequest {
                    username: huge.clone(),
                    files: Some(delete_user_request::Files::DeleteFiles(true))
                },
                &a()
            ))
        ),
        case!(
            "admin set admin: unknown user",
            NotFound,
            admin_c().set_admin(authed(SetAdminRequest { username: "nobody".into(), is_admin: true }, &a()))
        ),
        case!(
            "admin reset: short password",
            InvalidArgument,
            admin_c().reset_password(authed(
                ResetPasswordRequest { username: "bob".into(), new_password: "short".into() },
                &a()
            ))
        ),
        case!("admin list: no token", Unauthenticated, admin_c().list_users(ListUsersRequest {})),
        case!(
            "admin get quota: not admin",
            PermissionDenied,
            admin_c().get_quota(authed(GetQuotaRequest { username: "bob".into() }, &b()))
        ),
        case!(
            "admin get quota: unknown user",
            NotFound,
            admin_c().get_quota(authed(GetQuotaRequest { username: huge.clone() }, &a()))
        ),
        case!(
            "admin set quota: not admin",
            PermissionDenied,
            admin_c().set_quota(authed(
                SetQuotaRequest { username: "bob".into(), max_bytes: Some(1), ..Default::default() },
                &b()
            ))
        ),
        case!(
            "admin set quota: empty username",
            NotFound,
            admin_c().set_quota(authed(SetQuotaRequest::default(), &a()))
        ),
        case!("admin set quota: no token", Unauthenticated, admin_c().set_quota(SetQuotaRequest::default())),
        // Tickets and ownership offers
        case!(
            "ticket: no token",
            Unauthenticated,
            auth_c().create_download_ticket(CreateDownloadTicketRequest::default())
        ),
        case!(
            "ticket: no purpose",
            InvalidArgument,
            auth_c().create_download_ticket(authed(
                CreateDownloadTicketRequest { path: "/folder".into(), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "ticket: unknown purpose",
            InvalidArgument,
            auth_c().create_download_ticket(authed(
                CreateDownloadTicketRequest { purpose: 99, path: "/folder".into() },
                &a()
            ))
        ),
        case!(
            "ticket: relative path",
            InvalidArgument,
            auth_c().create_download_ticket(authed(
                CreateDownloadTicketRequest { purpose: TicketPurpose::Download as i32, path: "folder".into() },
                &a()
            ))
        ),
        case!(
            "ticket: huge path",
            InvalidArgument,
            auth_c().create_download_ticket(authed(
                CreateDownloadTicketRequest { purpose: TicketPurpose::Zip as i32, path: format!("/{huge}") },
                &a()
            ))
        ),
        case!("offers: no token", Unauthenticated, files_c().list_ownership_offers(ListOwnershipOffersRequest {})),
        case!(
            "answer offer: empty path",
            InvalidArgument,
            files_c().answer_ownership_offer(authed(AnswerOwnershipOfferRequest::default(), &b()))
        ),
        case!(
            "answer offer: none pending",
            NotFound,
            files_c().answer_ownership_offer(authed(
                AnswerOwnershipOfferRequest { path: "/folder/file.bin".into(), accept: true },
                &b()
            ))
        ),
        case!(
            "answer offer: missing entry",
            NotFound,
            files_c().answer_ownership_offer(authed(
                AnswerOwnershipOfferRequest { path: "/no/such/entry".into(), accept: false },
                &b()
            ))
        ),
        // LinkService
        case!(
            "link create: empty path",
            InvalidArgument,
            links_c().create_link(authed(CreateLinkRequest::default(), &a()))
        ),
        case!(
            "link create: expired already",
            InvalidArgument,
            links_c().create_link(authed(
                CreateLinkRequest { path: "/folder/file.bin".into(), expires_at_ms: 1, ..Default::default() },
                &a()
            ))
        ),
        case!(
            "link create: other's file",
            PermissionDenied,
            links_c()
                .create_link(authed(CreateLinkRequest { path: "/folder/file.bin".into(), ..Default::default() }, &b()))
        ),
        case!(
            "link revoke: unknown",
            NotFound,
            links_c().revoke_link(authed(RevokeLinkRequest { id: huge.clone() }, &a()))
        ),
        case!(
            "link list all: not admin",
            PermissionDenied,
            links_c().list_links(authed(ListLinksRequest { all: true }, &b()))
        ),
        // FileService: dead properties
        case!(
            "properties set: empty path",
            InvalidArgument,
            files_c().set_properties(authed(SetPropertiesRequest::default(), &a()))
        ),
        case!(
            "properties set: NUL in a name",
            InvalidArgument,
            files_c().set_properties(authed(
                SetPropertiesRequest { path: "/folder".into(), set: vec![property("a\0b")], remove: vec![] },
                &a()
            ))
        ),
        case!(
            "properties set: name too long",
            InvalidArgument,
            files_c().set_properties(authed(
                SetPropertiesRequest { path: "/folder".into(), set: vec![property(&huge)], remove: vec![] },
                &a()
            ))
        ),
        case!(
            "properties set: other's file",
            PermissionDenied,
            files_c().set_properties(authed(
                SetPropertiesRequest { path: "/folder/file.bin".into(), set: vec![property("a")], remove: vec![] },
                &b()
            ))
        ),
        case!(
            "properties get: missing entry",
            NotFound,
            files_c().get_properties(authed(GetPropertiesRequest { path: "/no/such/entry".into() }, &a()))
        ),
        case!(
            "properties get: other's file",
            PermissionDenied,
            files_c().get_properties(authed(GetPropertiesRequest { path: "/folder/file.bin".into() }, &b()))
        ),
        case!(
            "properties get: no token",
            Unauthenticated,
            files_c().get_properties(GetPropertiesRequest { path: "/folder".into() })
        ),
        // LockService
        case!(
            "lock create: empty path",
            InvalidArgument,
            locks_c().create_lock(authed(CreateLockRequest::default(), &a()))
        ),
        case!(
            "lock create: negative timeout",
            InvalidArgument,
            locks_c().create_lock(authed(
                CreateLockRequest { path: "/folder".into(), timeout_seconds: -1, ..Default::default() },
                &a()
            ))
        ),
        case!(
            "lock create: owner over 4 KiB",
            InvalidArgument,
            locks_c().create_lock(authed(
                CreateLockRequest { path: "/folder".into(), owner_xml: huge.clone(), ..Default::default() },
                &a()
            ))
        ),
        case!(
            "lock create: the root",
            PermissionDenied,
            locks_c().create_lock(authed(CreateLockRequest { path: "/".into(), ..Default::default() }, &a()))
        ),
        case!(
            "lock create: other's folder",
            PermissionDenied,
            locks_c().create_lock(authed(CreateLockRequest { path: "/folder/x".into(), ..Default::default() }, &b()))
        ),
        case!(
            "lock release: unknown token",
            NotFound,
            locks_c().release_lock(authed(ReleaseLockRequest { path: "/folder".into(), token: huge.clone() }, &a()))
        ),
        case!(
            "lock refresh: malformed token",
            NotFound,
            locks_c().refresh_lock(authed(
                RefreshLockRequest { path: "/folder".into(), token: "opaquelocktoken:\0".into(), timeout_seconds: 5 },
                &a()
            ))
        ),
        case!(
            "lock check: relative path",
            InvalidArgument,
            locks_c().check_locks(authed(CheckLocksRequest { path: "folder".into(), ..Default::default() }, &a()))
        ),
        case!(
            "lock check: too many tokens",
            InvalidArgument,
            locks_c().check_locks(authed(
                CheckLocksRequest { path: "/folder".into(), tokens: vec![String::new(); 1001], ..Default::default() },
                &a()
            ))
        ),
        case!(
            "locks list: unreadable",
            PermissionDenied,
            locks_c().list_locks(authed(ListLocksRequest { path: "/folder/file.bin".into() }, &b()))
        ),
        case!(
            "locks list: no token",
            Unauthenticated,
            locks_c().list_locks(ListLocksRequest { path: "/folder".into() })
        ),
        case!(
            "locks delete: other's folder",
            PermissionDenied,
            locks_c().delete_locks(authed(DeleteLocksRequest { path: "/folder".into() }, &b()))
        ),
    ];

    let mut failures = Vec::new();
    for case in cases {
        match case.call.await {
            Ok(()) => failures.push(format!("{}: succeeded, expected {:?}", case.name, case.expected)),
            Err(status) if status.code() != case.expected || status.message().is_empty() => failures.push(format!(
                "{}: got {:?} {:?}, expected {:?}",
                case.name,
                status.code(),
                status.message(),
                case.expected
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
    // The server is still healthy and the data intact.
    assert_eq!(admin.read_range("/folder/file.bin", 0, 0).await.unwrap(), file);
    server.shutdown().await;
}
