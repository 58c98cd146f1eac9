//! Data packages that are not fetched by link: a zip streamed by its owner
//! (UploadPackage) and a zip already stored in cordvault
//! (SubmitStoredPackage). Both need a signed-in user; an upload's chunks
//! are sealed under a key derived from the package key and leave the store
//! once the analysis ends or the package is deleted.

use std::path::Path;
use std::time::Duration;

use cordvault_client::proto as pb;
use cordvault_client::{Client, ErrorCode, UploadOptions};
use cordvault_core::package::PackageKey;
use cordvault_test_support::package_gen::{Expected, PackageLayout, PackageSpec, generate, read_tables};
use cordvault_test_support::{Backend, TestServer, backend_tests};

use crate::stored_objects;

backend_tests!(
    an_uploaded_zip_is_analysed_and_then_leaves_the_store,
    a_stored_zip_is_analysed_for_a_reader_only,
    uploads_are_checked_and_bounded,
);

async fn wait_processed(client: &Client, key: &PackageKey) -> pb::PackageStatus {
    for _ in 0..600 {
        let status = client.package_status(key).await.unwrap();
        if status.step() == pb::PackageStep::Processed || status.errored {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the package was not processed in a minute");
}

/// The fetched result opened, compared with what the generator made.
async fn assert_result(client: &Client, key: &PackageKey, expected: Expected, work: &Path) {
    let result = client.fetch_package(key).await.unwrap();
    let mut database = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&result.gzipped_database[..]), &mut database).unwrap();
    let path = work.join("result.sqlite");
    std::fs::write(&path, database).unwrap();
    expected.with_package_id(key.package_id().as_str()).assert_matches(&read_tables(&path));
}

fn start_analysis_worker(server: &TestServer) -> cordvault_analysis_worker::RunningWorker {
    let work_dir = server.data_dir().join("analysis-external");
    let config = cordvault_analysis_worker::WorkerConfig::new(server.url.clone(), server.service_password(), work_dir);
    cordvault_analysis_worker::start(config)
}

async fn an_uploaded_zip_is_analysed_and_then_leaves_the_store(backend: Backend) {
    // No analysis worker yet: the uploaded zip waits in the store.
    let server = TestServer::start_with(backend, |config| config.in_process_analysis = false).await;
    let alice = server.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    // Over a megabyte (the test chunk size): the zip spans several chunks.
    let spec = PackageSpec { messages: 50_000, ..PackageSpec::small(61, PackageLayout::Current) };
    let expected = generate(&spec, &zip).unwrap();
    let zip_bytes = std::fs::read(&zip).unwrap();
    assert!(zip_bytes.len() > 1024 * 1024, "the zip spans chunks: {} bytes", zip_bytes.len());

    let key = PackageKey::generate();
    let (id, queued) = alice.upload_package(&zip, &key).await.unwrap();
    assert!(queued);
    assert_eq!(id, key.package_id().as_str());
    // Uploading it again queues nothing and stores nothing more.
    let objects = stored_objects(&server);
    assert_eq!(objects.len() as u64, (zip_bytes.len() as u64).div_ceil(1024 * 1024));
    assert_eq!(alice.upload_package(&zip, &key).await.unwrap(), (id.clone(), false));
    assert_eq!(stored_objects(&server).len(), objects.len());
    // The stored chunks are sealed: the zip's file names do not show.
    for object in &objects {
        let stored = std::fs::read(object).unwrap();
        assert!(!stored.windows(9).any(|window| window == b"user.json"), "{} holds plaintext", object.display());
    }
    let status = alice.package_status(&key).await.unwrap();
    assert_eq!(status.step(), pb::PackageStep::Locked);

    let worker = start_analysis_worker(&server);
    let status = wait_processed(&alice, &key).await;
    assert!(!status.errored, "{status:?}");
    assert_result(&alice, &key, expected, work.path()).await;
    // The zip is not needed any more: the janitor removes its chunks.
    server.running().janitor.sweep().await.unwrap();
    assert!(stored_objects(&server).is_empty(), "the uploaded zip left the store");
    assert!(server.check(false).await.unwrap().missing.is_empty());

    // Deleting a waiting upload removes its chunks too.
    worker.shutdown();
    let second = PackageKey::generate();
    alice.upload_package(&zip, &second).await.unwrap();
    assert!(!stored_objects(&server).is_empty());
    assert!(alice.delete_package(&second).await.unwrap());
    server.running().janitor.sweep().await.unwrap();
    assert!(stored_objects(&server).is_empty(), "a deleted upload leaves nothing");
    server.shutdown().await;
}

async fn a_stored_zip_is_analysed_for_a_reader_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    let expected = generate(&PackageSpec::small(62, PackageLayout::Legacy), &zip).unwrap();
    alice.create_folder("/discord").await.unwrap();
    alice.upload_file(&zip, "/discord/package.zip", &UploadOptions::default()).await.unwrap();

    // Bob may not read Alice's file; a folder is not a zip; nobody signed in gets nothing.
    let key = PackageKey::generate();
    let refused = bob.submit_stored_package("/discord/package.zip", &key).await.unwrap_err();
    assert!(matches!(refused.code, ErrorCode::PermissionDenied | ErrorCode::NotFound), "{refused}");
    let folder = alice.submit_stored_package("/discord", &key).await.unwrap_err();
    assert_eq!(folder.code, ErrorCode::FailedPrecondition, "{folder}");
    let anonymous = server.anonymous().await.submit_stored_package("/discord/package.zip", &key).await;
    assert_eq!(anonymous.unwrap_err().code, ErrorCode::Unauthenticated);
    let short = PackageKey::parse("short").unwrap();
    let weak = alice.submit_stored_package("/discord/package.zip", &short).await.unwrap_err();
    assert_eq!(weak.code, ErrorCode::InvalidArgument, "{weak}");
    for refused in [PackageKey::generate(), key.clone()] {
        assert!(matches!(bob.package_status(&refused).await.unwrap_err().code, ErrorCode::NotFound));
    }

    let (id, queued) = alice.submit_stored_package("/discord/package.zip", &key).await.unwrap();
    assert!(queued);
    assert_eq!(id, key.package_id().as_str());
    let status = wait_processed(&alice, &key).await;
    assert!(!status.errored, "{status:?}");
    // The key alone opens the result, for anyone who holds it.
    assert_result(&bob, &key, expected, work.path()).await;
    // Alice's file is untouched.
    assert_eq!(alice.stat("/discord/package.zip").await.unwrap().size, std::fs::metadata(&zip).unwrap().len());
    server.shutdown().await;
}

async fn uploads_are_checked_and_bounded(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.in_process_analysis = false;
        config.packages.max_package_bytes = 3 * 1024 * 1024;
    })
    .await;
    let alice = server.user("alice").await;
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("package.zip");
    generate(&PackageSpec::small(63, PackageLayout::Current), &zip).unwrap();
    let size = std::fs::metadata(&zip).unwrap().len();
    let zip_bytes = bytes::Bytes::from(std::fs::read(&zip).unwrap());
    let mut packages = alice.signed_in_packages().unwrap();

    // Sizes that do not match what is sent, an empty zip, one over the limit.
    let send = |key: String, size: u64, data: Vec<bytes::Bytes>| {
        let first = pb::UploadPackageRequest { key, size, data: bytes::Bytes::new() };
        let rest = data.into_iter().map(|data| pb::UploadPackageRequest { data, ..Default::default() });
        futures::stream::iter(std::iter::once(first).chain(rest))
    };
    let key = || PackageKey::generate().expose().to_owned();
    let cases = [
        (key(), size + 10, vec![zip_bytes.clone()], "ended after"),
        (key(), size - 10, vec![zip_bytes.clone()], "longer than"),
        (key(), 0, vec![], "empty"),
        (key(), 4 * 1024 * 1024, vec![], "limit"),
        ("short".to_owned(), size, vec![zip_bytes.clone()], "characters"),
    ];
    for (key, size, data, reason) in cases {
        let refused = packages.upload_package(send(key, size, data)).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
        assert!(refused.message().contains(reason), "{reason}: {}", refused.message());
    }
    // A stream that ends before its first message says nothing to go on.
    let nothing = packages.upload_package(futures::stream::iter(Vec::<pb::UploadPackageRequest>::new())).await;
    let refused = nothing.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("first message"), "{}", refused.message());
    // Paths that are not cordvault paths are refused before anything is read.
    for path in ["", "relative/package.zip", "/discord/../package.zip", "/a\0b"] {
        let refused = alice.submit_stored_package(path, &PackageKey::generate()).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidArgument, "{path:?}: {refused}");
    }
    // Nothing of those uploads stays: the janitor takes their chunks.
    server.running().janitor.sweep().await.unwrap();
    assert!(stored_objects(&server).is_empty());
    // Nobody signed in may upload.
    let mut anonymous = server.anonymous().await.packages();
    let refused = anonymous.upload_package(send(key(), size, vec![zip_bytes.clone()])).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    // A user has at most three packages waiting.
    for _ in 0..3 {
        alice.upload_package(&zip, &PackageKey::generate()).await.unwrap();
    }
    let fourth = alice.upload_package(&zip, &PackageKey::generate()).await.unwrap_err();
    assert_eq!(fourth.code, ErrorCode::ResourceExhausted, "{fourth}");
    // Another user is not held back by Alice's.
    let bob = server.user("bob").await;
    bob.upload_package(&zip, &PackageKey::generate()).await.unwrap();

    // A stream split into many small messages is put back together.
    let carol = server.user("carol").await;
    let mut packages = carol.signed_in_packages().unwrap();
    let pieces: Vec<bytes::Bytes> = zip_bytes.chunks(777).map(bytes::Bytes::copy_from_slice).collect();
    let carol_key = PackageKey::generate();
    let answer = packages.upload_package(send(carol_key.expose().to_owned(), size, pieces)).await.unwrap().into_inner();
    assert!(answer.queued);
    server.shutdown().await;
}
