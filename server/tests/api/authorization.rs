//! The authorization matrix: every operation on a file × every kind of
//! caller, each against a fresh file, with the expected outcome in a table.

use std::time::Duration;

use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};
use reqwest::StatusCode;

backend_tests!(every_operation_for_every_caller, links_for_every_state);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// PERMISSION_DENIED, HTTP 403.
    Denied,
    /// UNAUTHENTICATED, HTTP 401.
    Unauth,
    /// NOT_FOUND, HTTP 404.
    Missing,
    /// HTTP 410: the link existed but is dead.
    Gone,
    /// INVALID_ARGUMENT.
    Invalid,
    /// Accepted, but it waits for another user's consent.
    Pending,
    /// The owner's file is gone for good.
    Lost,
}
use Outcome::{Denied, Gone, Invalid, Lost, Missing, Ok, Pending, Unauth};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Stat,
    List,
    Read,
    Overwrite,
    Rename,
    Move,
    Delete,
    SetVisibility,
    Share,
    Unshare,
    ListShares,
    TransferOwnership,
    FolderUsage,
    Watch,
    CreateLink,
    ListAllLinks,
    AdminListUsers,
    HttpGetDownload,
    HttpHeadDownload,
    HttpBulkDownload,
    /// Upload a new file into the file's folder (planting).
    CreateInFolder,
    /// `mkdir -p` of the file's existing folder (adopting it).
    CreateExistingFolder,
    /// Delete the file, then empty one's trash.
    DeleteAndEmptyTrash,
    /// Upload "f.txt" with a zero-width space beside the file.
    UploadLookalikeName,
}

/// Callers: the file's owner, a read-write share, a read share, another
/// user, an administrator, nobody, and another user on a public file.
const CALLERS: [&str; 7] = ["owner", "read-write", "read", "other", "admin", "anonymous", "public file"];

#[rustfmt::skip]
const MATRIX: &[(Op, [Outcome; 7])] = &[
    //                           owner  rw      read    other   admin  anon    public
    (Op::Stat,                  [Ok,    Ok,     Ok,     Ok,     Ok,    Unauth, Ok]),
    (Op::List,                  [Ok,    Ok,     Ok,     Ok,     Ok,    Unauth, Ok]),
    (Op::Read,                  [Ok,    Ok,     Ok,     Denied, Ok,    Unauth, Ok]),
    (Op::Overwrite,             [Ok,    Ok,     Denied, Denied, Ok,    Unauth, Denied]),
    (Op::Rename,                [Ok,    Ok,     Denied, Denied, Ok,    Unauth, Denied]),
    // Moving needs write access to the destination too, which is the owner's.
    (Op::Move,                  [Ok,    Denied, Denied, Denied, Ok,    Unauth, Denied]),
    (Op::Delete,                [Ok,    Ok,     Denied, Denied, Ok,    Unauth, Denied]),
    (Op::SetVisibility,         [Ok,    Denied, Denied, Denied, Ok,    Unauth, Denied]),
    (Op::Share,                 [Ok,    Denied, Denied, Denied, Ok,    Unauth, Denied]),
    (Op::Unshare,               [Ok,    Denied, Denied, Denied, Ok,    Unauth, Denied]),
    (Op::ListShares,            [Ok,    Ok,     Ok,     Denied, Ok,    Unauth, Ok]),
    (Op::TransferOwnership,     [Pending, Denied, Denied, Denied, Ok,  Unauth, Denied]),
    (Op::FolderUsage,           [Ok,    Ok,     Ok,     Ok,     Ok,    Unauth, Ok]),
    (Op::Watch,                 [Ok,    Ok,     Ok,     Ok,     Ok,    Unauth, Ok]),
    (Op::CreateLink,            [Ok,    Ok,     Denied, Denied, Ok,    Unauth, Denied]),
    (Op::ListAllLinks,          [Denied, Denied, Denied, Denied, Ok,   Unauth, Denied]),
    (Op::AdminListUsers,        [Denied, Denied, Denied, Denied, Ok,   Unauth, Denied]),
    (Op::HttpGetDownload,       [Ok,    Ok,     Ok,     Denied, Ok,    Unauth, Ok]),
    (Op::HttpHeadDownload,      [Ok,    Ok,     Ok,     Denied, Ok,    Unauth, Ok]),
    (Op::HttpBulkDownload,      [Ok,    Ok,     Ok,     Ok,     Ok,    Unauth, Ok]),
    (Op::CreateInFolder,        [Ok,    Denied, Denied, Denied, Ok,    Unauth, Denied]),
    (Op::CreateExistingFolder,  [Ok,    Denied, Denied, Denied, Ok,    Unauth, Denied]),
    (Op::DeleteAndEmptyTrash,   [Ok,    Ok,     Denied, Denied, Ok,    Unauth, Denied]),
    (Op::UploadLookalikeName,   [Invalid, Invalid, Invalid, Invalid, Invalid, Unauth, Invalid]),
];

struct World {
    server: TestServer,
    /// owner, read-write, read, other, admin, anonymous; "public file" is `other`.
    clients: Vec<Client>,
    http: reqwest::Client,
}

/// A fresh file `/m{n}/f.txt` of alice's, shared read-write with bob and
/// read-only with carol; public when `public`.
async fn fixture(world: &World, n: usize, public: bool) -> String {
    let owner = &world.clients[0];
    let folder = format!("/m{n}");
    owner.create_folder(&format!("{folder}/dest")).await.unwrap();
    let path = format!("{folder}/f.txt");
    owner.upload_bytes(random_bytes(1000, n as u64), &path, &UploadOptions::default()).await.unwrap();
    owner.share(&path, "bob", ShareLevel::ReadWrite).await.unwrap();
    owner.share(&path, "carol", ShareLevel::Read).await.unwrap();
    if public {
        owner.set_public(&path, true).await.unwrap();
    }
    path
}

fn grpc<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Outcome {
    match result.map(|_| ()) {
        Result::Ok(()) => Ok,
        Err(status) => match status.code() {
            tonic::Code::PermissionDenied => Denied,
            tonic::Code::Unauthenticated => Unauth,
            tonic::Code::NotFound => Missing,
            tonic::Code::InvalidArgument => Invalid,
            code => panic!("unexpected {code:?}: {}", status.message()),
        },
    }
}

fn sdk(result: cordvault_client::Result<impl Sized>) -> Outcome {
    match result {
        Result::Ok(_) => Ok,
        Err(err) => match err.code {
            ErrorCode::PermissionDenied => Denied,
            ErrorCode::Unauthenticated => Unauth,
            ErrorCode::NotFound => Missing,
            ErrorCode::InvalidArgument => Invalid,
            code => panic!("unexpected {code:?}: {err}"),
        },
    }
}

fn http(status: StatusCode) -> Outcome {
    match status {
        StatusCode::OK | StatusCode::PARTIAL_CONTENT => Ok,
        StatusCode::FORBIDDEN => Denied,
        StatusCode::UNAUTHORIZED => Unauth,
        StatusCode::NOT_FOUND => Missing,
        StatusCode::GONE => Gone,
        status => panic!("unexpected HTTP {status}"),
    }
}

async fn run(world: &World, op: Op, client: &Client, path: &str) -> Outcome {
    let folder = path.rsplit_once('/').unwrap().0.to_owned();
    let mut files = client.files().unwrap();
    match op {
        Op::Stat => sdk(client.stat(path).await),
        Op::List => sdk(client.list(&folder).await),
        Op::Read => sdk(client.read_range(path, 0, 0).await),
        Op::Overwrite => {
            let options = UploadOptions { conflict: ConflictPolicy::Overwrite, ..Default::default() };
            sdk(client.upload_bytes(random_bytes(10, 99), path, &options).await)
        }
        Op::Rename => sdk(client.rename(path, "renamed.txt", ConflictPolicy::Fail).await),
        Op::Move => sdk(client.move_entry(path, &format!("{folder}/dest"), ConflictPolicy::Fail).await),
        Op::Delete => sdk(client.delete(path, false).await),
        Op::SetVisibility => sdk(client.set_public(path, true).await),
        Op::Share => sdk(client.share(path, "dave", ShareLevel::Read).await),
        Op::Unshare => grpc(files.unshare(pb::UnshareRequest { path: path.into(), username: "carol".into() }).await),
        Op::ListShares => grpc(files.list_shares(pb::ListSharesRequest { path: path.into() }).await),
        Op::TransferOwnership => {
            let request = pb::TransferOwnershipRequest {
                path: path.into(),
                new_owner: "erin".into(),
                drop_shares: false,
                keep_share_for_previous_owner: true,
            };
            match files.transfer_ownership(request).await {
                Result::Ok(response) if response.get_ref().pending => Pending,
                result => grpc(result),
            }
        }
        Op::CreateInFolder => {
            sdk(client.upload_bytes(random_bytes(10, 98), &format!("{folder}/planted.txt"), &Default::default()).await)
        }
        Op::CreateExistingFolder => sdk(client.create_folder(&folder).await),
        Op::DeleteAndEmptyTrash => {
            let deleted = sdk(client.delete(path, false).await);
            if deleted != Ok {
                return deleted;
            }
            client.empty_trash().await.unwrap();
            let owner = &world.clients[0];
            if client.token() == owner.token() {
                return Ok;
            }
            let mut owner_files = owner.files().unwrap();
            let trash = owner_files.list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner().items;
            if trash.iter().any(|item| item.original_path == path) { Ok } else { Lost }
        }
        Op::UploadLookalikeName => {
            sdk(client.upload_bytes(random_bytes(10, 97), &format!("{path}\u{200B}"), &Default::default()).await)
        }
        Op::FolderUsage => grpc(files.folder_usage(pb::FolderUsageRequest { path: folder }).await),
        Op::Watch => grpc(files.watch(pb::WatchRequest { path: folder }).await),
        Op::CreateLink => grpc(
            client
                .links()
                .unwrap()
                .create_link(pb::CreateLinkRequest { path: path.into(), ..Default::default() })
                .await,
        ),
        Op::ListAllLinks => grpc(client.links().unwrap().list_links(pb::ListLinksRequest { all: true }).await),
        Op::AdminListUsers => grpc(client.admin().unwrap().list_users(pb::ListUsersRequest {}).await),
        Op::HttpGetDownload | Op::HttpHeadDownload | Op::HttpBulkDownload => {
            let (method, route, target) = match op {
                Op::HttpGetDownload => (reqwest::Method::GET, "/download", path.to_owned()),
                Op::HttpHeadDownload => (reqwest::Method::HEAD, "/download", path.to_owned()),
                _ => (reqwest::Method::GET, "/bulk-download", folder),
            };
            let mut request =
                world.http.request(method, format!("{}{route}", world.server.url)).query(&[("path", target)]);
            if let Some(token) = client.token() {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            response.bytes().await.unwrap();
            http(status)
        }
    }
}

async fn every_operation_for_every_caller(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut clients = Vec::new();
    for name in ["alice", "bob", "carol", "dave"] {
        clients.push(server.user(name).await);
    }
    server.user("erin").await;
    clients.push(server.admin().await);
    clients.push(server.anonymous().await);
    let world = World { server, clients, http: reqwest::Client::new() };

    let mut failures = Vec::new();
    let mut n = 0;
    for (op, expected) in MATRIX {
        for (column, caller) in CALLERS.iter().enumerate() {
            n += 1;
            let public = *caller == "public file";
            let path = fixture(&world, n, public).await;
            let client = &world.clients[if public { 3 } else { column }];
            let outcome = run(&world, *op, client, &path).await;
            if outcome != expected[column] {
                failures.push(format!("{op:?} by {caller}: expected {:?}, got {outcome:?}", expected[column]));
            }
        }
    }
    assert!(failures.is_empty(), "authorization matrix mismatches:\n{}", failures.join("\n"));
    world.server.shutdown().await;
}

/// `GET /s/{id}` of a file link in every state; the password goes in `X-Link-Password`.
async fn links_for_every_state(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let http = reqwest::Client::new();
    let create = |path: &str, password: &str, expires_at_ms: i64| {
        let request =
            pb::CreateLinkRequest { path: path.into(), password: password.into(), expires_at_ms, max_downloads: 0 };
        let mut links = alice.links().unwrap();
        async move { links.create_link(request).await.unwrap().into_inner().link.unwrap() }
    };
    let get = |id: String, password: Option<&'static str>| {
        let mut request = http.get(format!("{}/s/{id}", server.url));
        if let Some(password) = password {
            request = request.header("x-link-password", password);
        }
        async move { http_status(request.send().await.unwrap()).await }
    };
    let mut n = 0;
    let mut file = || {
        n += 1;
        let path = format!("/l{n}.txt");
        let alice = alice.clone();
        async move {
            alice.upload_bytes(random_bytes(100, 7), &path, &UploadOptions::default()).await.unwrap();
            path
        }
    };

    let open = create(&file().await, "", 0).await;
    let locked = create(&file().await, "correct horse", 0).await;
    let soon = server.clock().now_ms() + 60_000;
    let expired = create(&file().await, "", soon).await;
    let revoked = create(&file().await, "", 0).await;
    alice.links().unwrap().revoke_link(pb::RevokeLinkRequest { id: revoked.id.clone() }).await.unwrap();
    let deleted_path = file().await;
    let deleted = create(&deleted_path, "", 0).await;
    alice.delete(&deleted_path, false).await.unwrap();
    let locked_dead_path = file().await;
    let locked_dead = create(&locked_dead_path, "correct horse", 0).await;
    alice.delete(&locked_dead_path, false).await.unwrap();
    server.clock().advance(Duration::from_secs(61));

    #[rustfmt::skip]
    let table: [(&str, String, Option<&'static str>, Outcome); 10] = [
        ("link without password",              open.id.clone(),    None,                  Ok),
        ("password link, no password",         locked.id.clone(),  None,                  Unauth),
        ("password link, wrong password",      locked.id.clone(),  Some("wrong"),         Denied),
        ("dead password link, wrong password", locked_dead.id.clone(), Some("wrong"),     Denied),
        ("dead password link, no password",    locked_dead.id.clone(), None,              Unauth),
        ("password link, right password",      locked.id.clone(),  Some("correct horse"), Ok),
        ("expired link",                       expired.id.clone(), None,                  Gone),
        ("revoked link",                       revoked.id.clone(), None,                  Missing),
        ("link to a deleted file",             deleted.id.clone(), None,                  Gone),
        ("unknown link",                       "0".repeat(32),     None,                  Missing),
    ];
    let mut failures = Vec::new();
    for (case, id, password, expected) in table {
        let outcome = get(id, password).await;
        if outcome != expected {
            failures.push(format!("{case}: expected {expected:?}, got {outcome:?}"));
        }
    }
    assert!(failures.is_empty(), "link matrix mismatches:\n{}", failures.join("\n"));
    server.shutdown().await;
}

async fn http_status(response: reqwest::Response) -> Outcome {
    let status = response.status();
    response.bytes().await.unwrap();
    http(status)
}
