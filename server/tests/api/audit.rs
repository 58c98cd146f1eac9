//! One test per finding of the outside security audit
//! (shared/reference/security-audit.md), named after it: each reproduces
//! the attack through the public API and checks it no longer works.

use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

backend_tests!(
    f1_nobody_plants_a_folder_in_another_users_tree,
    f1_mkdir_never_adopts_a_folder_the_caller_cannot_write,
    f1_transfer_needs_the_recipients_acceptance,
    f1_a_link_dies_with_its_creators_access,
    f6_owner_deletes_renames_and_moves_a_folder_holding_collaborators_entries,
    f8_collaborators_delete_lands_in_the_owners_trash,
    f2_check_repair_never_deletes_chunks_of_uploads_in_flight,
    f3_idle_and_trickling_connections_cannot_lock_others_out,
    f12_stat_and_list_hide_the_hash_of_unreadable_files,
    f17_the_data_directory_is_private,
    f20_workers_and_administrators_are_for_administrators,
    f11_login_tokens_stay_out_of_urls,
    f19_an_older_seal_of_a_chunk_no_longer_reads,
    f19_a_whole_file_read_checks_the_sha256,
    f22_bulk_download_walks_the_tree_while_it_streams,
);

fn code<T: std::fmt::Debug>(result: cordvault_client::Result<T>) -> ErrorCode {
    result.expect_err("the call should fail").code
}

async fn put(client: &Client, path: &str, seed: u64) -> cordvault_client::Result<bytes::Bytes> {
    let data = random_bytes(1000, seed);
    client.upload_bytes(data.clone(), path, &UploadOptions::default()).await?;
    Ok(data)
}

/// The original paths of the trash items `client` sees that `owner` owns.
async fn trash_paths(client: &Client, owner: &str) -> Vec<String> {
    let mut files = client.files().unwrap();
    let items = files.list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner().items;
    let mut paths: Vec<String> = items
        .into_iter()
        .filter(|item| item.entry.as_ref().is_some_and(|entry| entry.owner == owner))
        .map(|item| item.original_path)
        .collect();
    paths.sort();
    paths
}

async fn f1_nobody_plants_a_folder_in_another_users_tree(backend: Backend) {
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    let bob = server.user("bob").await;
    carol.create_folder("/carol/private").await.unwrap();

    let planted = bob.create_folder("/carol/private/Inbox").await.unwrap_err();
    assert_eq!(planted.code, ErrorCode::PermissionDenied, "{planted}");
    assert!(planted.message.contains("carol"), "the error names the owner: {planted}");
    assert_eq!(code(put(&bob, "/carol/private/secret (1).txt", 1).await), ErrorCode::PermissionDenied);
    assert_eq!(code(put(&bob, "/carol/x.txt", 2).await), ErrorCode::PermissionDenied);
    // Moving one's own entry in is creating too.
    bob.create_folder("/bobs").await.unwrap();
    put(&bob, "/bobs/brochure.exe", 3).await.unwrap();
    let moved = bob.move_entry("/bobs/brochure.exe", "/carol/private", ConflictPolicy::Fail).await;
    assert_eq!(code(moved), ErrorCode::PermissionDenied);
    let mut files = bob.files().unwrap();
    let merge = pb::MergeFoldersRequest {
        source: "/bobs".into(),
        destination: "/carol/private".into(),
        conflict_policy: pb::ConflictPolicy::Fail as i32,
    };
    assert_eq!(files.merge_folders(merge).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    assert!(carol.list("/carol/private").await.unwrap().is_empty(), "nothing of bob's landed in carol's folder");

    // The root stays open: top-level names belong to their creators.
    let top = bob.create_folder("/bob-top").await.unwrap();
    assert_eq!(top.owner, "bob");
    // A read-write share is write access to the folder.
    carol.share("/carol/private", "bob", ShareLevel::ReadWrite).await.unwrap();
    put(&bob, "/carol/private/for-carol.txt", 4).await.unwrap();
    let inner = bob.create_folder("/carol/private/from-bob").await.unwrap();
    assert_eq!(inner.owner, "bob");
    server.shutdown().await;
}

async fn f1_mkdir_never_adopts_a_folder_the_caller_cannot_write(backend: Backend) {
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    let bob = server.user("bob").await;
    // Bob squats a name before carol uses it.
    bob.create_folder("/tax").await.unwrap();
    let adopted = carol.create_folder("/tax/2026").await.unwrap_err();
    assert_eq!(adopted.code, ErrorCode::PermissionDenied, "{adopted}");
    assert!(adopted.message.contains("bob"), "the error names the owner: {adopted}");
    let existing = carol.create_folder("/tax").await.unwrap_err();
    assert_eq!(existing.code, ErrorCode::PermissionDenied, "{existing}");
    assert!(existing.message.contains("bob"), "{existing}");
    assert_eq!(code(put(&carol, "/tax/return.pdf", 1).await), ErrorCode::PermissionDenied);
    // Carol's own folders are hers to reuse, and so are those shared with her for writing.
    carol.create_folder("/carol/docs").await.unwrap();
    assert_eq!(carol.create_folder("/carol/docs").await.unwrap().path, "/carol/docs");
    bob.share("/tax", "carol", ShareLevel::Read).await.unwrap();
    assert_eq!(carol.create_folder("/tax").await.unwrap_err().code, ErrorCode::PermissionDenied);
    bob.share("/tax", "carol", ShareLevel::ReadWrite).await.unwrap();
    assert_eq!(carol.create_folder("/tax/2026").await.unwrap().owner, "carol");
    server.shutdown().await;
}

/// A link shares with its creator's rights at every visit: a collaborator
/// whose share is taken back no longer publishes the folder through a link
/// made while they had it.
async fn f1_a_link_dies_with_its_creators_access(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let carol = server.user("carol").await;
    alice.create_folder("/alice/project").await.unwrap();
    let data = put(&alice, "/alice/project/plan.txt", 7).await.unwrap();
    alice.share("/alice/project", "carol", ShareLevel::ReadWrite).await.unwrap();
    let mut links = Vec::new();
    for (client, path) in [(&carol, "/alice/project"), (&carol, "/alice/project/plan.txt"), (&alice, "/alice/project")]
    {
        let request = pb::CreateLinkRequest { path: path.into(), ..Default::default() };
        links.push(client.links().unwrap().create_link(request).await.unwrap().into_inner().link.unwrap().id);
    }
    let http = reqwest::Client::new();
    let visit = |id: &str, query: &str| http.get(format!("{}/s/{id}{query}", server.url)).send();
    let in_folder = "/file?path=plan.txt";
    for (id, query) in [(&links[0], in_folder), (&links[1], ""), (&links[2], in_folder)] {
        let response = visit(id, query).await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        assert_eq!(response.bytes().await.unwrap(), data);
    }

    let mut files = alice.files().unwrap();
    let unshare = pb::UnshareRequest { path: "/alice/project".into(), username: "carol".into() };
    files.unshare(unshare).await.unwrap();
    for (id, query) in [(&links[0], ""), (&links[0], in_folder), (&links[0], "/zip"), (&links[1], "")] {
        let response = visit(id, query).await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::GONE, "/s/{id}{query}");
        assert!(response.text().await.unwrap().contains("may no longer share"));
    }
    // Carol sees her links as dead; the owner's own link still works.
    let mut carols = carol.links().unwrap();
    let listed = carols.list_links(pb::ListLinksRequest { all: false }).await.unwrap().into_inner().links;
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|link| link.path.is_empty()), "{listed:?}");
    assert_eq!(visit(&links[2], in_folder).await.unwrap().bytes().await.unwrap(), data);

    // The check is live: shared again, the link works again.
    alice.share("/alice/project", "carol", ShareLevel::ReadWrite).await.unwrap();
    assert_eq!(visit(&links[1], "").await.unwrap().bytes().await.unwrap(), data);
    server.shutdown().await;
}

async fn f1_transfer_needs_the_recipients_acceptance(backend: Backend) {
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    let bob = server.user("bob").await;
    let admin = server.admin().await;
    bob.create_folder("/gift").await.unwrap();
    let transfer = |client: &Client, path: &str, to: &str| {
        let request = pb::TransferOwnershipRequest {
            path: path.into(),
            new_owner: to.into(),
            drop_shares: false,
            keep_share_for_previous_owner: true,
        };
        let mut files = client.files().unwrap();
        async move { files.transfer_ownership(request).await.map(|response| response.into_inner()) }
    };
    let answer = |client: &Client, path: &str, accept: bool| {
        let request = pb::AnswerOwnershipOfferRequest { path: path.into(), accept };
        let mut files = client.files().unwrap();
        async move { files.answer_ownership_offer(request).await.map(|response| response.into_inner()) }
    };
    let offers = |client: &Client| {
        let mut files = client.files().unwrap();
        async move { files.list_ownership_offers(pb::ListOwnershipOffersRequest {}).await.unwrap().into_inner().offers }
    };

    let offered = transfer(&bob, "/gift", "carol").await.unwrap();
    assert!(offered.pending, "a user's transfer waits for the recipient");
    assert_eq!(offered.transferred_entries, 0);
    assert_eq!(carol.stat("/gift").await.unwrap().owner, "bob", "nothing moves before carol accepts");
    let waiting = offers(&carol).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!((waiting[0].path.as_str(), waiting[0].from_user.as_str()), ("/gift", "bob"));
    assert!(waiting[0].keep_share_for_previous_owner, "carol sees that bob keeps a share");
    assert!(offers(&bob).await.is_empty());
    // Nobody else can take the offer.
    let dave = server.user("dave").await;
    assert_eq!(answer(&dave, "/gift", true).await.unwrap_err().code(), tonic::Code::NotFound);

    answer(&carol, "/gift", false).await.unwrap();
    assert_eq!(carol.stat("/gift").await.unwrap().owner, "bob");
    assert!(offers(&carol).await.is_empty());
    assert_eq!(answer(&carol, "/gift", true).await.unwrap_err().code(), tonic::Code::NotFound);

    transfer(&bob, "/gift", "carol").await.unwrap();
    let accepted = answer(&carol, "/gift", true).await.unwrap();
    assert_eq!(accepted.transferred_entries, 1);
    assert_eq!(carol.stat("/gift").await.unwrap().owner, "carol");

    // An offer dies when the entry changes owner meanwhile.
    bob.create_folder("/stale").await.unwrap();
    transfer(&bob, "/stale", "carol").await.unwrap();
    let direct = transfer(&admin, "/stale", "dave").await.unwrap();
    assert!(!direct.pending, "an administrator's transfer takes effect at once");
    assert_eq!(carol.stat("/stale").await.unwrap().owner, "dave");
    assert_eq!(answer(&carol, "/stale", true).await.unwrap_err().code(), tonic::Code::NotFound);
    server.shutdown().await;
}

async fn f6_owner_deletes_renames_and_moves_a_folder_holding_collaborators_entries(backend: Backend) {
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    carol.create_folder("/proj/inner").await.unwrap();
    carol.create_folder("/archive").await.unwrap();
    let carols = put(&carol, "/proj/inner/plan.txt", 1).await.unwrap();
    carol.share("/proj", "dave", ShareLevel::ReadWrite).await.unwrap();
    let daves = put(&dave, "/proj/inner/notes.txt", 2).await.unwrap();
    dave.create_folder("/proj/daves/deeper").await.unwrap();

    let renamed = carol.rename("/proj", "project", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(renamed.path, "/project");
    carol.move_entry("/project", "/archive", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(carol.delete("/archive/project", true).await.unwrap(), 6);

    // Dave's entries went to dave's trash, carol's to hers.
    assert_eq!(trash_paths(&carol, "carol").await, vec!["/archive/project".to_owned()]);
    assert_eq!(
        trash_paths(&dave, "dave").await,
        vec!["/archive/project/daves".to_owned(), "/archive/project/inner/notes.txt".to_owned()]
    );
    // Carol empties her trash: dave's entries survive, and he can restore them.
    assert_eq!(carol.empty_trash().await.unwrap(), 3);
    assert_eq!(trash_paths(&dave, "dave").await.len(), 2);
    let mut files = dave.files().unwrap();
    let items = files.list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner().items;
    let notes = items.iter().find(|item| item.original_path.ends_with("notes.txt")).unwrap();
    let restored = files.restore(pb::RestoreRequest { trash_id: notes.trash_id }).await;
    // Carol's /archive is not dave's to write in, so the restore is refused rather than planted.
    assert_eq!(restored.unwrap_err().code(), tonic::Code::PermissionDenied);
    carol.share("/archive", "dave", ShareLevel::ReadWrite).await.unwrap();
    files.restore(pb::RestoreRequest { trash_id: notes.trash_id }).await.unwrap();
    assert_eq!(dave.read_range("/archive/project/inner/notes.txt", 0, 0).await.unwrap(), daves);
    assert_eq!(code(carol.stat("/archive/project/inner/plan.txt").await), ErrorCode::NotFound);
    drop(carols);
    server.shutdown().await;
}

async fn f8_collaborators_delete_lands_in_the_owners_trash(backend: Backend) {
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    carol.create_folder("/carol/reports").await.unwrap();
    let q3 = put(&carol, "/carol/reports/q3.txt", 1).await.unwrap();
    carol.share("/carol/reports", "dave", ShareLevel::ReadWrite).await.unwrap();

    dave.delete("/carol/reports/q3.txt", false).await.unwrap();
    assert_eq!(dave.empty_trash().await.unwrap(), 0, "dave owns nothing in the trash");
    assert_eq!(trash_paths(&carol, "carol").await, vec!["/carol/reports/q3.txt".to_owned()]);
    let admin = server.admin().await;
    assert_eq!(admin.empty_trash().await.unwrap(), 0, "emptying one's trash never destroys another's files");

    let mut files = carol.files().unwrap();
    let items = files.list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner().items;
    files.restore(pb::RestoreRequest { trash_id: items[0].trash_id }).await.unwrap();
    assert_eq!(carol.read_range("/carol/reports/q3.txt", 0, 0).await.unwrap(), q3);
    server.shutdown().await;
}

/// Runs `cordvault-server check [--repair]` on the server's data; its exit
/// status and everything it printed.
async fn check_command(server: &TestServer, repair: bool) -> (bool, String) {
    let (env, args) = server.command_env();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cordvault-server"));
    command.args(&args).arg("check").envs(env);
    if repair {
        command.arg("--repair");
    }
    let output = command.output().await.expect("cordvault-server runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

async fn f2_check_repair_never_deletes_chunks_of_uploads_in_flight(backend: Backend) {
    // No grace at all: only the refusal stands between repair and live chunks.
    let mut server = TestServer::start_with(backend, |config| {
        config.chunk_size = 64 * 1024;
        config.orphan_grace = std::time::Duration::ZERO;
    })
    .await;
    let admin = server.admin().await;
    admin.create_folder("/f2").await.unwrap();
    let uploads = tokio::spawn({
        let admin = admin.clone();
        async move {
            let mut written = Vec::new();
            for n in 0..6u64 {
                let data = random_bytes(8 * 64 * 1024 - 7, n);
                let path = format!("/f2/{n}.bin");
                admin.upload_bytes(data.clone(), &path, &UploadOptions::default()).await.unwrap();
                written.push((path, data));
            }
            written
        }
    });
    let mut runs = 0;
    while !uploads.is_finished() || runs < 3 {
        let (ok, output) = check_command(&server, true).await;
        assert!(!ok, "repair ran beside a live manager:\n{output}");
        assert!(output.contains("a manager is running"), "{output}");
        runs += 1;
    }
    for (path, data) in uploads.await.unwrap() {
        assert_eq!(admin.read_range(&path, 0, 0).await.unwrap(), data, "{path} after {runs} repair attempts");
    }

    // An open session also stops it, once the manager is gone.
    let transfer = |server: &TestServer| {
        let url = server.url.clone();
        async move {
            cordvault_client::proto::transfer_service_client::TransferServiceClient::new(
                cordvault_test_support::channel(&url).await,
            )
        }
    };
    let token = admin.token().unwrap().to_owned();
    let start = pb::StartUploadRequest { path: "/f2/open.bin".into(), size: 10, ..Default::default() };
    let upload_id = transfer(&server)
        .await
        .start_upload(cordvault_test_support::authed(start, &token))
        .await
        .unwrap()
        .into_inner()
        .upload_id;
    let store = server.running().store.clone();
    server.stop().await;
    let (ok, output) = check_command(&server, true).await;
    assert!(!ok && output.contains("upload sessions are open"), "{output}");
    server.restart().await;
    let abort = pb::AbortUploadRequest { upload_id };
    transfer(&server).await.abort_upload(cordvault_test_support::authed(abort, &token)).await.unwrap();
    server.stop().await;
    // Left by a crash while no manager runs (a running one's janitor would sweep it).
    let stray = store.put(bytes::Bytes::from_static(b"a stray object")).await.unwrap();
    let (ok, output) = check_command(&server, true).await;
    assert!(ok, "{output}");
    assert!(output.contains("deleted 1 orphaned objects"), "only the stray object goes: {output}");
    assert!(output.contains("missing chunks (recorded, not in the store): 0"), "{output}");
    server.restart().await;
    let listed = server.running().store.list().await.unwrap();
    assert!(listed.iter().all(|object| object.locator != stray), "the stray object is gone");
    for n in 0..6u64 {
        let path = format!("/f2/{n}.bin");
        assert_eq!(admin.read_range(&path, 0, 0).await.unwrap(), random_bytes(8 * 64 * 1024 - 7, n), "{path}");
    }
    server.shutdown().await;
}

async fn f3_idle_and_trickling_connections_cannot_lock_others_out(backend: Backend) {
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = cordvault_server::listener::ListenerLimits {
        max_connections: 32,
        idle_timeout: Duration::from_secs(2),
        header_read_timeout: Duration::from_secs(1),
    };
    let server = TestServer::start_with(backend, |config| config.listener = listener).await;
    let admin = server.admin().await;
    admin.create_folder("/f3").await.unwrap();
    let address = server.url.trim_start_matches("http://").to_owned();
    // Far more silent connections than the cap, and a few that trickle a request head.
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    for _ in 0..20 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        idle.push(stream);
    }
    let health = tokio::time::timeout(Duration::from_secs(10), reqwest::get(format!("{}/health", server.url)))
        .await
        .expect("/health answers while idle connections pile up")
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    // The server closes every one of them by itself.
    for (n, stream) in idle.iter_mut().enumerate() {
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
        let closed = match read.expect("an idle connection is closed in time") {
            Ok(0) | Err(_) => true,
            // A trickling HTTP/1 client may get an error answer before the close.
            Ok(_) => matches!(stream.read(&mut buf).await, Ok(0) | Err(_)),
        };
        assert!(closed, "connection {n} was left open");
    }
    // A client whose idle connection was closed just reconnects.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(admin.stat("/f3").await.unwrap().path, "/f3");
    server.shutdown().await;
}

async fn f12_stat_and_list_hide_the_hash_of_unreadable_files(backend: Backend) {
    let server = TestServer::start(backend).await;
    let carol = server.user("carol").await;
    let bob = server.user("bob").await;
    carol.create_folder("/carol").await.unwrap();
    put(&carol, "/carol/secret.txt", 1).await.unwrap();
    put(&carol, "/carol/shared.txt", 2).await.unwrap();
    carol.share("/carol/shared.txt", "bob", ShareLevel::Read).await.unwrap();
    assert_eq!(carol.stat("/carol/secret.txt").await.unwrap().sha256.len(), 64);
    let seen = bob.stat("/carol/secret.txt").await.unwrap();
    assert_eq!((seen.access, seen.sha256.as_str()), (pb::Access::None as i32, ""), "bob may not read it");
    for entry in bob.list("/carol").await.unwrap() {
        let readable = entry.name == "shared.txt";
        assert_eq!(!entry.sha256.is_empty(), readable, "{}: {:?}", entry.name, entry.sha256);
    }
    server.shutdown().await;
}

async fn f17_the_data_directory_is_private(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let sqlite = matches!(backend, Backend::Sqlite);
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    put(&admin, "/f17.bin", 1).await.unwrap();
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let data = server.data_dir();
    assert_eq!(mode(data), 0o700, "the server created {}", data.display());
    assert_eq!(mode(&data.join("keys.env")), 0o600);
    assert_eq!(mode(&server.chunk_dir()), 0o700);
    let objects = crate::stored_objects(&server);
    assert!(!objects.is_empty());
    for object in objects {
        assert_eq!(mode(&object), 0o600, "{}", object.display());
        assert_eq!(mode(object.parent().unwrap()), 0o700);
    }
    if sqlite {
        for name in ["cordvault.sqlite", "cordvault.sqlite-wal", "cordvault.sqlite-shm"] {
            assert_eq!(mode(&data.join(name)), 0o600, "{name}");
        }
    }
    server.shutdown().await;
}

async fn f20_workers_and_administrators_are_for_administrators(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let bob = server.user("bob").await;
    let workers = |client: &Client| {
        let request = cordvault_test_support::authed(pb::ListWorkersRequest {}, client.token().unwrap());
        let url = server.url.clone();
        async move {
            let channel = cordvault_test_support::channel(&url).await;
            pb::worker_service_client::WorkerServiceClient::new(channel).list_workers(request).await
        }
    };
    assert!(workers(&admin).await.is_ok());
    assert_eq!(workers(&bob).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    let watch = cordvault_test_support::authed(pb::WatchWorkersRequest {}, bob.token().unwrap());
    let mut client =
        pb::worker_service_client::WorkerServiceClient::new(cordvault_test_support::channel(&server.url).await);
    assert_eq!(client.watch_workers(watch).await.unwrap_err().code(), tonic::Code::PermissionDenied);

    let search = |client: &Client| {
        let mut files = client.files().unwrap();
        async move {
            let request = pb::SearchUsersRequest { query: "admin".into() };
            files.search_users(request).await.unwrap().into_inner().users
        }
    };
    let seen_by_bob = search(&bob).await;
    assert_eq!(seen_by_bob.len(), 1);
    assert!(!seen_by_bob[0].is_admin, "bob does not learn who is an administrator");
    assert!(search(&admin).await[0].is_admin);
    server.shutdown().await;
}

async fn get(server: &TestServer, route: &str, query: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new().get(format!("{}{route}", server.url)).query(query).send().await.unwrap()
}

async fn f11_login_tokens_stay_out_of_urls(backend: Backend) {
    use reqwest::StatusCode;
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let a = put(&alice, "/a.txt", 1).await.unwrap();
    alice.create_folder("/dir").await.unwrap();
    put(&alice, "/dir/b.txt", 2).await.unwrap();
    let token = alice.token().unwrap().to_owned();

    // The login token is refused in a URL, and the refusal says what to do.
    let by_token = get(&server, "/download", &[("path", "/a.txt"), ("auth", &token)]).await;
    assert_eq!(by_token.status(), StatusCode::UNAUTHORIZED);
    assert!(by_token.text().await.unwrap().contains("ticket"));
    let zip_by_token = get(&server, "/bulk-download", &[("path", "/dir"), ("auth", &token)]).await;
    assert_eq!(zip_by_token.status(), StatusCode::UNAUTHORIZED);

    // A ticket opens its one path on its one route.
    let ticket = alice.download_ticket(pb::TicketPurpose::Download, "/a.txt").await.unwrap();
    assert!(!ticket.contains(&token) && ticket.len() < token.len(), "a ticket is not the token");
    let ok = get(&server, "/download", &[("path", "/a.txt"), ("ticket", &ticket)]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.bytes().await.unwrap(), a);
    for (route, path) in [("/download", "/dir/b.txt"), ("/bulk-download", "/a.txt"), ("/bulk-download", "/dir")] {
        let other = get(&server, route, &[("path", path), ("ticket", &ticket)]).await;
        assert_eq!(other.status(), StatusCode::UNAUTHORIZED, "{route} {path}");
    }
    let id = alice.stat("/a.txt").await.unwrap().id;
    let thumbnail = get(&server, &format!("/thumbnail/{id}"), &[("ticket", &ticket)]).await;
    assert_eq!(thumbnail.status(), StatusCode::UNAUTHORIZED);
    let zip_ticket = alice.download_ticket(pb::TicketPurpose::Zip, "/dir").await.unwrap();
    let zip = get(&server, "/bulk-download", &[("path", "/dir"), ("ticket", &zip_ticket)]).await;
    assert_eq!(zip.status(), StatusCode::OK);
    // A thumbnails ticket opens no file.
    let thumbnails = alice.download_ticket(pb::TicketPurpose::Thumbnails, "").await.unwrap();
    let file = get(&server, "/download", &[("path", "/a.txt"), ("ticket", &thumbnails)]).await;
    assert_eq!(file.status(), StatusCode::UNAUTHORIZED);

    // A ticket speaks for its holder only: bob's opens nothing of alice's.
    let bobs = bob.download_ticket(pb::TicketPurpose::Download, "/a.txt").await.unwrap();
    let denied = get(&server, "/download", &[("path", "/a.txt"), ("ticket", &bobs)]).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let mut forged = ticket.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).unwrap();
    let refused = get(&server, "/download", &[("path", "/a.txt"), ("ticket", &forged)]).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let unspecified = alice.download_ticket(pb::TicketPurpose::Unspecified, "/a.txt").await.unwrap_err();
    assert_eq!(unspecified.code, ErrorCode::InvalidArgument);
    let anonymous = server.anonymous().await;
    let no_login = anonymous.download_ticket(pb::TicketPurpose::Download, "/a.txt").await.unwrap_err();
    assert_eq!(no_login.code, ErrorCode::Unauthenticated);

    // A password change ends the tickets with the token.
    alice.update_password("alice-password", "a-new-password").await.unwrap();
    let revoked = get(&server, "/download", &[("path", "/a.txt"), ("ticket", &ticket)]).await;
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}

/// Starts an upload of `size` bytes and returns its id and the session's token.
async fn start_upload(server: &TestServer, client: &Client, path: &str, size: u64) -> String {
    let start = pb::StartUploadRequest { path: path.into(), size, ..Default::default() };
    let mut transfer =
        pb::transfer_service_client::TransferServiceClient::new(cordvault_test_support::channel(&server.url).await);
    let token = client.token().unwrap();
    transfer.start_upload(cordvault_test_support::authed(start, token)).await.unwrap().into_inner().upload_id
}

async fn put_chunk(server: &TestServer, client: &Client, upload_id: &str, data: bytes::Bytes) {
    let mut transfer =
        pb::transfer_service_client::TransferServiceClient::new(cordvault_test_support::channel(&server.url).await);
    let chunk = pb::PutChunkRequest { upload_id: upload_id.into(), chunk_index: 0, data };
    transfer.put_chunk(cordvault_test_support::authed(chunk, client.token().unwrap())).await.unwrap();
}

async fn commit(server: &TestServer, client: &Client, upload_id: &str, sha256: String) {
    let mut transfer =
        pb::transfer_service_client::TransferServiceClient::new(cordvault_test_support::channel(&server.url).await);
    let commit = pb::CommitUploadRequest { upload_id: upload_id.into(), sha256 };
    transfer.commit_upload(cordvault_test_support::authed(commit, client.token().unwrap())).await.unwrap();
}

/// The one store object that appeared since `before`.
fn new_object(server: &TestServer, before: &[std::path::PathBuf]) -> std::path::PathBuf {
    let mut added: Vec<_> =
        crate::stored_objects(server).into_iter().filter(|object| !before.contains(object)).collect();
    assert_eq!(added.len(), 1, "{added:?}");
    added.remove(0)
}

/// The audit's attack: a chunk is sent twice, and someone with write access
/// to the store puts the first copy back over the second one.
async fn f19_an_older_seal_of_a_chunk_no_longer_reads(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let (x, y) = (bytes::Bytes::from(vec![b'X'; 5000]), bytes::Bytes::from(vec![b'Y'; 5000]));
    let upload_id = start_upload(&server, &alice, "/f19.bin", 5000).await;
    let before = crate::stored_objects(&server);
    put_chunk(&server, &alice, &upload_id, x).await;
    let first = new_object(&server, &before);
    let first_copy = std::fs::read(&first).unwrap();
    let before = crate::stored_objects(&server);
    put_chunk(&server, &alice, &upload_id, y.clone()).await;
    let second = new_object(&server, &before);
    commit(&server, &alice, &upload_id, cordvault_test_support::sha256_hex(&y)).await;
    assert_eq!(alice.read_range("/f19.bin", 0, 5000).await.unwrap(), y);

    std::fs::write(&second, &first_copy).unwrap();
    // Part of the file (no whole-file hash to compare), and the whole file.
    let part = alice.read_range("/f19.bin", 10, 100).await.unwrap_err();
    assert_eq!(part.code, ErrorCode::DataLoss, "{part}");
    assert!(part.message.contains("not the copy that was recorded"), "{part}");
    let whole = alice.read_range("/f19.bin", 0, 5000).await.unwrap_err();
    assert_eq!(whole.code, ErrorCode::DataLoss, "{whole}");
    let http = reqwest::Client::new()
        .get(format!("{}/download", server.url))
        .query(&[("path", "/f19.bin")])
        .bearer_auth(alice.token().unwrap())
        .send()
        .await
        .unwrap();
    assert!(http.bytes().await.is_err(), "the HTTP download breaks off instead of serving the old copy");
    server.shutdown().await;
}

/// Without encryption there is no seal to compare: the whole-file SHA-256
/// catches a swapped chunk when the whole file is read.
async fn f19_a_whole_file_read_checks_the_sha256(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.keys.master = None;
        config.chunk_size = 64 * 1024;
    })
    .await;
    let alice = server.user("alice").await;
    let data = random_bytes(200_000, 19);
    let before = crate::stored_objects(&server);
    alice.upload_bytes(data.clone(), "/plain.bin", &UploadOptions::default()).await.unwrap();
    let objects: Vec<_> =
        crate::stored_objects(&server).into_iter().filter(|object| !before.contains(object)).collect();
    assert_eq!(objects.len(), 4);
    // Flip one byte of one chunk's data (past its 12-byte header).
    let victim = &objects[1];
    let mut bytes = std::fs::read(victim).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(victim, bytes).unwrap();

    let whole = alice.read_range("/plain.bin", 0, data.len() as u64).await.unwrap_err();
    assert_eq!(whole.code, ErrorCode::DataLoss, "{whole}");
    assert!(whole.message.contains("SHA-256"), "{whole}");
    let http = reqwest::Client::new()
        .get(format!("{}/download", server.url))
        .query(&[("path", "/plain.bin")])
        .bearer_auth(alice.token().unwrap())
        .send()
        .await
        .unwrap();
    let body = http.bytes().await;
    assert!(body.is_err(), "the whole-file HTTP download breaks off before its end");
    server.shutdown().await;
}

/// The zip lists folders as it reaches them rather than loading the whole
/// subtree first: a file added to a folder the stream has not reached yet
/// is in the zip.
async fn f22_bulk_download_walks_the_tree_while_it_streams(backend: Backend) {
    use futures::StreamExt;
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let big = random_bytes(8 * 1024 * 1024, 22);
    alice.create_folder("/top/z-later").await.unwrap();
    alice.upload_bytes(big, "/top/a-big.bin", &UploadOptions::default()).await.unwrap();
    let response = reqwest::Client::new()
        .get(format!("{}/bulk-download", server.url))
        .query(&[("path", "/top")])
        .bearer_auth(alice.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let mut body = response.bytes_stream();
    let mut zip = Vec::new();
    while zip.len() < 64 * 1024 {
        zip.extend_from_slice(&body.next().await.unwrap().unwrap());
    }
    put(&alice, "/top/z-later/new.txt", 23).await.unwrap();
    while let Some(piece) = body.next().await {
        zip.extend_from_slice(&piece.unwrap());
    }
    let names = zip_names(&zip);
    assert_eq!(names, ["a-big.bin", "z-later/", "z-later/new.txt"], "{names:?}");
    server.shutdown().await;
}

/// The names in a zip, in order, as Python's zipfile reads them.
fn zip_names(zip: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f22.zip");
    std::fs::write(&path, zip).unwrap();
    let script = "import json, sys, zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))";
    let output = std::process::Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
    assert!(output.status.success(), "python zipfile: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}
