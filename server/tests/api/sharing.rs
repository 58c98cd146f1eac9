//! Visibility, shares, ownership, trash, folder usage and merge, and Watch.

use std::collections::BTreeSet;
use std::time::Duration;

use cordvault_client::proto::{self as pb, ChangeKind, ShareLevel};
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

use crate::stored_objects;

backend_tests!(
    shares_and_visibility_grant_reading_and_writing,
    ownership_moves_with_its_options,
    trash_restores_the_same_bytes_and_purges_chunks,
    merge_and_usage_cover_whole_folders,
    hidden_names_stay_hidden,
    watchers_see_exactly_what_they_may_see,
    stat_and_list_tell_what_the_caller_may_do,
    visibility_is_stored_as_its_api_number_and_survives_the_upgrade,
);

fn code<T: std::fmt::Debug>(result: cordvault_client::Result<T>) -> ErrorCode {
    result.expect_err("the call should fail").code
}

async fn put(client: &Client, path: &str, len: usize, seed: u64) -> bytes::Bytes {
    let data = random_bytes(len, seed);
    client.upload_bytes(data.clone(), path, &UploadOptions::default()).await.unwrap();
    data
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Runs one statement on the server's own database, on either backend;
/// the numbers it returns in a column `n`.
async fn sql(server: &TestServer, sql: &str) -> Vec<i64> {
    use diesel_async::RunQueryDsl;
    let query = diesel::sql_query(sql);
    let rows: Vec<Number> = match server.running().db.pool() {
        cordvault_server::db::Pool::Sqlite(pool) => query.load(&mut *pool.get().await.unwrap()).await.unwrap(),
        cordvault_server::db::Pool::Postgres(pool) => query.load(&mut *pool.get().await.unwrap()).await.unwrap(),
    };
    rows.into_iter().map(|row| row.n).collect()
}

/// `entries.visibility` holds the numbers of `cordvault.v1.Visibility`
/// (1 private, 2 public); a database written with the old numbers (0, 1)
/// keeps every entry's visibility through the migration.
async fn visibility_is_stored_as_its_api_number_and_survives_the_upgrade(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let public = put(&alice, "/public.txt", 10, 1).await;
    put(&alice, "/private.txt", 10, 2).await;
    alice.create_folder("/folder").await.unwrap();
    alice.set_public("/public.txt", true).await.unwrap();
    let stored = |name: &str| format!("SELECT CAST(visibility AS BIGINT) AS n FROM entries WHERE name = '{name}'");
    assert_eq!(sql(&server, &stored("public.txt")).await, [pb::Visibility::Public as i64]);
    assert_eq!(sql(&server, &stored("private.txt")).await, [pb::Visibility::Private as i64]);
    assert_eq!(sql(&server, &stored("folder")).await, [pb::Visibility::Private as i64]);
    let unset = pb::SetVisibilityRequest { path: "/private.txt".into(), visibility: 0 };
    let unset = alice.files().unwrap().set_visibility(unset).await.unwrap_err();
    assert_eq!(unset.code(), tonic::Code::InvalidArgument, "{unset:?}");

    // Back to the numbers of a database from before the change, as if the
    // migration had never run; the next start runs it.
    let downgrade = "UPDATE entries SET visibility = visibility - 1 RETURNING CAST(id AS BIGINT) AS n";
    assert!(!sql(&server, downgrade).await.is_empty());
    let forget =
        "DELETE FROM __diesel_schema_migrations WHERE version = '20261207000001' RETURNING CAST(1 AS BIGINT) AS n";
    assert_eq!(sql(&server, forget).await, [1]);
    server.restart().await;
    assert_eq!(sql(&server, &stored("public.txt")).await, [pb::Visibility::Public as i64]);
    assert_eq!(bob.read_range("/public.txt", 0, 0).await.unwrap(), public);
    assert_eq!(code(bob.read_range("/private.txt", 0, 0).await), ErrorCode::PermissionDenied);
    assert!(alice.stat("/public.txt").await.unwrap().public);
    assert!(!alice.stat("/private.txt").await.unwrap().public);
    server.shutdown().await;
}

async fn shares_and_visibility_grant_reading_and_writing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    alice.create_folder("/alice/project").await.unwrap();
    let data = put(&alice, "/alice/project/plan.txt", 5000, 1).await;

    assert_eq!(code(bob.read_range("/alice/project/plan.txt", 0, 0).await), ErrorCode::PermissionDenied);
    // A read share on the folder reaches the file below it, read-only.
    alice.share("/alice/project", "bob", ShareLevel::Read).await.unwrap();
    assert_eq!(bob.read_range("/alice/project/plan.txt", 0, 0).await.unwrap(), data);
    let rename = bob.rename("/alice/project/plan.txt", "b.txt", ConflictPolicy::Fail).await;
    assert_eq!(code(rename), ErrorCode::PermissionDenied);
    assert_eq!(code(bob.share("/alice/project", "carol", ShareLevel::Read).await), ErrorCode::PermissionDenied);
    assert_eq!(code(carol.read_range("/alice/project/plan.txt", 0, 0).await), ErrorCode::PermissionDenied);

    // Read-write: bob may now change it, but still not manage access.
    alice.share("/alice/project", "bob", ShareLevel::ReadWrite).await.unwrap();
    bob.rename("/alice/project/plan.txt", "plan-v2.txt", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(code(bob.set_public("/alice/project", true).await), ErrorCode::PermissionDenied);
    let shares = alice.files().unwrap().list_shares(pb::ListSharesRequest { path: "/alice/project".into() }).await;
    let shares = shares.unwrap().into_inner().shares;
    assert_eq!(shares.len(), 1);
    assert_eq!((shares[0].username.as_str(), shares[0].level), ("bob", ShareLevel::ReadWrite as i32));

    // Public: every user reads, nobody else writes.
    let public = alice.set_public("/alice/project/plan-v2.txt", true).await.unwrap();
    assert!(public.public);
    assert_eq!(carol.read_range("/alice/project/plan-v2.txt", 0, 0).await.unwrap(), data);
    let overwrite = UploadOptions { conflict: ConflictPolicy::Overwrite, ..Default::default() };
    let written = carol.upload_bytes(data.slice(..3), "/alice/project/plan-v2.txt", &overwrite).await;
    assert_eq!(code(written), ErrorCode::PermissionDenied);
    assert_eq!(code(carol.delete("/alice/project/plan-v2.txt", false).await), ErrorCode::PermissionDenied);
    alice.set_public("/alice/project/plan-v2.txt", false).await.unwrap();
    assert_eq!(code(carol.read_range("/alice/project/plan-v2.txt", 0, 0).await), ErrorCode::PermissionDenied);

    // Unshare ends bob's access; a second unshare is NOT_FOUND.
    let unshare = || {
        let mut files = alice.files().unwrap();
        async move { files.unshare(pb::UnshareRequest { path: "/alice/project".into(), username: "bob".into() }).await }
    };
    unshare().await.unwrap();
    assert_eq!(code(bob.read_range("/alice/project/plan-v2.txt", 0, 0).await), ErrorCode::PermissionDenied);
    assert_eq!(unshare().await.unwrap_err().code(), tonic::Code::NotFound);
    assert_eq!(code(alice.share("/alice/project", "nobody", ShareLevel::Read).await), ErrorCode::NotFound);
    assert_eq!(code(alice.share("/alice/project", "alice", ShareLevel::Read).await), ErrorCode::InvalidArgument);
    let unspecified = alice.share("/alice/project", "bob", ShareLevel::Unspecified).await;
    assert_eq!(code(unspecified), ErrorCode::InvalidArgument);

    // SearchUsers: substring, at most 100.
    let search = |query: &str| {
        let request = pb::SearchUsersRequest { query: query.into() };
        let files = bob.files().unwrap();
        async move {
            let mut files = files;
            let users = files.search_users(request).await.unwrap().into_inner().users;
            users.into_iter().map(|user| user.username).collect::<Vec<_>>()
        }
    };
    assert_eq!(search("RO").await, ["carol"]);
    assert_eq!(search("a").await, ["admin", "alice", "carol"]);
    assert_eq!(search("%").await, Vec::<String>::new());
    server.shutdown().await;
}

async fn ownership_moves_with_its_options(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    alice.create_folder("/team/inner").await.unwrap();
    let data = put(&alice, "/team/inner/a.bin", 1000, 2).await;
    alice.share("/team", "carol", ShareLevel::ReadWrite).await.unwrap();
    put(&carol, "/team/carols.bin", 10, 3).await;
    alice.share("/team", "carol", ShareLevel::Read).await.unwrap();

    let transfer = |path: &str, to: &str, drop_shares: bool, keep: bool| {
        let request = pb::TransferOwnershipRequest {
            path: path.into(),
            new_owner: to.into(),
            drop_shares,
            keep_share_for_previous_owner: keep,
        };
        let mut files = alice.files().unwrap();
        async move { files.transfer_ownership(request).await.map(|response| response.into_inner()) }
    };
    let accept = |client: &Client, path: &str| {
        let request = pb::AnswerOwnershipOfferRequest { path: path.into(), accept: true };
        let mut files = client.files().unwrap();
        async move { files.answer_ownership_offer(request).await.unwrap().into_inner() }
    };
    assert!(transfer("/team", "bob", false, true).await.unwrap().pending, "bob must accept first");
    let moved = accept(&bob, "/team").await;
    assert_eq!(moved.transferred_entries, 3, "the folder, inner and a.bin; carol's file stays hers");
    assert_eq!(moved.entry.unwrap().owner, "bob");
    assert_eq!(bob.stat("/team/inner/a.bin").await.unwrap().owner, "bob");
    assert_eq!(bob.stat("/team/carols.bin").await.unwrap().owner, "carol");
    // Alice kept a read-write share, carol's read share stayed.
    assert_eq!(alice.read_range("/team/inner/a.bin", 0, 0).await.unwrap(), data);
    alice.rename("/team/inner", "inside", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(carol.read_range("/team/inside/a.bin", 0, 0).await.unwrap(), data);
    assert_eq!(transfer("/team", "carol", false, false).await.unwrap_err().code(), tonic::Code::PermissionDenied);

    let mut files = bob.files().unwrap();
    let request = pb::TransferOwnershipRequest {
        path: "/team".into(),
        new_owner: "carol".into(),
        drop_shares: true,
        keep_share_for_previous_owner: false,
    };
    files.transfer_ownership(request).await.unwrap();
    accept(&carol, "/team").await;
    assert_eq!(code(alice.read_range("/team/inside/a.bin", 0, 0).await), ErrorCode::PermissionDenied);
    assert_eq!(code(bob.read_range("/team/inside/a.bin", 0, 0).await), ErrorCode::PermissionDenied);
    assert_eq!(carol.read_range("/team/inside/a.bin", 0, 0).await.unwrap(), data);
    server.shutdown().await;
}

async fn trash_restores_the_same_bytes_and_purges_chunks(backend: Backend) {
    let server = TestServer::start(backend.clone()).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.create_folder("/docs/sub").await.unwrap();
    let report = put(&alice, "/docs/sub/report.bin", 1_500_000, 4).await;
    let notes = put(&alice, "/docs/notes.txt", 100, 5).await;

    alice.delete("/docs", true).await.unwrap();
    assert_eq!(code(alice.stat("/docs").await), ErrorCode::NotFound);
    let trash = |client: &Client| {
        let mut files = client.files().unwrap();
        async move { files.list_trash(pb::ListTrashRequest {}).await.unwrap().into_inner().items }
    };
    let items = trash(&alice).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].original_path, "/docs");
    assert_eq!(items[0].deleted_by, "alice");
    assert!(items[0].purge_at_ms > items[0].deleted_at_ms + 29 * 24 * 3600 * 1000);
    assert!(trash(&bob).await.is_empty(), "bob sees nothing of alice's trash");
    let restore = |client: &Client, trash_id: i64| {
        let mut files = client.files().unwrap();
        async move { files.restore(pb::RestoreRequest { trash_id }).await.map(|r| r.into_inner().entry.unwrap()) }
    };
    assert_eq!(restore(&bob, items[0].trash_id).await.unwrap_err().code(), tonic::Code::NotFound);

    // Someone took the name meanwhile: the restored folder is renamed.
    alice.create_folder("/docs").await.unwrap();
    let restored = restore(&alice, items[0].trash_id).await.unwrap();
    assert_eq!(restored.path, "/docs (1)");
    assert_eq!(alice.read_range("/docs (1)/sub/report.bin", 0, 0).await.unwrap(), report);
    assert_eq!(alice.read_range("/docs (1)/notes.txt", 0, 0).await.unwrap(), notes);
    assert_eq!(restore(&alice, items[0].trash_id).await.unwrap_err().code(), tonic::Code::NotFound);

    // A file whose folder went meanwhile comes back with its folders.
    alice.delete("/docs (1)/sub/report.bin", false).await.unwrap();
    alice.delete("/docs (1)", true).await.unwrap();
    let items = trash(&alice).await;
    let report_item = items.iter().find(|item| item.original_path == "/docs (1)/sub/report.bin").unwrap();
    let restored = restore(&alice, report_item.trash_id).await.unwrap();
    assert_eq!(restored.path, "/docs (1)/sub/report.bin");
    assert_eq!(alice.read_range("/docs (1)/sub/report.bin", 0, 0).await.unwrap(), report);

    // Emptying the trash removes the chunks from the store.
    let before = stored_objects(&server).len();
    alice.delete("/docs (1)/sub/report.bin", false).await.unwrap();
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(stored_objects(&server).len(), before, "trashed chunks stay");
    let purged = alice.empty_trash().await.unwrap();
    assert!(purged >= 3, "{purged}");
    server.running().janitor.sweep().await.unwrap();
    // report.bin's two chunks, and notes.txt's one (trashed with its folder).
    assert_eq!((before, stored_objects(&server).len()), (3, 0));
    assert!(trash(&alice).await.is_empty());
    server.shutdown().await;

    // Past the retention (30 days by default) the janitor purges by itself.
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    put(&admin, "/old.bin", 10, 6).await;
    admin.delete("/old.bin", false).await.unwrap();
    server.clock().advance(Duration::from_secs(29 * 24 * 3600));
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(trash(&admin).await.len(), 1, "kept within the retention");
    server.clock().advance(Duration::from_secs(2 * 24 * 3600));
    server.running().janitor.sweep().await.unwrap();
    assert!(trash(&admin).await.is_empty());
    assert!(stored_objects(&server).is_empty());
    server.shutdown().await;
}

async fn merge_and_usage_cover_whole_folders(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.create_folder("/a/sub").await.unwrap();
    alice.create_folder("/b/sub").await.unwrap();
    put(&alice, "/a/x.txt", 10, 1).await;
    put(&alice, "/a/sub/y.txt", 20, 2).await;
    put(&alice, "/a/dup.txt", 30, 3).await;
    put(&alice, "/b/sub/z.txt", 40, 4).await;
    let old_dup = put(&alice, "/b/dup.txt", 50, 5).await;
    put(&alice, "/b/photo.png", 1000, 6).await;
    alice.share("/b/sub", "bob", ShareLevel::ReadWrite).await.unwrap();
    put(&bob, "/b/sub/bobs.bin", 7, 7).await;

    let merge = |source: &str, policy: pb::ConflictPolicy, client: &Client| {
        let request =
            pb::MergeFoldersRequest { source: source.into(), destination: "/b".into(), conflict_policy: policy as i32 };
        let mut files = client.files().unwrap();
        async move { files.merge_folders(request).await.map(|r| r.into_inner()) }
    };
    assert_eq!(merge("/a", pb::ConflictPolicy::Rename, &bob).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    let skipped = merge("/a", pb::ConflictPolicy::Fail, &alice).await.unwrap();
    assert_eq!(skipped.skipped, ["/a/dup.txt"]);
    assert_eq!(skipped.moved_entries, 2, "x.txt and sub/y.txt");
    assert!(alice.stat("/a").await.is_ok(), "a skipped file keeps the source");
    let merged = merge("/a", pb::ConflictPolicy::Rename, &alice).await.unwrap();
    assert_eq!(merged.moved_entries, 1);
    assert_eq!(code(alice.stat("/a").await), ErrorCode::NotFound, "the emptied source goes");
    let names: BTreeSet<String> = alice.list("/b").await.unwrap().into_iter().map(|e| e.name).collect();
    let expected = ["dup (1).txt", "dup.txt", "photo.png", "sub", "x.txt"];
    assert_eq!(names, expected.iter().map(|n| n.to_string()).collect());
    assert_eq!(alice.read_range("/b/dup.txt", 0, 0).await.unwrap(), old_dup);
    let sub: BTreeSet<String> = alice.list("/b/sub").await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(sub, ["bobs.bin", "y.txt", "z.txt"].iter().map(|n| n.to_string()).collect());
    assert_eq!(merge("/b", pb::ConflictPolicy::Rename, &alice).await.unwrap_err().code(), tonic::Code::InvalidArgument);

    // Usage counts only what the caller may read.
    let usage = |client: &Client| {
        let mut files = client.files().unwrap();
        async move { files.folder_usage(pb::FolderUsageRequest { path: "/b".into() }).await.unwrap().into_inner() }
    };
    let mine = usage(&alice).await;
    assert_eq!((mine.total_files, mine.total_bytes, mine.total_folders), (6, 10 + 20 + 30 + 40 + 50 + 1000, 1));
    let by_type: Vec<(String, u64, u64)> =
        mine.by_mime_type.iter().map(|m| (m.mime_type.clone(), m.bytes, m.files)).collect();
    assert_eq!(by_type, [("image/png".to_owned(), 1000, 1), ("text/plain".to_owned(), 150, 5)]);
    let bobs = usage(&bob).await;
    assert_eq!((bobs.total_files, bobs.total_bytes), (3, 7 + 20 + 40), "bob reads /b/sub, shared with him");
    server.shutdown().await;
}

async fn hidden_names_stay_hidden(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.hide_unreadable = true).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.create_folder("/private").await.unwrap();
    alice.create_folder("/open").await.unwrap();
    alice.create_folder("/shared").await.unwrap();
    alice.set_public("/open", true).await.unwrap();
    alice.share("/shared", "bob", ShareLevel::Read).await.unwrap();
    let names: Vec<String> = bob.list("/").await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["open", "shared"]);
    assert_eq!(code(bob.stat("/private").await), ErrorCode::PermissionDenied);
    let all: Vec<String> = alice.list("/").await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(all, ["open", "private", "shared"]);
    server.shutdown().await;
}

type Seen = Vec<(i32, String)>;

/// Collects what a watcher sees until the event on `last` arrives.
async fn collect(stream: &mut tonic::Streaming<pb::WatchResponse>, last: &str) -> Seen {
    let mut seen = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), stream.message()).await.expect("an event in time");
        let event = event.unwrap().expect("the stream stays open");
        let done = event.path == last;
        seen.push((event.kind, event.path));
        if done {
            return seen;
        }
    }
}

async fn watch(client: &Client, path: &str) -> tonic::Streaming<pb::WatchResponse> {
    client.files().unwrap().watch(pb::WatchRequest { path: path.into() }).await.unwrap().into_inner()
}

async fn watchers_see_exactly_what_they_may_see(backend: Backend) {
    let server = TestServer::start(backend.clone()).await;
    // On PostgreSQL the watchers sit on a second manager: events travel by NOTIFY.
    let replica = match backend {
        Backend::Postgres(_) => Some(server.replica().await),
        Backend::Sqlite => None,
    };
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.create_folder("/w").await.unwrap();
    alice.set_public("/w", false).await.unwrap();
    let watcher_url = replica.as_ref().map(|r| format!("http://{}", r.addr)).unwrap_or(server.url.clone());
    let on_watcher = |client: &Client| {
        let token = client.token().unwrap().to_owned();
        let url = watcher_url.clone();
        async move { Client::connect(&url).await.unwrap().with_token(token) }
    };
    let mut alice_watch = watch(&on_watcher(&alice).await, "/w").await;
    let mut bob_watch = watch(&on_watcher(&bob).await, "/w").await;
    let missing = on_watcher(&bob).await.files().unwrap().watch(pb::WatchRequest { path: "/nowhere".into() }).await;
    assert_eq!(missing.unwrap_err().code(), tonic::Code::NotFound);

    put(&alice, "/w/private.txt", 10, 1).await;
    put(&alice, "/w/public.txt", 10, 2).await;
    alice.set_public("/w/public.txt", true).await.unwrap();
    put(&alice, "/w/shared.txt", 10, 3).await;
    alice.share("/w/shared.txt", "bob", ShareLevel::Read).await.unwrap();
    alice.rename("/w/shared.txt", "renamed.txt", ConflictPolicy::Fail).await.unwrap();
    alice.create_folder("/w/drop").await.unwrap();
    alice.share("/w/drop", "bob", ShareLevel::ReadWrite).await.unwrap();
    put(&bob, "/w/drop/bobs.txt", 10, 4).await;
    alice.create_folder("/outside").await.unwrap();
    alice.delete("/w/private.txt", false).await.unwrap();
    alice.create_folder("/w/end").await.unwrap();
    alice.set_public("/w/end", true).await.unwrap();

    let added = ChangeKind::Added as i32;
    let access = ChangeKind::AccessChanged as i32;
    let moved = ChangeKind::Moved as i32;
    let deleted = ChangeKind::Deleted as i32;
    let alice_seen = collect(&mut alice_watch, "/w/end").await;
    let alice_expected: Seen = vec![
        (added, "/w/private.txt".into()),
        (added, "/w/public.txt".into()),
        (access, "/w/public.txt".into()),
        (added, "/w/shared.txt".into()),
        (access, "/w/shared.txt".into()),
        (moved, "/w/renamed.txt".into()),
        (added, "/w/drop".into()),
        (access, "/w/drop".into()),
        (deleted, "/w/private.txt".into()),
        (added, "/w/end".into()),
    ];
    // The last event is the first one on /w/end alice sees: its creation.
    assert_eq!(alice_seen, alice_expected);
    let bob_seen = collect(&mut bob_watch, "/w/end").await;
    let bob_expected: Seen = vec![
        (access, "/w/public.txt".into()),
        (access, "/w/shared.txt".into()),
        (moved, "/w/renamed.txt".into()),
        (access, "/w/drop".into()),
        (added, "/w/drop/bobs.txt".into()),
        (access, "/w/end".into()),
    ];
    assert_eq!(bob_seen, bob_expected);
    if let Some(replica) = replica {
        // Lost listener connections are replaced: events flow again.
        if let cordvault_server::db::Pool::Postgres(pool) = server.running().db.pool() {
            let mut conn = pool.get().await.unwrap();
            let kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                        WHERE datname = current_database() AND (query LIKE 'LISTEN%' OR query LIKE 'SELECT pg_notify%')";
            diesel_async::RunQueryDsl::execute(diesel::sql_query(kill), &mut *conn).await.unwrap();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let mut attempt = 0;
        loop {
            assert!(tokio::time::Instant::now() < deadline, "no event after the listeners reconnected");
            attempt += 1;
            alice.create_folder(&format!("/w/again-{attempt}")).await.unwrap();
            // Events still queued from above (the access change of /w/end) come first.
            let mut arrived = false;
            while let Ok(event) = tokio::time::timeout(Duration::from_secs(1), alice_watch.message()).await {
                if event.unwrap().unwrap().path.starts_with("/w/again-") {
                    arrived = true;
                    break;
                }
            }
            if arrived {
                break;
            }
        }
        replica.shutdown().await;
    }
    server.shutdown().await;
}

/// Stat and List carry the caller's access, so that clients offer only what
/// the server would allow; other answers leave it unspecified.
async fn stat_and_list_tell_what_the_caller_may_do(backend: Backend) {
    use pb::Access;
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let created = alice.create_folder("/alice/project").await.unwrap();
    assert_eq!(created.access(), Access::Unspecified, "CreateFolder answers carry no access");
    put(&alice, "/alice/project/plan.txt", 100, 1).await;
    put(&alice, "/alice/project/notes.txt", 100, 2).await;
    alice.share("/alice/project", "bob", ShareLevel::Read).await.unwrap();
    alice.share("/alice/project/notes.txt", "bob", ShareLevel::ReadWrite).await.unwrap();

    let stat = |client: &Client, path: &'static str| {
        let client = client.clone();
        async move { client.stat(path).await.unwrap().access() }
    };
    let listed = |client: &Client, path: &'static str| {
        let client = client.clone();
        async move {
            let entries = client.list(path).await.unwrap();
            entries.iter().map(|entry| (entry.name.clone(), entry.access())).collect::<Vec<_>>()
        }
    };

    assert_eq!(stat(&alice, "/alice/project").await, Access::Manage);
    assert_eq!(stat(&admin, "/alice/project").await, Access::Manage);
    assert_eq!(stat(&bob, "/alice/project").await, Access::Read);
    assert_eq!(stat(&carol, "/alice/project").await, Access::None);
    // Everyone lists the root; nobody changes it.
    assert_eq!(stat(&admin, "/").await, Access::Read);
    assert_eq!(stat(&carol, "/").await, Access::Read);

    let plan_and_notes = |plan, notes| vec![("notes.txt".to_owned(), notes), ("plan.txt".to_owned(), plan)];
    assert_eq!(listed(&alice, "/alice/project").await, plan_and_notes(Access::Manage, Access::Manage));
    assert_eq!(listed(&bob, "/alice/project").await, plan_and_notes(Access::Read, Access::Write));
    assert_eq!(listed(&carol, "/alice/project").await, plan_and_notes(Access::None, Access::None));
    assert_eq!(stat(&bob, "/alice/project/notes.txt").await, Access::Write);

    // A public folder makes everything below it readable by every user.
    let mut files = alice.files().unwrap();
    let public = pb::SetVisibilityRequest { path: "/alice/project".into(), visibility: pb::Visibility::Public as i32 };
    files.set_visibility(public).await.unwrap();
    assert_eq!(listed(&carol, "/alice/project").await, plan_and_notes(Access::Read, Access::Read));

    // What the access says is what the server does.
    bob.rename("/alice/project/notes.txt", "notes-2.txt", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(
        code(bob.rename("/alice/project/plan.txt", "plan-2.txt", ConflictPolicy::Fail).await),
        ErrorCode::PermissionDenied
    );
    server.shutdown().await;
}
