//! WebDAV locks through LockService: conflicts as dav-server's MemLs
//! decides them, owners, tokens, expiry, access, and one winner among
//! concurrent creations (across replicas on PostgreSQL).

use std::time::Duration;

use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, ErrorCode, LockOptions, LockOutcome, UploadOptions};
use cordvault_server::services::access::Caller;
use cordvault_server::services::locks::{Created, LockRequest, Locks};
use cordvault_server::services::tree::Tree;
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

backend_tests!(
    exclusive_and_shared_locks,
    deep_locks_cover_what_is_below,
    refresh_and_release_are_for_the_owner,
    check_counts_the_tokens_and_principal,
    list_and_delete_locks,
    locks_expire,
    locks_need_access_and_keep_owners_private,
    concurrent_exclusive_locks_have_one_winner,
    a_user_holds_a_limited_number_of_locks,
);

const OWNER: &str = "<D:owner xmlns:D=\"DAV:\"><D:href>mailto:someone@example.com</D:href></D:owner>";

fn options(shared: bool, deep: bool) -> LockOptions {
    LockOptions { owner_xml: OWNER.into(), timeout_seconds: 600, shared, deep }
}

/// A lock that must be granted.
async fn lock(client: &Client, path: &str, shared: bool, deep: bool) -> pb::Lock {
    match client.create_lock(path, &options(shared, deep)).await.expect("create_lock") {
        LockOutcome::Locked(lock) => lock,
        LockOutcome::Conflict(conflict) => panic!("locking {path}: in the way: {conflict:?}"),
    }
}

/// A lock that must be refused; the lock in the way.
async fn refused(client: &Client, path: &str, shared: bool, deep: bool) -> pb::Lock {
    match client.create_lock(path, &options(shared, deep)).await.expect("create_lock") {
        LockOutcome::Locked(lock) => panic!("locking {path} should conflict, got {lock:?}"),
        LockOutcome::Conflict(conflict) => conflict,
    }
}

#[track_caller]
fn fails_with<T: std::fmt::Debug>(result: cordvault_client::Result<T>, code: ErrorCode, what: &str) -> String {
    let err = result.expect_err(what);
    assert_eq!(err.code, code, "{what}: {err}");
    err.message
}

fn tokens(locks: &[pb::Lock]) -> Vec<&str> {
    locks.iter().map(|lock| lock.token.as_str()).collect()
}

/// alice's folder /alice/docs with a.txt in it, shared read-write with bob.
async fn setup(server: &TestServer) -> (Client, Client) {
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.create_folder("/alice/docs").await.unwrap();
    alice.upload_bytes(random_bytes(10, 1), "/alice/docs/a.txt", &UploadOptions::default()).await.unwrap();
    alice.share("/alice", "bob", ShareLevel::ReadWrite).await.unwrap();
    (alice, bob)
}

async fn exclusive_and_shared_locks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = setup(&server).await;

    let before = server.clock().now_ms();
    let held = lock(&alice, "/alice//docs/a.txt/", false, false).await;
    assert!(held.token.starts_with("opaquelocktoken:") && held.token.len() == 16 + 36, "{}", held.token);
    assert_eq!(held.path, "/alice/docs/a.txt", "normalised");
    assert_eq!((held.owner_username.as_str(), held.owner_xml.as_str()), ("alice", OWNER));
    assert_eq!((held.shared, held.deep, held.timeout_seconds), (false, false, 600));
    assert!(held.expires_at_ms >= before + 600_000 && held.expires_at_ms <= server.clock().now_ms() + 600_000);

    // An exclusive lock is in the way of every other, its owner's too.
    assert_eq!(refused(&bob, "/alice/docs/a.txt", false, false).await, held);
    assert_eq!(refused(&bob, "/alice/docs/a.txt", true, false).await.token, held.token);
    assert_eq!(refused(&alice, "/alice/docs/a.txt", false, false).await.token, held.token);

    // Shared locks go together; an exclusive one does not go with them.
    let first = lock(&alice, "/alice/docs/b.txt", true, false).await;
    let second = lock(&bob, "/alice/docs/b.txt", true, false).await;
    assert_ne!(first.token, second.token);
    assert_eq!(refused(&bob, "/alice/docs/b.txt", false, false).await.token, first.token, "the first shared one");

    alice.release_lock("/alice/docs/a.txt", &held.token).await.unwrap();
    let taken = lock(&bob, "/alice/docs/a.txt", false, false).await;
    assert_eq!(taken.owner_username, "bob");
    server.shutdown().await;
}

async fn deep_locks_cover_what_is_below(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = setup(&server).await;

    // A deep lock conflicts with locks below it; a depth-0 lock does not.
    let below = lock(&alice, "/alice/docs/a.txt", false, false).await;
    assert_eq!(refused(&bob, "/alice/docs", false, true).await.token, below.token);
    assert_eq!(refused(&bob, "/alice/docs", true, true).await.token, below.token, "exclusive below a shared one");
    assert_eq!(refused(&bob, "/alice", true, true).await.token, below.token, "further up too");
    let flat = lock(&bob, "/alice/docs", false, false).await;
    bob.release_lock("/alice/docs", &flat.token).await.unwrap();
    alice.release_lock("/alice/docs/a.txt", &below.token).await.unwrap();

    // Shared below a shared deep one is fine; exclusive below it is not.
    let shared_below = lock(&alice, "/alice/docs/a.txt", true, false).await;
    let deep_shared = lock(&bob, "/alice/docs", true, true).await;
    assert_eq!(refused(&alice, "/alice/docs/sub/new.txt", false, false).await.token, deep_shared.token);
    lock(&alice, "/alice/docs/sub/new.txt", true, false).await;
    // Below the path, the one named is the first MemLs's depth-first walk
    // meets: a folder's before those below it, even if younger.
    assert_eq!(refused(&alice, "/alice", false, true).await.token, deep_shared.token);
    bob.release_lock("/alice/docs", &deep_shared.token).await.unwrap();
    assert_eq!(refused(&alice, "/alice", false, true).await.token, shared_below.token);

    // An exclusive deep lock covers the whole subtree, even unmapped paths.
    let deep = lock(&bob, "/alice/other", false, true).await;
    assert_eq!(refused(&alice, "/alice/other/x/y.txt", true, false).await.token, deep.token);
    // A path that merely starts with the same letters is not below it.
    lock(&alice, "/alice/other-folder", false, false).await;
    lock(&alice, "/alice/otherx", false, true).await;
    server.shutdown().await;
}

async fn refresh_and_release_are_for_the_owner(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = setup(&server).await;
    let admin = server.admin().await;
    let short = LockOptions { timeout_seconds: 60, deep: true, ..LockOptions::default() };
    let LockOutcome::Locked(held) = alice.create_lock("/alice/docs", &short).await.unwrap() else { panic!() };
    assert_eq!(held.timeout_seconds, 60);

    // Found from the path or below it (where a deep lock reaches), as MemLs finds it.
    let refreshed = alice.refresh_lock("/alice/docs/a.txt", &held.token, 600).await.unwrap();
    assert_eq!((refreshed.token.as_str(), refreshed.timeout_seconds), (held.token.as_str(), 600));
    assert!(refreshed.expires_at_ms > held.expires_at_ms);
    assert_eq!(alice.refresh_lock("/alice/docs", &held.token, 0).await.unwrap().timeout_seconds, 24 * 3600);
    assert_eq!(alice.list_locks("/alice/docs").await.unwrap()[0].timeout_seconds, 24 * 3600);
    let negative = alice.refresh_lock("/alice/docs", &held.token, -1).await;
    fails_with(negative, ErrorCode::InvalidArgument, "a negative timeout");

    // Another user may neither refresh nor release it.
    fails_with(bob.refresh_lock("/alice/docs", &held.token, 60).await, ErrorCode::PermissionDenied, "bob refreshes");
    fails_with(bob.release_lock("/alice/docs", &held.token).await, ErrorCode::PermissionDenied, "bob releases");
    // No such lock there: another token, a path beside or above it.
    let bogus = "opaquelocktoken:00000000-0000-4000-8000-000000000000";
    fails_with(alice.release_lock("/alice/docs", bogus).await, ErrorCode::NotFound, "an unknown token");
    fails_with(alice.release_lock("/alice/docs", "garbage\0").await, ErrorCode::NotFound, "a malformed token");
    fails_with(alice.release_lock("/alice/docsx", &held.token).await, ErrorCode::NotFound, "beside it");
    fails_with(alice.release_lock("/alice", &held.token).await, ErrorCode::NotFound, "above it");
    fails_with(alice.refresh_lock("/alice", &held.token, 60).await, ErrorCode::NotFound, "refresh above it");

    // An administrator may release it; then it is gone.
    admin.release_lock("/alice/docs", &held.token).await.unwrap();
    fails_with(alice.release_lock("/alice/docs", &held.token).await, ErrorCode::NotFound, "released twice");
    fails_with(alice.refresh_lock("/alice/docs", &held.token, 60).await, ErrorCode::NotFound, "refresh released");
    assert!(alice.list_locks("/alice/docs").await.unwrap().is_empty());

    // Its owner releases it from below too.
    let again = lock(&alice, "/alice/docs", false, true).await;
    alice.release_lock("/alice/docs/deeper/x.txt", &again.token).await.unwrap();

    let long_owner = LockOptions { owner_xml: "x".repeat(4097), ..LockOptions::default() };
    fails_with(alice.create_lock("/alice/docs", &long_owner).await, ErrorCode::InvalidArgument, "owner over 4 KiB");
    let negative = LockOptions { timeout_seconds: -5, ..LockOptions::default() };
    fails_with(alice.create_lock("/alice/docs", &negative).await, ErrorCode::InvalidArgument, "negative timeout");
    server.shutdown().await;
}

async fn check_counts_the_tokens_and_principal(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = setup(&server).await;
    let held = lock(&alice, "/alice/docs/a.txt", false, false).await;
    let mine = vec![held.token.clone()];
    let check = |client: &Client, path: &'static str, deep: bool, ignore: bool, tokens: Vec<String>| {
        let client = client.clone();
        async move { client.check_locks(path, deep, ignore, &tokens).await.unwrap().map(|lock| lock.token) }
    };

    assert_eq!(check(&alice, "/alice/docs/a.txt", false, false, vec![]).await, Some(held.token.clone()));
    assert_eq!(check(&alice, "/alice/docs/a.txt", false, false, mine.clone()).await, None, "its owner with its token");
    assert_eq!(check(&bob, "/alice/docs/a.txt", false, false, mine.clone()).await, Some(held.token.clone()));
    assert_eq!(check(&bob, "/alice/docs/a.txt", false, true, mine.clone()).await, None, "ignore_principal");
    // The folder is free; with everything below it, it is not.
    assert_eq!(check(&bob, "/alice/docs", false, false, vec![]).await, None);
    assert_eq!(check(&bob, "/alice/docs", true, false, vec![]).await, Some(held.token.clone()));
    assert_eq!(check(&alice, "/alice/docs", true, false, mine.clone()).await, None);
    assert_eq!(check(&bob, "/alice/docs/b.txt", true, false, vec![]).await, None, "a sibling is free");

    // Shared locks: holding one of them is enough at the path itself, but
    // not for a deep check, which wants every lock there held.
    let first = lock(&alice, "/alice/docs/s.txt", true, false).await;
    let second = lock(&bob, "/alice/docs/s.txt", true, false).await;
    let (first_token, second_token) = (vec![first.token.clone()], vec![second.token.clone()]);
    assert_eq!(check(&alice, "/alice/docs/s.txt", false, false, vec![]).await, Some(first.token.clone()));
    assert_eq!(check(&alice, "/alice/docs/s.txt", false, false, first_token).await, None, "holds one");
    assert_eq!(check(&bob, "/alice/docs/s.txt", false, false, second_token.clone()).await, None, "holds one");
    let not_hers = check(&alice, "/alice/docs/s.txt", false, false, second_token.clone()).await;
    assert_eq!(not_hers, Some(first.token.clone()), "bob's token is not alice's to present");
    let deep = check(&bob, "/alice/docs/s.txt", true, false, second_token).await;
    assert_eq!(deep, Some(first.token.clone()), "a deep check wants every lock there held");
    // A deep lock above covers the path for checks too.
    let deep = lock(&bob, "/alice/deep", false, true).await;
    assert_eq!(check(&alice, "/alice/deep/x/y", false, false, vec![]).await, Some(deep.token.clone()));
    assert_eq!(check(&bob, "/alice/deep/x/y", false, false, vec![deep.token.clone()]).await, None);

    let many = vec![String::new(); 1001];
    fails_with(alice.check_locks("/alice", false, false, &many).await, ErrorCode::InvalidArgument, "1001 tokens");
    server.shutdown().await;
}

async fn list_and_delete_locks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = setup(&server).await;
    let top = lock(&alice, "/alice", true, true).await;
    let folder = lock(&bob, "/alice/docs", true, false).await;
    let file = lock(&alice, "/alice/docs/a.txt", true, false).await;
    let beside = lock(&bob, "/alice/docsx", true, false).await;

    // From the root down, as MemLs discovers: a depth-0 lock of a folder
    // above shows too.
    let listed = alice.list_locks("/alice/docs/a.txt").await.unwrap();
    assert_eq!(tokens(&listed), [&top.token, &folder.token, &file.token]);
    assert_eq!(listed[1], folder, "as it was created");
    assert_eq!(tokens(&bob.list_locks("/alice/docsx").await.unwrap()), [&top.token, &beside.token]);
    assert_eq!(tokens(&bob.list_locks("/alice").await.unwrap()), [&top.token]);
    assert_eq!(tokens(&bob.list_locks("/alice/docs/unmapped/x").await.unwrap()), [&top.token, &folder.token]);
    assert!(bob.list_locks("/").await.unwrap().is_empty());

    // Deleting a subtree's locks leaves those above and beside it.
    assert_eq!(bob.delete_locks("/alice/docs").await.unwrap(), 2, "bob's and alice's");
    assert_eq!(tokens(&alice.list_locks("/alice/docs/a.txt").await.unwrap()), [&top.token]);
    assert_eq!(tokens(&alice.list_locks("/alice/docsx").await.unwrap()), [&top.token, &beside.token]);
    assert_eq!(alice.delete_locks("/alice/docs").await.unwrap(), 0);
    assert_eq!(alice.delete_locks("/alice/gone/away").await.unwrap(), 0, "below a path that does not exist");
    // Names beyond ASCII: both backends take the folder's prefix alike.
    lock(&alice, "/alice/dös/x", true, false).await;
    let besides = lock(&alice, "/alice/döse", true, false).await;
    assert_eq!(alice.delete_locks("/alice/dös").await.unwrap(), 1);
    assert_eq!(tokens(&alice.list_locks("/alice/döse").await.unwrap()), [&top.token, &besides.token]);
    lock(&alice, "/alice/docs/a.txt", true, false).await;
    assert_eq!(alice.delete_locks("/alice").await.unwrap(), 4);
    assert!(alice.list_locks("/alice/docs/a.txt").await.unwrap().is_empty());
    server.shutdown().await;
}

async fn locks_expire(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = setup(&server).await;
    let brief = LockOptions { timeout_seconds: 1, deep: true, ..LockOptions::default() };
    let LockOutcome::Locked(held) = alice.create_lock("/alice/docs", &brief).await.unwrap() else { panic!() };
    assert_eq!(held.timeout_seconds, 1);
    let forever = LockOptions { timeout_seconds: 0, shared: true, ..LockOptions::default() };
    let LockOutcome::Locked(capped) = bob.create_lock("/alice/other", &forever).await.unwrap() else { panic!() };
    assert_eq!(capped.timeout_seconds, 24 * 3600, "infinite is a day");
    assert!(capped.expires_at_ms >= server.clock().now_ms() + 24 * 3600 * 1000 - 60_000);
    assert_eq!(refused(&bob, "/alice/docs/a.txt", false, false).await.token, held.token);

    server.clock().advance(Duration::from_millis(1500));
    assert!(alice.list_locks("/alice/docs").await.unwrap().is_empty(), "expired");
    assert_eq!(bob.check_locks("/alice/docs", true, false, &[]).await.unwrap(), None);
    fails_with(alice.refresh_lock("/alice/docs", &held.token, 60).await, ErrorCode::NotFound, "refresh expired");
    fails_with(alice.release_lock("/alice/docs", &held.token).await, ErrorCode::NotFound, "release expired");
    lock(&bob, "/alice/docs", false, true).await;
    assert_eq!(alice.delete_locks("/alice/docs").await.unwrap(), 1, "only the live one counts");

    // The janitor deletes expired locks; live ones stay.
    let brief = LockOptions { timeout_seconds: 1, ..LockOptions::default() };
    assert!(matches!(alice.create_lock("/alice/docs/a.txt", &brief).await.unwrap(), LockOutcome::Locked(_)));
    server.clock().advance(Duration::from_millis(1500));
    server.running().janitor.sweep().await.unwrap();
    let stored = server.running().db.locks_at_or_below("/", 0).await.unwrap();
    let stored: Vec<&str> = stored.iter().map(|lock| lock.row.token.as_str()).collect();
    assert_eq!(stored, [capped.token.as_str()], "the janitor left the live lock alone");
    server.shutdown().await;
}

async fn locks_need_access_and_keep_owners_private(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    alice.create_folder("/alice/docs").await.unwrap();
    alice.upload_bytes(random_bytes(10, 1), "/alice/docs/a.txt", &UploadOptions::default()).await.unwrap();

    // Unmapped URLs: locked when the nearest folder above may be written in.
    let new = lock(&alice, "/alice/docs/new.txt", false, false).await;
    lock(&alice, "/alice/docs/new-folder/deeper/new.txt", false, false).await;
    lock(&bob, "/bobs-new-folder", false, true).await;

    // Nothing of alice's may bob lock, list, check or unlock.
    fails_with(
        bob.create_lock("/alice/docs/a.txt", &options(true, false)).await,
        ErrorCode::PermissionDenied,
        "a file",
    );
    fails_with(
        bob.create_lock("/alice/docs/b.txt", &options(true, false)).await,
        ErrorCode::PermissionDenied,
        "unmapped",
    );
    fails_with(bob.create_lock("/alice", &options(true, true)).await, ErrorCode::PermissionDenied, "her folder");
    fails_with(admin.create_lock("/", &options(true, true)).await, ErrorCode::PermissionDenied, "the root");
    fails_with(bob.list_locks("/alice/docs/new.txt").await, ErrorCode::PermissionDenied, "list");
    fails_with(bob.check_locks("/alice/docs", true, false, &[]).await, ErrorCode::PermissionDenied, "check");
    fails_with(bob.delete_locks("/alice/docs").await, ErrorCode::PermissionDenied, "delete");
    fails_with(bob.delete_locks("/").await, ErrorCode::PermissionDenied, "delete everything");
    assert_eq!(tokens(&alice.list_locks("/alice/docs/new.txt").await.unwrap()), [&new.token]);

    // Read access shows locks (with their owners), but locks nothing.
    alice.share("/alice/docs", "bob", ShareLevel::Read).await.unwrap();
    assert_eq!(bob.list_locks("/alice/docs/new.txt").await.unwrap(), std::slice::from_ref(&new));
    assert_eq!(bob.check_locks("/alice/docs/new.txt", false, false, &[]).await.unwrap(), Some(new.clone()));
    fails_with(
        bob.create_lock("/alice/docs/a.txt", &options(true, false)).await,
        ErrorCode::PermissionDenied,
        "read only",
    );

    // A lock below that the asker may not read shows without its owner
    // element: carol's file in bob's folder is carol's alone.
    bob.create_folder("/bob").await.unwrap();
    bob.share("/bob", "carol", ShareLevel::ReadWrite).await.unwrap();
    carol.upload_bytes(random_bytes(10, 2), "/bob/carols.txt", &UploadOptions::default()).await.unwrap();
    let carols = lock(&carol, "/bob/carols.txt", false, false).await;
    let seen_by_bob = bob.check_locks("/bob", true, false, &[]).await.unwrap().unwrap();
    assert_eq!(seen_by_bob, pb::Lock { owner_xml: String::new(), ..carols.clone() });
    let seen_by_bob = refused(&bob, "/bob", true, true).await;
    assert_eq!(seen_by_bob, pb::Lock { owner_xml: String::new(), ..carols.clone() });
    assert_eq!(admin.check_locks("/bob", true, false, &[]).await.unwrap(), Some(carols.clone()));
    assert_eq!(carol.check_locks("/bob", true, false, &[]).await.unwrap(), Some(carols));
    server.shutdown().await;
}

async fn concurrent_exclusive_locks_have_one_winner(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, bob) = setup(&server).await;
    // Half the calls go to a second manager on the same database.
    let replica = server.replica().await;
    let elsewhere = Client::connect(&format!("http://{}", replica.addr)).await.unwrap();
    let elsewhere = elsewhere.with_token(bob.token().unwrap());
    let clients = [alice.clone(), bob.clone(), elsewhere.clone(), alice.clone()];

    for round in 0..4 {
        // Eight exclusive locks of one path.
        let path = format!("/alice/race-{round}");
        let attempts = (0..8).map(|i| {
            let (client, path) = (clients[i % clients.len()].clone(), path.clone());
            async move { client.create_lock(&path, &options(false, false)).await.unwrap() }
        });
        let outcomes = futures::future::join_all(attempts).await;
        let winners: Vec<_> = outcomes.iter().filter_map(|o| o.clone().into_result().ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        for outcome in &outcomes {
            if let LockOutcome::Conflict(conflict) = outcome {
                assert_eq!(conflict.token, winners[0].token, "round {round}");
            }
        }

        // Deep locks of a folder against locks below it: no phantoms.
        let folder = format!("/alice/tree-{round}");
        let attempts = (0..8).map(|i| {
            let client = clients[i % clients.len()].clone();
            let (path, deep) = if i % 2 == 0 { (folder.clone(), true) } else { (format!("{folder}/x/{i}"), false) };
            async move { client.create_lock(&path, &options(false, deep)).await.unwrap() }
        });
        let outcomes = futures::future::join_all(attempts).await;
        let winners: Vec<_> = outcomes.iter().filter_map(|o| o.clone().into_result().ok()).collect();
        let deep_winners = winners.iter().filter(|lock| lock.deep).count();
        assert!(!winners.is_empty(), "round {round}: nobody won");
        assert!(deep_winners == 0 || winners.len() == 1, "round {round}: a deep lock beside others: {winners:?}");
    }
    replica.shutdown().await;
    server.shutdown().await;
}

/// The limit of live locks per user, at the service (of the running
/// manager, on its database and clock) with a limit of 5 instead of 1000,
/// which the API would take a while to reach.
async fn a_user_holds_a_limited_number_of_locks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (alice, _bob) = setup(&server).await;
    let db = server.running().db.clone();
    let tree = Tree::new(db.clone()).with_clock(server.clock().clone());
    let locks = Locks::new(tree).with_max_per_user(5);
    let caller = |name: &'static str| {
        let db = db.clone();
        async move { Caller::of(db.user_by_name(name).await.unwrap().unwrap()) }
    };
    let (as_alice, as_bob) = (caller("alice").await, caller("bob").await);
    let request =
        |path: &'static str| LockRequest { path, owner_xml: "", timeout_seconds: 600, shared: false, deep: false };
    let tokens = |created: Created| match created {
        Created::Lock(lock) => lock.row.token,
        Created::Conflict(conflict) => panic!("in the way: {conflict:?}"),
    };

    let mut held = Vec::new();
    for path in ["/alice/1", "/alice/2", "/alice/3", "/alice/4", "/alice/5"] {
        held.push(tokens(locks.create(&as_alice, request(path)).await.unwrap()));
    }
    let err = locks.create(&as_alice, request("/alice/6")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ResourceExhausted, "{err}");
    assert!(err.message.contains("5 locks"), "{err}");
    tokens(locks.create(&as_bob, request("/alice/bobs")).await.unwrap());
    // A conflict is still a conflict, not a full allowance.
    assert!(matches!(locks.create(&as_alice, request("/alice/1")).await.unwrap(), Created::Conflict(_)));

    // Released or expired ones make room again, also through the API.
    alice.release_lock("/alice/3", &held[2]).await.unwrap();
    tokens(locks.create(&as_alice, request("/alice/6")).await.unwrap());
    let err = locks.create(&as_alice, request("/alice/7")).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ResourceExhausted, "{err}");
    server.clock().advance(Duration::from_secs(601));
    tokens(locks.create(&as_alice, request("/alice/7")).await.unwrap());
    server.shutdown().await;
}
