//! The manager and upload workers as real processes on loopback: spreading,
//! killing workers and the manager, refusing strangers. Every test runs on
//! SQLite and, when `CORDVAULT_TEST_POSTGRES` is set, on PostgreSQL.

use std::collections::HashSet;
use std::time::Duration;

use cordvault_client::proto::WatchWorkersRequest;
use cordvault_client::proto::watch_workers_response::Change;
use cordvault_client::proto::worker_service_client::WorkerServiceClient;
use cordvault_client::{Client, UploadOptions};
use cordvault_test_support::cluster::{ManagerProcess, WorkerProcess};
use cordvault_test_support::{Backend, authed, backend_tests, channel, random_bytes};

backend_tests!(
    uploads_spread_over_workers,
    a_killed_worker_hands_over_to_another,
    uploads_survive_a_manager_restart,
    a_wrong_password_is_refused,
    browsers_from_any_origin_may_call_manager_and_workers,
    workers_can_be_watched,
    a_silent_worker_is_dropped,
    a_worker_posts_in_its_own_discord_channel,
);

const CHUNK: &str = "1048576";

fn is_upload_worker(worker: &cordvault_client::proto::WorkerInfo) -> bool {
    worker.kind == cordvault_client::proto::WorkerKind::Upload as i32
}

/// Upload workers only: the manager also runs its in-process thumbnail worker.
async fn connected_workers(client: &Client, manager: &ManagerProcess) -> usize {
    let mut workers = WorkerServiceClient::new(channel(&manager.url).await);
    let request = authed(cordvault_client::proto::ListWorkersRequest {}, client.token().unwrap());
    workers.list_workers(request).await.unwrap().into_inner().workers.iter().filter(|w| is_upload_worker(w)).count()
}

async fn wait_for_workers(client: &Client, manager: &ManagerProcess, count: usize) {
    for _ in 0..200 {
        if connected_workers(client, manager).await == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{count} workers did not connect");
}

async fn uploads_spread_over_workers(backend: Backend) {
    let manager = ManagerProcess::start(&backend, &[("CHUNK_SIZE", CHUNK)]).await;
    let workers = [
        WorkerProcess::start(&manager, 1).await,
        WorkerProcess::start(&manager, 1).await,
        WorkerProcess::start(&manager, 1).await,
    ];
    let admin = manager.admin().await;
    wait_for_workers(&admin, &manager, 3).await;

    let mut uploads = tokio::task::JoinSet::new();
    for i in 0..20u64 {
        let admin = admin.clone();
        uploads.spawn(async move {
            let data = random_bytes(2 * 1024 * 1024 + 1000 * i as usize, i);
            let report = admin.upload_bytes(data.clone(), &format!("/spread-{i}.bin"), &UploadOptions::default()).await;
            (i, data, report.expect("upload"))
        });
    }
    let mut endpoints = HashSet::new();
    while let Some(result) = uploads.join_next().await {
        let (i, data, report) = result.unwrap();
        endpoints.extend(report.attempts.iter().map(|attempt| attempt.endpoint.clone()));
        assert_eq!(admin.read_range(&format!("/spread-{i}.bin"), 0, 0).await.unwrap(), data, "upload {i}");
    }
    let expected: HashSet<String> = workers.iter().map(|worker| worker.url.clone()).collect();
    assert_eq!(endpoints, expected, "every worker took uploads, and only workers did");
}

async fn a_killed_worker_hands_over_to_another(backend: Backend) {
    let manager = ManagerProcess::start(&backend, &[("CHUNK_SIZE", CHUNK)]).await;
    let mut first = WorkerProcess::start(&manager, 1).await;
    let admin = manager.admin().await;
    wait_for_workers(&admin, &manager, 1).await;
    let second = WorkerProcess::start(&manager, 1).await;
    wait_for_workers(&admin, &manager, 2).await;

    let data = random_bytes(48 * 1024 * 1024, 7);
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let progress_acked = acked.clone();
    let options = UploadOptions {
        streams: 2,
        progress: Some(std::sync::Arc::new(move |progress: cordvault_client::Progress| {
            progress_acked.store(progress.done, std::sync::atomic::Ordering::Relaxed);
        })),
        ..Default::default()
    };
    let upload = {
        let (admin, data) = (admin.clone(), data.clone());
        tokio::spawn(async move { admin.upload_bytes(data, "/big.bin", &options).await })
    };
    while acked.load(std::sync::atomic::Ordering::Relaxed) < 10 * 1024 * 1024 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Kill whichever worker took the upload.
    let mut workers = WorkerServiceClient::new(channel(&manager.url).await);
    let listed = workers
        .list_workers(authed(cordvault_client::proto::ListWorkersRequest {}, admin.token().unwrap()))
        .await
        .unwrap()
        .into_inner()
        .workers;
    let busy = listed.iter().find(|worker| worker.active_uploads > 0).expect("a busy worker").address.clone();
    if busy == first.url {
        first.kill();
    } else {
        assert_eq!(busy, second.url);
        drop(second);
    }

    let report = upload.await.unwrap().expect("the upload completes through the other worker");
    eprintln!("passes: {:?}", report.attempts);
    assert!(report.attempts.len() >= 2, "{:?}", report.attempts);
    assert_eq!(report.attempts[0].endpoint, busy);
    let last = report.attempts.last().unwrap();
    assert_ne!(last.endpoint, busy, "the last pass went to the surviving worker");
    for attempt in &report.attempts[1..] {
        assert!(attempt.durable_before > 0);
        assert_eq!(attempt.sent, report.chunk_count - attempt.durable_before, "only missing chunks are sent again");
    }
    assert_eq!(admin.read_range("/big.bin", 0, 0).await.unwrap(), data);
}

fn stored_objects(manager: &ManagerProcess) -> usize {
    let mut count = 0;
    for shard in std::fs::read_dir(manager.chunk_dir()).unwrap() {
        let shard = shard.unwrap();
        if shard.file_name() != "tmp" {
            count += std::fs::read_dir(shard.path()).unwrap().count();
        }
    }
    count
}

async fn uploads_survive_a_manager_restart(backend: Backend) {
    let settings = [
        ("CHUNK_SIZE", CHUNK),
        ("JANITOR_INTERVAL_SECS", "1"),
        ("ORPHAN_GRACE_SECS", "2"),
        ("HEARTBEAT_INTERVAL_SECS", "1"),
    ];
    let mut manager = ManagerProcess::start(&backend, &settings).await;
    let _worker = WorkerProcess::start(&manager, 1).await;
    let admin = manager.admin().await;
    wait_for_workers(&admin, &manager, 1).await;

    let data = random_bytes(40 * 1024 * 1024, 9);
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let progress_acked = acked.clone();
    let options = UploadOptions {
        streams: 2,
        max_retries: 12,
        progress: Some(std::sync::Arc::new(move |progress: cordvault_client::Progress| {
            progress_acked.store(progress.done, std::sync::atomic::Ordering::Relaxed);
        })),
        ..Default::default()
    };
    let upload = {
        let (admin, data) = (admin.clone(), data.clone());
        tokio::spawn(async move { admin.upload_bytes(data, "/restart.bin", &options).await })
    };
    while acked.load(std::sync::atomic::Ordering::Relaxed) < 8 * 1024 * 1024 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    manager.restart().await;

    let report = upload.await.unwrap().expect("the upload completes after the restart");
    eprintln!("passes: {:?}", report.attempts);
    assert!(report.attempts.len() >= 2, "{:?}", report.attempts);
    let admin = manager.admin().await;
    assert_eq!(admin.read_range("/restart.bin", 0, 0).await.unwrap(), data);

    // After the clean-up sweep, the store holds exactly the file's chunks.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stored = stored_objects(&manager);
        if stored as u64 == report.chunk_count {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{stored} objects stored for {} chunks", report.chunk_count);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn a_wrong_password_is_refused(backend: Backend) {
    let manager = ManagerProcess::start(&backend, &[]).await;
    let mut stranger = WorkerProcess::start_with_password(&manager, 1, "not the password").await;
    let (status, stderr) = stranger.wait_exit(Duration::from_secs(20)).expect("the refused worker exits");
    assert!(!status.success());
    assert!(stderr.contains("refused") && stderr.contains("wrong service password"), "{stderr}");

    let admin = manager.admin().await;
    assert_eq!(connected_workers(&admin, &manager).await, 0);
    // With no worker, the manager takes uploads itself: nothing was assigned away.
    let report = admin.upload_bytes(random_bytes(1000, 1), "/local.bin", &UploadOptions::default()).await.unwrap();
    assert!(report.attempts.iter().all(|attempt| attempt.endpoint.is_empty()), "{:?}", report.attempts);
}

async fn workers_can_be_watched(backend: Backend) {
    let manager = ManagerProcess::start(&backend, &[]).await;
    let first = WorkerProcess::start(&manager, 2).await;
    let admin = manager.admin().await;
    wait_for_workers(&admin, &manager, 1).await;

    let mut client = WorkerServiceClient::new(channel(&manager.url).await);
    let mut events =
        client.watch_workers(authed(WatchWorkersRequest {}, admin.token().unwrap())).await.unwrap().into_inner();
    let (change, worker) = next_event(&mut events).await;
    assert_eq!((change, worker.address.as_str(), worker.capacity), (Change::Present, first.url.as_str(), 2));

    let mut second = WorkerProcess::start(&manager, 1).await;
    let (change, worker) = next_event(&mut events).await;
    assert_eq!((change, worker.address), (Change::Joined, second.url.clone()));
    second.kill();
    let (change, worker) = next_event(&mut events).await;
    assert_eq!((change, worker.address), (Change::Left, second.url.clone()));
}

/// The next event about an upload worker.
async fn next_event(
    events: &mut tonic::Streaming<cordvault_client::proto::WatchWorkersResponse>,
) -> (Change, cordvault_client::proto::WorkerInfo) {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), events.message()).await.unwrap().unwrap().unwrap();
        let worker = event.worker.unwrap();
        if is_upload_worker(&worker) {
            return (Change::try_from(event.change).unwrap(), worker);
        }
    }
}

async fn a_silent_worker_is_dropped(backend: Backend) {
    let manager = ManagerProcess::start(&backend, &[("HEARTBEAT_INTERVAL_SECS", "1"), ("CHUNK_SIZE", CHUNK)]).await;
    let frozen = WorkerProcess::start(&manager, 1).await;
    let admin = manager.admin().await;
    wait_for_workers(&admin, &manager, 1).await;

    // A stopped process keeps its connection open but sends no heartbeats.
    frozen.signal("STOP");
    wait_for_workers(&admin, &manager, 0).await;
    let live = WorkerProcess::start(&manager, 1).await;
    wait_for_workers(&admin, &manager, 1).await;
    let data = random_bytes(3 * 1024 * 1024, 3);
    let report = admin.upload_bytes(data.clone(), "/after.bin", &UploadOptions::default()).await.unwrap();
    assert_eq!(report.attempts.last().unwrap().endpoint, live.url, "the upload went to the live worker");
    assert_eq!(admin.read_range("/after.bin", 0, 0).await.unwrap(), data);

    // Woken up, it notices it was dropped and joins again.
    frozen.signal("CONT");
    wait_for_workers(&admin, &manager, 2).await;
}

async fn a_worker_posts_in_its_own_discord_channel(backend: Backend) {
    use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await;
    let config = emulator.emulator.config().clone();
    let (managers_channel, workers_channel) = (config.channels[0].to_string(), config.channels[1].to_string());
    let settings = [
        ("CHUNK_SIZE", CHUNK),
        ("CHUNK_STORE", "discord"),
        ("DISCORD_BOT_TOKEN", config.tokens[0].as_str()),
        ("DISCORD_CHANNEL_IDS", managers_channel.as_str()),
        ("DISCORD_API_BASE", emulator.url.as_str()),
    ];
    let manager = ManagerProcess::start(&backend, &settings).await;
    let worker = WorkerProcess::start_with_env(&manager, 1, &[("DISCORD_CHANNEL_IDS", workers_channel.as_str())]).await;
    let admin = manager.admin().await;
    wait_for_workers(&admin, &manager, 1).await;

    let data = random_bytes(3 * 1024 * 1024, 4);
    let report = admin.upload_bytes(data.clone(), "/own-channel.bin", &UploadOptions::default()).await.unwrap();
    assert_eq!(report.attempts.last().unwrap().endpoint, worker.url);
    assert_eq!(admin.read_range("/own-channel.bin", 0, 0).await.unwrap(), data);
    let messages = emulator.emulator.messages();
    assert_eq!(messages.len(), 3);
    assert!(messages.iter().all(|message| message.channel_id == config.channels[1]), "the worker used its own channel");
}

/// One HTTP/1.1 request to PutChunk as a browser on another origin sends
/// it; returns the whole response, lower-cased.
async fn browser_request(base_url: &str, method: &str, headers: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base_url.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "{method} /cordvault.v1.TransferService/PutChunk HTTP/1.1\r\nHost: {host}\r\nOrigin: http://ui.example\r\n\
         {headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body).await.unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).to_ascii_lowercase()
}

async fn browsers_from_any_origin_may_call_manager_and_workers(backend: Backend) {
    let manager = ManagerProcess::start(&backend, &[]).await;
    let worker = WorkerProcess::start(&manager, 1).await;
    let admin = manager.admin().await;
    wait_for_workers(&admin, &manager, 1).await;
    for url in [&manager.url, &worker.url] {
        let preflight = "Access-Control-Request-Method: POST\r\n\
                         Access-Control-Request-Headers: authorization,content-type,x-grpc-web\r\n";
        let head = browser_request(url, "OPTIONS", preflight, b"").await;
        assert!(head.starts_with("http/1.1 200"), "{url}: {head}");
        assert!(head.contains("access-control-allow-origin: *"), "{url}: {head}");
        // The requested headers by name: `*` would not cover Authorization.
        assert!(head.contains("access-control-allow-headers: authorization,content-type,x-grpc-web"), "{url}: {head}");
        // The call itself (an empty PutChunk, refused for want of a token):
        // the browser may read the gRPC status only if it is exposed.
        let grpc_web = "Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n";
        let answer = browser_request(url, "POST", grpc_web, &[0, 0, 0, 0, 0]).await;
        assert!(answer.contains("access-control-allow-origin: *"), "{url}: {answer}");
        assert!(answer.contains("access-control-expose-headers: grpc-status,grpc-message"), "{url}: {answer}");
        assert!(answer.contains("grpc-status: 16"), "{url}: unauthenticated expected: {answer}");
    }
}
