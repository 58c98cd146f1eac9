//! Dead properties of entries (WebDAV PROPPATCH): set, replaced, removed
//! all or nothing, following the entry wherever it goes, within limits.

use cordvault_client::proto::{self as pb, ShareLevel};
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

backend_tests!(
    properties_are_set_replaced_and_removed,
    properties_follow_the_entry_until_it_is_purged,
    properties_need_read_and_write_access,
    property_limits_refuse_the_whole_change,
);

fn prop(namespace: &str, name: &str, value: &[u8]) -> pb::Property {
    pb::Property { namespace: namespace.into(), name: name.into(), value: value.to_vec().into() }
}

fn name(namespace: &str, name: &str) -> pb::PropertyName {
    pb::PropertyName { namespace: namespace.into(), name: name.into() }
}

/// The properties at `path` as (namespace, name, value) triples.
async fn props(client: &Client, path: &str) -> Vec<(String, String, Vec<u8>)> {
    let found = client.get_properties(path).await.unwrap();
    found.into_iter().map(|prop| (prop.namespace, prop.name, prop.value.to_vec())).collect()
}

fn triples(expected: &[(&str, &str, &[u8])]) -> Vec<(String, String, Vec<u8>)> {
    expected.iter().map(|(namespace, name, value)| (namespace.to_string(), name.to_string(), value.to_vec())).collect()
}

#[track_caller]
fn fails_with<T: std::fmt::Debug>(result: cordvault_client::Result<T>, code: ErrorCode, what: &str) -> String {
    let err = result.expect_err(what);
    assert_eq!(err.code, code, "{what}: {err}");
    err.message
}

async fn put(client: &Client, path: &str) {
    client.upload_bytes(random_bytes(100, 1), path, &UploadOptions::default()).await.unwrap();
}

async fn properties_are_set_replaced_and_removed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.create_folder("/alice/docs").await.unwrap();
    put(&alice, "/alice/docs/a.txt").await;
    assert!(props(&alice, "/alice/docs/a.txt").await.is_empty());

    let set = vec![
        prop("urn:schemas-microsoft-com:", "Win32FileAttributes", b"00000020"),
        prop("DAV:", "displayname", b"A text"),
        prop("", "no-namespace", b""),
        prop("DAV:", "comment", &[0, 159, 255]),
    ];
    alice.set_properties("/alice/docs/a.txt", set, vec![]).await.unwrap();
    let sorted = triples(&[
        ("", "no-namespace", b""),
        ("DAV:", "comment", &[0, 159, 255]),
        ("DAV:", "displayname", b"A text"),
        ("urn:schemas-microsoft-com:", "Win32FileAttributes", b"00000020"),
    ]);
    assert_eq!(props(&alice, "/alice/docs/a.txt").await, sorted, "by namespace, then name");

    // Replacing one, removing one and one that is not there, in one call.
    let set = vec![prop("DAV:", "displayname", b"Renamed")];
    let remove = vec![name("", "no-namespace"), name("DAV:", "never-set")];
    alice.set_properties("/alice/docs/a.txt", set, remove).await.unwrap();
    let expected = triples(&[
        ("DAV:", "comment", &[0, 159, 255]),
        ("DAV:", "displayname", b"Renamed"),
        ("urn:schemas-microsoft-com:", "Win32FileAttributes", b"00000020"),
    ]);
    assert_eq!(props(&alice, "/alice/docs/a.txt").await, expected);
    alice.set_properties("/alice/docs/a.txt", vec![], vec![]).await.unwrap();
    assert_eq!(props(&alice, "/alice/docs/a.txt").await, expected, "an empty change changes nothing");

    // Folders have their own, apart from what is inside.
    alice.set_properties("/alice/docs", vec![prop("x:", "colour", b"blue")], vec![]).await.unwrap();
    assert_eq!(props(&alice, "/alice/docs").await, triples(&[("x:", "colour", b"blue")]));
    assert_eq!(props(&alice, "/alice/docs/a.txt").await, expected);

    // An overwritten file is the same entry: its properties stay.
    let overwrite = UploadOptions { conflict: ConflictPolicy::Overwrite, ..Default::default() };
    alice.upload_bytes(random_bytes(50, 2), "/alice/docs/a.txt", &overwrite).await.unwrap();
    assert_eq!(props(&alice, "/alice/docs/a.txt").await, expected);

    let missing = alice.set_properties("/alice/nothing", vec![prop("", "a", b"")], vec![]).await;
    fails_with(missing, ErrorCode::NotFound, "properties of a missing entry");
    fails_with(alice.get_properties("/alice/nothing").await, ErrorCode::NotFound, "get of a missing entry");
    server.shutdown().await;
}

async fn properties_follow_the_entry_until_it_is_purged(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.create_folder("/alice/docs").await.unwrap();
    alice.create_folder("/alice/archive").await.unwrap();
    put(&alice, "/alice/docs/a.txt").await;
    let on_file = triples(&[("DAV:", "displayname", b"report")]);
    let on_folder = triples(&[("x:", "colour", b"red")]);
    alice.set_properties("/alice/docs/a.txt", vec![prop("DAV:", "displayname", b"report")], vec![]).await.unwrap();
    alice.set_properties("/alice/docs", vec![prop("x:", "colour", b"red")], vec![]).await.unwrap();

    alice.rename("/alice/docs/a.txt", "b.txt", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(props(&alice, "/alice/docs/b.txt").await, on_file, "after a rename");
    alice.move_entry("/alice/docs/b.txt", "/alice/archive", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(props(&alice, "/alice/archive/b.txt").await, on_file, "after a move");
    alice.move_entry("/alice/docs", "/alice/archive", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(props(&alice, "/alice/archive/docs").await, on_folder, "a folder's, after a move");

    // A new entry where the old one was has none.
    alice.create_folder("/alice/docs").await.unwrap();
    put(&alice, "/alice/docs/a.txt").await;
    assert!(props(&alice, "/alice/docs/a.txt").await.is_empty());

    // To the trash and back, then purged: gone with the entry.
    let id = alice.stat("/alice/archive/b.txt").await.unwrap().id;
    alice.delete("/alice/archive/b.txt", false).await.unwrap();
    let mut files = alice.files().unwrap();
    files.restore(pb::RestoreRequest { trash_id: id }).await.unwrap();
    assert_eq!(props(&alice, "/alice/archive/b.txt").await, on_file, "after a restore");
    let db = &server.running().db;
    assert_eq!(db.properties_of(id).await.unwrap().len(), 1);
    alice.delete("/alice/archive/b.txt", false).await.unwrap();
    alice.empty_trash().await.unwrap();
    assert!(db.properties_of(id).await.unwrap().is_empty(), "a purged entry's properties are gone");
    server.shutdown().await;
}

async fn properties_need_read_and_write_access(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    alice.create_folder("/alice/docs").await.unwrap();
    put(&alice, "/alice/docs/a.txt").await;
    let original = triples(&[("DAV:", "displayname", b"alice's")]);
    alice.set_properties("/alice/docs/a.txt", vec![prop("DAV:", "displayname", b"alice's")], vec![]).await.unwrap();
    let bobs = || vec![prop("DAV:", "displayname", b"bob's")];

    // Not shared: neither reads nor writes, as for the file's bytes.
    fails_with(bob.get_properties("/alice/docs/a.txt").await, ErrorCode::PermissionDenied, "bob reads");
    let denied = bob.set_properties("/alice/docs/a.txt", bobs(), vec![]).await;
    fails_with(denied, ErrorCode::PermissionDenied, "bob sets");
    let denied = bob.set_properties("/alice/docs/a.txt", vec![], vec![name("DAV:", "displayname")]).await;
    fails_with(denied, ErrorCode::PermissionDenied, "bob removes");

    // A read-only share reads them and changes none.
    alice.share("/alice/docs", "bob", ShareLevel::Read).await.unwrap();
    assert_eq!(props(&bob, "/alice/docs/a.txt").await, original);
    let denied = bob.set_properties("/alice/docs/a.txt", bobs(), vec![]).await;
    fails_with(denied, ErrorCode::PermissionDenied, "bob sets through a read-only share");
    let denied = bob.set_properties("/alice/docs", bobs(), vec![]).await;
    fails_with(denied, ErrorCode::PermissionDenied, "bob sets the folder's through a read-only share");
    assert_eq!(props(&alice, "/alice/docs/a.txt").await, original);

    // A read-write share changes them; so does an administrator.
    alice.share("/alice/docs", "bob", ShareLevel::ReadWrite).await.unwrap();
    bob.set_properties("/alice/docs/a.txt", bobs(), vec![]).await.unwrap();
    assert_eq!(props(&alice, "/alice/docs/a.txt").await, triples(&[("DAV:", "displayname", b"bob's")]));
    admin.set_properties("/alice/docs/a.txt", vec![], vec![name("DAV:", "displayname")]).await.unwrap();
    assert!(props(&alice, "/alice/docs/a.txt").await.is_empty());

    // Nobody changes the root, as nobody renames it.
    let root = admin.set_properties("/", bobs(), vec![]).await;
    fails_with(root, ErrorCode::PermissionDenied, "properties of the root");
    assert!(props(&bob, "/").await.is_empty(), "everyone reads the root");
    server.shutdown().await;
}

async fn property_limits_refuse_the_whole_change(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    alice.create_folder("/alice").await.unwrap();
    let path = "/alice";
    let kib = |n: usize| vec![b'v'; n * 1024];
    let start = vec![prop("DAV:", "keep", b"kept"), prop("DAV:", "old", b"old")];
    alice.set_properties(path, start, vec![]).await.unwrap();
    let before = props(&alice, path).await;

    // Each limit, alone and next to a change that is fine by itself.
    let fine = || prop("DAV:", "new", b"fine");
    let refused: Vec<(Vec<pb::Property>, Vec<pb::PropertyName>, &str)> = vec![
        (vec![fine(), prop("DAV:", "", b"x")], vec![], "no name"),
        (vec![fine(), prop("DAV:", &"n".repeat(257), b"x")], vec![], "257 bytes long"),
        (vec![fine(), prop(&"u".repeat(1025), "a", b"x")], vec![], "1025 bytes long"),
        (vec![fine(), prop("DAV:", "big", &kib(64 + 1))], vec![], "more than 64 KiB"),
        (vec![fine(), prop("DAV:", "nul\0", b"x")], vec![], "control characters"),
        (vec![fine(), fine()], vec![], "more than once"),
        (vec![fine()], vec![name("DAV:", "new")], "more than once"),
        (vec![fine()], vec![name("DAV:", "old"), name("", "")], "no name"),
        ((0..101).map(|i| prop("n:", &i.to_string(), b"")).collect(), vec![], "at most 100 properties"),
        // 4 × 64 KiB is 256 KiB: with the 7 bytes already there, over.
        ((0..4).map(|i| prop("n:", &i.to_string(), &kib(64))).collect(), vec![], "256 KiB"),
    ];
    for (set, remove, expected) in refused {
        let message = fails_with(alice.set_properties(path, set, remove).await, ErrorCode::InvalidArgument, expected);
        assert!(message.contains(expected), "{expected}: {message}");
        assert_eq!(props(&alice, path).await, before, "{expected}: nothing changed");
    }

    // The entry's limits count what it has after the change: 98 more make
    // 100, one more is refused, one more in place of a removed one is not.
    let filler: Vec<pb::Property> = (0..98).map(|i| prop("n:", &format!("{i:02}"), b"")).collect();
    alice.set_properties(path, filler, vec![]).await.unwrap();
    assert_eq!(props(&alice, path).await.len(), 100);
    let over = alice.set_properties(path, vec![prop("n:", "one more", b"")], vec![]).await;
    let message = fails_with(over, ErrorCode::InvalidArgument, "the 101st property");
    assert!(message.contains("at most 100"), "{message}");
    let swap = alice.set_properties(path, vec![prop("n:", "one more", b"")], vec![name("DAV:", "old")]).await;
    swap.unwrap();
    let now = props(&alice, path).await;
    assert_eq!(now.len(), 100);
    assert!(now.iter().any(|(_, name, _)| name == "one more") && !now.iter().any(|(_, name, _)| name == "old"));

    // Values: 256 KiB in all fit, replacing a value counts the new one only.
    let cleared: Vec<pb::PropertyName> = now.iter().map(|(namespace, n, _)| name(namespace, n)).collect();
    alice.set_properties(path, vec![], cleared).await.unwrap();
    let full: Vec<pb::Property> = (0..4).map(|i| prop("n:", &i.to_string(), &kib(64))).collect();
    alice.set_properties(path, full, vec![]).await.unwrap();
    alice.set_properties(path, vec![prop("n:", "0", &kib(64))], vec![]).await.unwrap();
    let over = alice.set_properties(path, vec![prop("n:", "4", b"x")], vec![]).await;
    fails_with(over, ErrorCode::InvalidArgument, "one byte over 256 KiB");
    assert_eq!(props(&alice, path).await.len(), 4);
    server.shutdown().await;
}
