//! AdminService: only administrators, last-administrator protection,
//! password resets that end sessions, deleting users with their files.

use std::collections::BTreeSet;

use bytes::Bytes;
use cordvault_client::proto as pb;
use cordvault_client::proto::delete_user_request::Files;
use cordvault_client::proto::transfer_service_client::TransferServiceClient;
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions, from_status};
use cordvault_test_support::{Backend, TestServer, authed, backend_tests, channel, random_bytes, sha256_hex};

use crate::stored_objects;

backend_tests!(
    only_administrators_administer,
    create_list_and_set_admin,
    the_last_administrator_stays,
    reset_password_ends_tokens_and_streams,
    delete_user_transferring_files,
    delete_user_deleting_files,
);

async fn list(client: &Client) -> cordvault_client::Result<Vec<pb::User>> {
    let response = client.admin()?.list_users(pb::ListUsersRequest {}).await.map_err(from_status)?;
    Ok(response.into_inner().users)
}

async fn create(client: &Client, username: &str, is_admin: bool) -> cordvault_client::Result<pb::User> {
    let request =
        pb::CreateUserRequest { username: username.into(), password: format!("{username}-password"), is_admin };
    let response = client.admin()?.create_user(request).await.map_err(from_status)?;
    Ok(response.into_inner().user.expect("user"))
}

async fn set_admin(client: &Client, username: &str, is_admin: bool) -> cordvault_client::Result<pb::User> {
    let request = pb::SetAdminRequest { username: username.into(), is_admin };
    let response = client.admin()?.set_admin(request).await.map_err(from_status)?;
    Ok(response.into_inner().user.expect("user"))
}

async fn reset_password(client: &Client, username: &str, new_password: &str) -> cordvault_client::Result<()> {
    let request = pb::ResetPasswordRequest { username: username.into(), new_password: new_password.into() };
    client.admin()?.reset_password(request).await.map_err(from_status)?;
    Ok(())
}

async fn delete_user(client: &Client, username: &str, files: Option<Files>) -> cordvault_client::Result<u64> {
    let request = pb::DeleteUserRequest { username: username.into(), files };
    let response = client.admin()?.delete_user(request).await.map_err(from_status)?;
    Ok(response.into_inner().affected_entries)
}

fn transfer_to(username: &str) -> Option<Files> {
    Some(Files::TransferFilesTo(username.into()))
}

#[track_caller]
fn fails_with<T: std::fmt::Debug>(result: cordvault_client::Result<T>, code: ErrorCode, what: &str) -> String {
    let err = result.expect_err(what);
    assert_eq!(err.code, code, "{what}: {err}");
    err.message
}

fn names(users: &[pb::User]) -> Vec<(&str, bool)> {
    users.iter().map(|user| (user.username.as_str(), user.is_admin)).collect()
}

async fn watch(client: &Client, path: &str) -> tonic::Streaming<pb::WatchResponse> {
    client.files().unwrap().watch(pb::WatchRequest { path: path.into() }).await.unwrap().into_inner()
}

/// Waits for a Watch stream to end with an error, skipping any events.
async fn watch_ends(mut stream: tonic::Streaming<pb::WatchResponse>) -> tonic::Status {
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the stream ended without an error"),
                Err(status) => return status,
            }
        }
    });
    ended.await.expect("the stream closes")
}

async fn only_administrators_administer(backend: Backend) {
    let server = TestServer::start(backend).await;
    let _admin = server.admin().await;
    let bob = server.user("bob").await;
    let anonymous = server.anonymous().await;
    for (client, code) in [(&bob, ErrorCode::PermissionDenied), (&anonymous, ErrorCode::Unauthenticated)] {
        fails_with(list(client).await, code, "list users");
        fails_with(create(client, "eve", true).await, code, "create a user");
        fails_with(set_admin(client, "bob", true).await, code, "make oneself an administrator");
        fails_with(reset_password(client, "admin", "taken-over-password").await, code, "reset a password");
        fails_with(delete_user(client, "admin", transfer_to("bob")).await, code, "delete a user");
        // Even a request the service would refuse is refused for want of rights first.
        fails_with(delete_user(client, "admin", None).await, code, "delete without a choice");
    }
    assert!(!bob.who_am_i().await.unwrap().is_admin);
    server.shutdown().await;
}

async fn create_list_and_set_admin(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let carol = create(&admin, "carol", false).await.unwrap();
    assert!(!carol.is_admin);
    assert!(create(&admin, "dave", true).await.unwrap().is_admin);
    assert_eq!(names(&list(&admin).await.unwrap()), [("admin", true), ("carol", false), ("dave", true)]);
    fails_with(create(&admin, "carol", false).await, ErrorCode::AlreadyExists, "a taken name");
    fails_with(create(&admin, "Not Valid", false).await, ErrorCode::InvalidArgument, "a bad name");
    let short = pb::CreateUserRequest { username: "erin".into(), password: "short".into(), is_admin: false };
    let refused = admin.admin().unwrap().create_user(short).await.map_err(from_status);
    fails_with(refused, ErrorCode::InvalidArgument, "a short password");

    // A new user logs in, and an administrator they become can administer.
    let anonymous = server.anonymous().await;
    let carol = anonymous.with_token(anonymous.login("carol", "carol-password").await.unwrap().token);
    fails_with(list(&carol).await, ErrorCode::PermissionDenied, "carol before her promotion");
    assert!(set_admin(&admin, "carol", true).await.unwrap().is_admin);
    assert_eq!(list(&carol).await.unwrap().len(), 3, "a promotion works on the current token");

    // A demotion ends the user's tokens: they were issued to an administrator.
    assert!(!set_admin(&admin, "carol", false).await.unwrap().is_admin);
    fails_with(carol.who_am_i().await, ErrorCode::Unauthenticated, "carol's token after her demotion");
    let carol = anonymous.with_token(anonymous.login("carol", "carol-password").await.unwrap().token);
    fails_with(list(&carol).await, ErrorCode::PermissionDenied, "carol after her demotion");
    fails_with(set_admin(&admin, "nobody", true).await, ErrorCode::NotFound, "an unknown user");
    server.shutdown().await;
}

async fn the_last_administrator_stays(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let message = fails_with(set_admin(&admin, "admin", false).await, ErrorCode::FailedPrecondition, "last admin");
    assert!(message.contains("last administrator"), "{message}");

    create(&admin, "dave", true).await.unwrap();
    let anonymous = server.anonymous().await;
    let dave = anonymous.with_token(anonymous.login("dave", "dave-password").await.unwrap().token);
    let message =
        fails_with(delete_user(&dave, "dave", transfer_to("admin")).await, ErrorCode::FailedPrecondition, "self");
    assert!(message.contains("your own account"), "{message}");

    // With two administrators one may step down; then the other is the last.
    set_admin(&dave, "dave", false).await.unwrap();
    let dave = anonymous.with_token(anonymous.login("dave", "dave-password").await.unwrap().token);
    fails_with(set_admin(&dave, "admin", false).await, ErrorCode::PermissionDenied, "dave is no longer one");
    fails_with(set_admin(&admin, "admin", false).await, ErrorCode::FailedPrecondition, "last admin again");
    assert!(admin.who_am_i().await.unwrap().is_admin);
    server.shutdown().await;
}

async fn reset_password_ends_tokens_and_streams(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let bob = server.user("bob").await;
    let data = random_bytes(3 * 1024 * 1024, 21);
    bob.upload_bytes(data.clone(), "/bob.bin", &UploadOptions::default()).await.unwrap();
    let mut reader = bob.open_reader("/bob.bin").await.unwrap();
    let watching = watch(&bob, "/").await;

    fails_with(reset_password(&admin, "bob", "short").await, ErrorCode::InvalidArgument, "a short password");
    fails_with(reset_password(&admin, "nobody", "a-new-password").await, ErrorCode::NotFound, "an unknown user");
    assert_eq!(bob.who_am_i().await.unwrap().username, "bob", "a refused reset changes nothing");
    reset_password(&admin, "bob", "bob-new-password").await.unwrap();

    fails_with(bob.who_am_i().await, ErrorCode::Unauthenticated, "the old token");
    assert_eq!(watch_ends(watching).await.code(), tonic::Code::Unauthenticated);
    fails_with(reader.read(0, 100).await, ErrorCode::Unauthenticated, "the open reader");
    let anonymous = server.anonymous().await;
    fails_with(anonymous.login("bob", "bob-password").await, ErrorCode::Unauthenticated, "the old password");
    let bob = anonymous.with_token(anonymous.login("bob", "bob-new-password").await.unwrap().token);
    assert_eq!(bob.read_range("/bob.bin", 0, 100).await.unwrap(), data.slice(..100));
    server.shutdown().await;
}

async fn delete_user_transferring_files(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let data = random_bytes(200_000, 22);
    bob.create_folder("/bob/docs").await.unwrap();
    bob.upload_bytes(data.clone(), "/bob/docs/a.txt", &UploadOptions::default()).await.unwrap();
    bob.upload_bytes(data.slice(..10), "/bob/old.txt", &UploadOptions::default()).await.unwrap();
    bob.delete("/bob/old.txt", false).await.unwrap();
    bob.share("/bob/docs", "carol", pb::ShareLevel::Read).await.unwrap();
    let watching = watch(&bob, "/").await;

    let missing = fails_with(delete_user(&admin, "bob", None).await, ErrorCode::InvalidArgument, "no choice");
    assert!(missing.contains("transfer"), "{missing}");
    let nothing = Some(Files::DeleteFiles(false));
    fails_with(delete_user(&admin, "bob", nothing).await, ErrorCode::InvalidArgument, "delete_files false");
    fails_with(delete_user(&admin, "bob", transfer_to("bob")).await, ErrorCode::InvalidArgument, "to himself");
    fails_with(delete_user(&admin, "bob", transfer_to("nobody")).await, ErrorCode::NotFound, "to nobody");
    fails_with(delete_user(&admin, "nobody", transfer_to("carol")).await, ErrorCode::NotFound, "nobody");
    assert_eq!(bob.who_am_i().await.unwrap().username, "bob", "refusals change nothing");

    // /bob, /bob/docs, a.txt and the trashed old.txt.
    assert_eq!(delete_user(&admin, "bob", transfer_to("carol")).await.unwrap(), 4);

    fails_with(bob.who_am_i().await, ErrorCode::Unauthenticated, "the deleted user's token");
    assert_eq!(watch_ends(watching).await.code(), tonic::Code::Unauthenticated);
    let anonymous = server.anonymous().await;
    fails_with(anonymous.login("bob", "bob-password").await, ErrorCode::Unauthenticated, "the deleted user's login");
    assert_eq!(names(&list(&admin).await.unwrap()), [("admin", true), ("carol", false)]);

    assert_eq!(carol.stat("/bob/docs/a.txt").await.unwrap().owner, "carol");
    assert_eq!(carol.stat("/bob").await.unwrap().owner, "carol");
    assert_eq!(carol.read_range("/bob/docs/a.txt", 0, 0).await.unwrap(), data);
    // The trashed file came along, and carol needs no share on her own folder.
    let trash = carol.files().unwrap().list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner();
    let trashed: Vec<&str> = trash.items.iter().map(|item| item.original_path.as_str()).collect();
    assert_eq!(trashed, ["/bob/old.txt"]);
    let shares = carol.files().unwrap().list_shares(pb::ListSharesRequest { path: "/bob/docs".into() }).await;
    assert!(shares.unwrap().into_inner().shares.is_empty());
    carol.rename("/bob", "from-bob", ConflictPolicy::Fail).await.unwrap();
    server.shutdown().await;
}

async fn transfers(server: &TestServer) -> TransferServiceClient<tonic::transport::Channel> {
    TransferServiceClient::new(channel(&server.url).await)
}

/// Starts an upload and sends its first chunk only, leaving the session open.
async fn unfinished_upload(server: &TestServer, client: &Client, path: &str, data: &Bytes) {
    let token = client.token().unwrap();
    let request = pb::StartUploadRequest {
        path: path.into(),
        size: data.len() as u64,
        sha256: sha256_hex(data),
        ..Default::default()
    };
    let started = transfers(server).await.start_upload(authed(request, token)).await.unwrap().into_inner();
    let first = data.slice(..started.chunk_size as usize);
    let chunk = pb::PutChunkRequest { upload_id: started.upload_id, chunk_index: 0, data: first };
    transfers(server).await.put_chunk(authed(chunk, token)).await.unwrap();
}

fn objects(server: &TestServer) -> BTreeSet<std::path::PathBuf> {
    stored_objects(server).into_iter().collect()
}

async fn delete_user_deleting_files(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    bob.create_folder("/bob/shared").await.unwrap();
    bob.share("/bob/shared", "carol", pb::ShareLevel::ReadWrite).await.unwrap();
    carol.upload_bytes(random_bytes(1000, 23), "/bob/shared/carol.txt", &UploadOptions::default()).await.unwrap();
    assert_eq!(objects(&server).len(), 1);

    let options = UploadOptions::default();
    bob.upload_bytes(random_bytes(3 * 1024 * 1024, 24), "/bob/big.bin", &options).await.unwrap();
    bob.upload_bytes(random_bytes(5000, 25), "/bob/gone.txt", &options).await.unwrap();
    bob.delete("/bob/gone.txt", false).await.unwrap();
    bob.upload_bytes(random_bytes(7000, 26), "/bob/shared/mine.txt", &options).await.unwrap();
    unfinished_upload(&server, &bob, "/bob/partial.bin", &random_bytes(2 * 1024 * 1024, 27)).await;
    // Bob also deleted one of carol's files: it stays hers.
    carol.upload_bytes(random_bytes(100, 28), "/carol.txt", &options).await.unwrap();
    carol.share("/carol.txt", "bob", pb::ShareLevel::ReadWrite).await.unwrap();
    bob.delete("/carol.txt", false).await.unwrap();

    // Bob's folders hold carol's file: it goes to her trash, not with his.
    // /bob, /bob/shared, big.bin, mine.txt and the trashed gone.txt.
    assert_eq!(delete_user(&admin, "bob", Some(Files::DeleteFiles(true))).await.unwrap(), 5);
    fails_with(bob.who_am_i().await, ErrorCode::Unauthenticated, "the deleted user's token");
    fails_with(server.anonymous().await.login("bob", "bob-password").await, ErrorCode::Unauthenticated, "login");
    fails_with(admin.stat("/bob").await, ErrorCode::NotFound, "bob's folder");
    assert!(admin.list("/").await.unwrap().is_empty());

    // Only carol's two files keep chunks once the janitor has swept.
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(objects(&server).len(), 2, "bob's chunks, the unfinished upload's included, are purged");
    let trash = carol.files().unwrap().list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner();
    let mut items: Vec<(String, String, i64)> =
        trash.items.into_iter().map(|item| (item.original_path, item.deleted_by, item.trash_id)).collect();
    items.sort();
    let paths: Vec<(&str, &str)> = items.iter().map(|(path, by, _)| (path.as_str(), by.as_str())).collect();
    assert_eq!(paths, [("/bob/shared/carol.txt", ""), ("/carol.txt", "")], "both of carol's files wait in her trash");
    let restore = pb::RestoreRequest { trash_id: items[0].2 };
    let restored = carol.files().unwrap().restore(restore).await.unwrap().into_inner().entry.unwrap();
    assert_eq!(restored.path, "/bob/shared/carol.txt", "carol gets her file back where it was");
    server.shutdown().await;
}
