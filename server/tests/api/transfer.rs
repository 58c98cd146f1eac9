//! Uploads and reads: ranges, integrity, resume, expiry, restarts.

use std::time::Duration;

use bytes::Bytes;
use cordvault_client::proto::transfer_service_client::TransferServiceClient;
use cordvault_client::proto::{CommitUploadRequest, PutChunkRequest, QueryUploadRequest, StartUploadRequest};
use cordvault_client::{ConflictPolicy, ErrorCode, UploadOptions};
use cordvault_test_support::{Backend, TestServer, authed, backend_tests, channel, random_bytes, sha256_hex};

use crate::stored_objects;

backend_tests!(
    round_trip_with_parallel_streams,
    ranged_reads_match_the_plaintext,
    a_flipped_byte_is_data_loss,
    the_store_holds_no_plaintext,
    empty_files_work,
    chunks_in_any_order_then_commit,
    commit_refuses_missing_chunks_and_wrong_hashes,
    the_hash_may_come_at_commit,
    a_session_resumes_by_its_id_without_a_hash,
    resumed_upload_sends_only_missing_chunks,
    upload_survives_a_manager_restart,
    idle_sessions_expire_with_their_chunks,
    overwrite_replaces_content_and_purges_the_old,
);

async fn raw(server: &TestServer) -> TransferServiceClient<tonic::transport::Channel> {
    TransferServiceClient::new(channel(&server.url).await)
}

async fn round_trip_with_parallel_streams(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    admin.create_folder("/a/b").await.unwrap();
    let data = random_bytes(9 * 1024 * 1024 + 12345, 1);
    let options = UploadOptions { streams: 4, ..Default::default() };
    let report = admin.upload_bytes(data.clone(), "/a/b/file.bin", &options).await.unwrap();
    assert_eq!(report.entry.size, data.len() as u64);
    assert_eq!(report.entry.sha256, sha256_hex(&data));
    assert_eq!(report.chunks_sent, report.chunk_count);
    assert_eq!(report.entry.mime_type, "application/octet-stream");
    assert_eq!(admin.read_range("/a/b/file.bin", 0, 0).await.unwrap(), data);

    let taken = admin.upload_bytes(data.clone(), "/a/b/file.bin", &UploadOptions::default()).await.unwrap_err();
    assert_eq!(taken.code, ErrorCode::AlreadyExists, "{taken}");
    let renamed = UploadOptions { conflict: ConflictPolicy::Rename, ..Default::default() };
    let second = admin.upload_bytes(data.slice(..10), "/a/b/file.bin", &renamed).await.unwrap();
    assert_eq!(second.entry.path, "/a/b/file (1).bin");
    server.shutdown().await;
}

async fn ranged_reads_match_the_plaintext(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let chunk = server.config.chunk_size;
    let size = 3 * chunk + 777;
    let data = random_bytes(size as usize, 2);
    admin.upload_bytes(data.clone(), "/r.bin", &UploadOptions::default()).await.unwrap();

    // Every range below goes over one Read stream.
    let mut reader = admin.open_reader("/r.bin").await.unwrap();
    let expect = |offset: u64, len: u64| {
        let end = if len == 0 { size } else { (offset + len).min(size) };
        data.slice(offset as usize..end as usize)
    };
    for offset in [0, 1, 65_535, 65_536, chunk - 1, chunk, size - 1] {
        for len in [1, 2, 65_536, 200_000, 0] {
            let got = reader.read(offset, len).await.unwrap();
            assert!(got == expect(offset, len), "offset {offset} len {len}");
        }
    }
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..200 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let offset = state % size;
        let len = (state >> 20) % (2 * chunk) + 1;
        let got = reader.read(offset, len).await.unwrap();
        assert!(got == expect(offset, len), "offset {offset} len {len}");
    }
    assert!(reader.read(size, 10).await.unwrap().is_empty(), "reading at the end gives nothing");
    let past = reader.read(size + 1, 10).await.unwrap_err();
    assert_eq!(past.code, ErrorCode::OutOfRange, "{past}");
    server.shutdown().await;
}

async fn a_flipped_byte_is_data_loss(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let data = random_bytes(300_000, 3);
    admin.upload_bytes(data.clone(), "/t.bin", &UploadOptions::default()).await.unwrap();
    let objects = stored_objects(&server);
    assert_eq!(objects.len(), 1);
    let mut sealed = std::fs::read(&objects[0]).unwrap();
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x01;
    std::fs::write(&objects[0], &sealed).unwrap();

    let whole = admin.read_range("/t.bin", 0, 0).await.unwrap_err();
    assert_eq!(whole.code, ErrorCode::DataLoss, "{whole}");
    // Blocks away from the damage still read correctly.
    assert_eq!(admin.read_range("/t.bin", 0, 1000).await.unwrap(), data.slice(..1000));
    let local = tempfile::tempdir().unwrap();
    let download = admin.download_to("/t.bin", &local.path().join("t"), &Default::default()).await.unwrap_err();
    assert_eq!(download.code, ErrorCode::DataLoss, "{download}");
    server.shutdown().await;
}

async fn the_store_holds_no_plaintext(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let marker = b"CORDVAULT-PLAINTEXT-MARKER-7f3a";
    let data = Bytes::from(marker.repeat(100_000));
    admin.upload_bytes(data.clone(), "/secret-name-marker.txt", &UploadOptions::default()).await.unwrap();
    assert!(stored_objects(&server).len() > 1);
    for object in stored_objects(&server) {
        let sealed = std::fs::read(&object).unwrap();
        assert!(!sealed.windows(marker.len()).any(|w| w == marker), "plaintext in {}", object.display());
        assert!(!sealed.windows(18).any(|w| w == b"secret-name-marker"), "file name in {}", object.display());
    }
    assert_eq!(admin.read_range("/secret-name-marker.txt", 0, 0).await.unwrap(), data);
    server.shutdown().await;
}

async fn empty_files_work(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let report = admin.upload_bytes(Bytes::new(), "/empty", &UploadOptions::default()).await.unwrap();
    assert_eq!((report.entry.size, report.chunk_count), (0, 0));
    assert_eq!(report.entry.sha256, sha256_hex(b""));
    assert!(admin.read_range("/empty", 0, 0).await.unwrap().is_empty());
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("empty");
    admin.download_to("/empty", &target, &Default::default()).await.unwrap();
    assert_eq!(std::fs::metadata(&target).unwrap().len(), 0);
    server.shutdown().await;
}

/// Starts an upload over the raw API; returns (upload id, chunk count).
async fn start_raw(server: &TestServer, token: &str, path: &str, data: &[u8]) -> (String, u64) {
    let started = raw(server)
        .await
        .start_upload(authed(
            StartUploadRequest {
                path: path.into(),
                size: data.len() as u64,
                sha256: sha256_hex(data),
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner();
    (started.upload_id, started.chunk_count)
}

async fn put_raw(server: &TestServer, token: &str, upload_id: &str, data: &Bytes, index: u64) {
    let chunk = server.config.chunk_size;
    let start = (index * chunk) as usize;
    let end = (start + chunk as usize).min(data.len());
    let request = PutChunkRequest { upload_id: upload_id.into(), chunk_index: index, data: data.slice(start..end) };
    raw(server).await.put_chunk(authed(request, token)).await.unwrap();
}

async fn durable(server: &TestServer, token: &str, upload_id: &str) -> Result<Vec<u64>, tonic::Status> {
    let request = QueryUploadRequest { upload_id: upload_id.into() };
    Ok(raw(server).await.query_upload(authed(request, token)).await?.into_inner().durable_chunks)
}

async fn chunks_in_any_order_then_commit(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let data = random_bytes(5 * 1024 * 1024 + 5, 4);
    let (upload_id, count) = start_raw(&server, &token, "/shuffled.bin", &data).await;
    assert_eq!(count, 6);
    for index in [5, 2, 0, 4, 1, 3] {
        put_raw(&server, &token, &upload_id, &data, index).await;
    }
    assert_eq!(durable(&server, &token, &upload_id).await.unwrap(), vec![0, 1, 2, 3, 4, 5]);
    let commit = CommitUploadRequest { upload_id: upload_id.clone(), ..Default::default() };
    let entry = raw(&server).await.commit_upload(authed(commit, &token)).await.unwrap().into_inner().entry.unwrap();
    assert_eq!(entry.path, "/shuffled.bin");
    assert_eq!(admin.read_range("/shuffled.bin", 0, 0).await.unwrap(), data);
    let gone = durable(&server, &token, &upload_id).await.unwrap_err();
    assert_eq!(gone.code(), tonic::Code::NotFound, "a committed session is gone");
    server.shutdown().await;
}

async fn commit_refuses_missing_chunks_and_wrong_hashes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let data = random_bytes(3 * 1024 * 1024, 5);
    let (upload_id, _) = start_raw(&server, &token, "/partial.bin", &data).await;
    put_raw(&server, &token, &upload_id, &data, 1).await;
    let commit = || CommitUploadRequest { upload_id: upload_id.clone(), ..Default::default() };
    let missing = raw(&server).await.commit_upload(authed(commit(), &token)).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::FailedPrecondition);
    assert!(missing.message().contains("2 of 3 chunks are missing"), "{}", missing.message());
    assert_eq!(admin.stat("/partial.bin").await.unwrap_err().code, ErrorCode::NotFound);

    // Announce one hash, send other bytes.
    let mut other = data.to_vec();
    other[10] ^= 1;
    let other = Bytes::from(other);
    let request = StartUploadRequest {
        path: "/lying.bin".into(),
        size: data.len() as u64,
        sha256: sha256_hex(&data),
        ..Default::default()
    };
    let upload_id = raw(&server).await.start_upload(authed(request, &token)).await.unwrap().into_inner().upload_id;
    for index in 0..3 {
        put_raw(&server, &token, &upload_id, &other, index).await;
    }
    let request = CommitUploadRequest { upload_id: upload_id.clone(), ..Default::default() };
    let wrong = raw(&server).await.commit_upload(authed(request, &token)).await.unwrap_err();
    assert_eq!(wrong.code(), tonic::Code::InvalidArgument);
    assert!(wrong.message().contains("SHA-256"), "{}", wrong.message());
    assert_eq!(admin.stat("/lying.bin").await.unwrap_err().code, ErrorCode::NotFound);
    server.shutdown().await;
}

/// StartUpload without a hash; returns (upload id, resumed).
async fn start_unhashed(server: &TestServer, token: &str, path: &str, size: u64, resume: &str) -> (String, bool) {
    let request = StartUploadRequest { path: path.into(), size, resume_upload_id: resume.into(), ..Default::default() };
    let started = raw(server).await.start_upload(authed(request, token)).await.unwrap().into_inner();
    (started.upload_id, started.resumed)
}

async fn commit_with(server: &TestServer, token: &str, upload_id: &str, sha256: &str) -> Result<String, tonic::Status> {
    let request = CommitUploadRequest { upload_id: upload_id.into(), sha256: sha256.into() };
    let entry = raw(server).await.commit_upload(authed(request, token)).await?.into_inner().entry.unwrap();
    Ok(entry.sha256)
}

async fn the_hash_may_come_at_commit(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let data = random_bytes(3 * 1024 * 1024 + 3, 11);
    let (upload_id, resumed) = start_unhashed(&server, &token, "/late.bin", data.len() as u64, "").await;
    assert!(!resumed);
    for index in 0..4 {
        put_raw(&server, &token, &upload_id, &data, index).await;
    }
    let refused =
        [("", "must carry it"), ("xyz", "64 lower-case hex"), (&sha256_hex(b"other bytes"), "content SHA-256 is")];
    for (sha256, message) in refused {
        let err = commit_with(&server, &token, &upload_id, sha256).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{sha256:?}: {err}");
        assert!(err.message().contains(message), "{sha256:?}: {}", err.message());
        assert_eq!(admin.stat("/late.bin").await.unwrap_err().code, ErrorCode::NotFound);
    }
    // A wrong hash lost nothing: the right one commits the same session.
    let committed = commit_with(&server, &token, &upload_id, &sha256_hex(&data)).await.unwrap();
    assert_eq!(committed, sha256_hex(&data));
    assert_eq!(admin.stat("/late.bin").await.unwrap().sha256, sha256_hex(&data));
    assert_eq!(admin.read_range("/late.bin", 0, 0).await.unwrap(), data);

    // Announced at start, a different hash at commit is refused before any reading.
    let (upload_id, _) = start_raw(&server, &token, "/early.bin", &data).await;
    for index in 0..4 {
        put_raw(&server, &token, &upload_id, &data, index).await;
    }
    let err = commit_with(&server, &token, &upload_id, &sha256_hex(b"x")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("StartUpload announced"), "{}", err.message());
    assert_eq!(commit_with(&server, &token, &upload_id, &sha256_hex(&data)).await.unwrap(), sha256_hex(&data));
    server.shutdown().await;
}

async fn a_session_resumes_by_its_id_without_a_hash(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let data = random_bytes(4 * 1024 * 1024, 12);
    let size = data.len() as u64;
    let (upload_id, _) = start_unhashed(&server, &token, "/r.bin", size, "").await;
    for index in [0, 2] {
        put_raw(&server, &token, &upload_id, &data, index).await;
    }

    let (resumed_id, resumed) = start_unhashed(&server, &token, "/r.bin", size, &upload_id).await;
    assert_eq!((resumed_id.as_str(), resumed), (upload_id.as_str(), true));
    assert_eq!(durable(&server, &token, &upload_id).await.unwrap(), vec![0, 2]);

    // The id must fit the request; an unknown id or another user's starts afresh.
    let refused = [
        ("/other.bin", size, upload_id.as_str(), "another path or size"),
        ("/r.bin", size + 1, upload_id.as_str(), "another path or size"),
        ("/r.bin", size, "../../etc", "not an upload id"),
    ];
    for (path, size, resume, message) in refused {
        let request =
            StartUploadRequest { path: path.into(), size, resume_upload_id: resume.into(), ..Default::default() };
        let err = raw(&server).await.start_upload(authed(request, &token)).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{path} {size} {resume}");
        assert!(err.message().contains(message), "{}", err.message());
    }
    let (fresh_id, resumed) = start_unhashed(&server, &token, "/r.bin", size, &"0".repeat(32)).await;
    assert!(!resumed);
    assert_ne!(fresh_id, upload_id);
    let bob = server.user("bob").await;
    let bob_token = bob.token().unwrap().to_owned();
    let (bobs_id, resumed) = start_unhashed(&server, &bob_token, "/r.bin", size, &upload_id).await;
    assert!(!resumed, "bob cannot take over alice's session");
    assert_ne!(bobs_id, upload_id);
    assert!(durable(&server, &bob_token, &bobs_id).await.unwrap().is_empty());

    for index in [1, 3] {
        put_raw(&server, &token, &upload_id, &data, index).await;
    }
    commit_with(&server, &token, &upload_id, &sha256_hex(&data)).await.unwrap();
    assert_eq!(admin.read_range("/r.bin", 0, 0).await.unwrap(), data);
    server.shutdown().await;
}

async fn resumed_upload_sends_only_missing_chunks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let data = random_bytes(8 * 1024 * 1024, 6);
    let (upload_id, count) = start_raw(&server, &token, "/resume.bin", &data).await;
    for index in [0, 3, 7] {
        put_raw(&server, &token, &upload_id, &data, index).await;
    }
    let report = admin.upload_bytes(data.clone(), "/resume.bin", &UploadOptions::default()).await.unwrap();
    assert!(report.resumed);
    assert_eq!(report.upload_id, upload_id);
    assert_eq!(report.chunks_already_durable, 3);
    assert_eq!(report.chunks_sent, count - 3);
    assert_eq!(admin.read_range("/resume.bin", 0, 0).await.unwrap(), data);
    assert_eq!(stored_objects(&server).len() as u64, count, "no duplicate chunk objects");
    server.shutdown().await;
}

async fn upload_survives_a_manager_restart(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let data = random_bytes(6 * 1024 * 1024, 7);
    let (upload_id, count) = start_raw(&server, &token, "/restart.bin", &data).await;
    for index in [1, 2, 4] {
        put_raw(&server, &token, &upload_id, &data, index).await;
    }
    server.restart().await;
    let admin = server.anonymous().await.with_token(token.clone());
    assert_eq!(durable(&server, &token, &upload_id).await.unwrap(), vec![1, 2, 4]);
    let report = admin.upload_bytes(data.clone(), "/restart.bin", &UploadOptions::default()).await.unwrap();
    assert_eq!(report.chunks_sent, count - 3);
    assert_eq!(admin.read_range("/restart.bin", 0, 0).await.unwrap(), data);
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(stored_objects(&server).len() as u64, count, "no orphaned or duplicate chunks");
    server.shutdown().await;
}

async fn idle_sessions_expire_with_their_chunks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let idle_timeout = server.config.upload_idle_timeout;
    let admin = server.admin().await;
    let token = admin.token().unwrap().to_owned();
    let data = random_bytes(3 * 1024 * 1024, 8);
    let (upload_id, _) = start_raw(&server, &token, "/idle.bin", &data).await;
    put_raw(&server, &token, &upload_id, &data, 0).await;
    server.clock().advance(idle_timeout / 2);
    // A chunk keeps the session alive for another idle period.
    put_raw(&server, &token, &upload_id, &data, 2).await;
    server.clock().advance(idle_timeout / 2 + Duration::from_secs(1));
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(stored_objects(&server).len(), 2, "a session used within its idle time stays");
    server.clock().advance(idle_timeout);
    server.running().janitor.sweep().await.unwrap();
    assert!(stored_objects(&server).is_empty(), "idle session's chunks were not deleted");
    let gone = durable(&server, &token, &upload_id).await.unwrap_err();
    assert_eq!(gone.code(), tonic::Code::NotFound);
    server.shutdown().await;
}

async fn overwrite_replaces_content_and_purges_the_old(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = server.admin().await;
    let first = random_bytes(2 * 1024 * 1024, 9);
    let second = random_bytes(1024 * 1024 + 1, 10);
    let id = admin.upload_bytes(first, "/doc.bin", &UploadOptions::default()).await.unwrap().entry.id;
    let overwrite = UploadOptions { conflict: ConflictPolicy::Overwrite, ..Default::default() };
    let entry = admin.upload_bytes(second.clone(), "/doc.bin", &overwrite).await.unwrap().entry;
    assert_eq!(entry.id, id, "overwriting keeps the entry");
    assert_eq!(admin.read_range("/doc.bin", 0, 0).await.unwrap(), second);
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(stored_objects(&server).len(), 2, "the old content's chunks are gone");
    admin.delete("/doc.bin", false).await.unwrap();
    server.running().janitor.sweep().await.unwrap();
    assert_eq!(stored_objects(&server).len(), 2, "a trashed file keeps its chunks");
    assert_eq!(admin.empty_trash().await.unwrap(), 1);
    server.running().janitor.sweep().await.unwrap();
    assert!(stored_objects(&server).is_empty(), "a purged file's chunks are gone");
    server.shutdown().await;
}
