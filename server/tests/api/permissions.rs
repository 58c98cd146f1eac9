//! Two users on one tree: names are shared, files are not.

use cordvault_client::proto::ShareLevel;
use cordvault_client::{Client, ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

backend_tests!(users_see_names_but_cannot_touch_each_others_entries);

fn denied<T: std::fmt::Debug>(result: cordvault_client::Result<T>, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{what}: {err}");
}

async fn names(client: &Client, path: &str) -> Vec<String> {
    client.list(path).await.unwrap().into_iter().map(|entry| entry.name).collect()
}

async fn users_see_names_but_cannot_touch_each_others_entries(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let data = random_bytes(100_000, 12);
    alice.create_folder("/alice/docs").await.unwrap();
    alice.upload_bytes(data.clone(), "/alice/docs/a.txt", &UploadOptions::default()).await.unwrap();
    bob.create_folder("/bob").await.unwrap();

    assert_eq!(names(&bob, "/").await, ["alice", "bob"]);
    assert_eq!(names(&bob, "/alice/docs").await, ["a.txt"]);
    assert_eq!(bob.stat("/alice/docs/a.txt").await.unwrap().owner, "alice");

    denied(bob.read_range("/alice/docs/a.txt", 0, 0).await, "bob reads alice's file");
    let overwrite = UploadOptions { conflict: ConflictPolicy::Overwrite, ..Default::default() };
    denied(bob.upload_bytes(data.slice(..5), "/alice/docs/a.txt", &overwrite).await, "bob overwrites");
    denied(bob.move_entry("/alice/docs/a.txt", "/bob", ConflictPolicy::Fail).await, "bob moves the file");
    denied(bob.rename("/alice/docs/a.txt", "b.txt", ConflictPolicy::Fail).await, "bob renames the file");
    denied(bob.delete("/alice/docs/a.txt", false).await, "bob deletes the file");
    denied(bob.rename("/alice", "mine", ConflictPolicy::Fail).await, "bob renames the folder");
    denied(bob.move_entry("/alice/docs", "/bob", ConflictPolicy::Fail).await, "bob moves the folder");
    denied(bob.delete("/alice", true).await, "bob deletes the folder");
    denied(alice.delete("/bob", true).await, "alice deletes bob's folder");

    // Nobody plants files in another user's folder...
    let planted = bob.upload_bytes(data.slice(..10), "/alice/docs/from-bob.txt", &UploadOptions::default()).await;
    denied(planted, "bob adds a file to alice's folder");
    // ...unless invited to write there, and the folder stays alice's to rename.
    alice.share("/alice/docs", "bob", ShareLevel::ReadWrite).await.unwrap();
    bob.upload_bytes(data.slice(..10), "/alice/docs/from-bob.txt", &UploadOptions::default()).await.unwrap();
    alice.rename("/alice/docs", "papers", ConflictPolicy::Fail).await.unwrap();
    alice.rename("/alice/papers", "docs", ConflictPolicy::Fail).await.unwrap();
    assert_eq!(alice.read_range("/alice/docs/a.txt", 0, 0).await.unwrap(), data);

    // An administrator may do all of it.
    assert_eq!(admin.read_range("/alice/docs/a.txt", 0, 0).await.unwrap(), data);
    admin.rename("/alice/docs/a.txt", "b.txt", ConflictPolicy::Fail).await.unwrap();
    admin.move_entry("/alice/docs/b.txt", "/bob", ConflictPolicy::Fail).await.unwrap();
    admin.delete("/alice", true).await.unwrap();
    assert_eq!(names(&bob, "/").await, ["bob"]);
    assert_eq!(alice.read_range("/bob/b.txt", 0, 0).await.unwrap(), data, "the file is still alice's");
    server.shutdown().await;
}
