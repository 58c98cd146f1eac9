//! The Discord chunk store against the Discord API emulator: serenity's real
//! HTTP code path, signed expiring URLs, rate limits and injected faults.

use std::time::Duration;

use bytes::Bytes;
use cordvault_client::UploadOptions;
use cordvault_server::ServerConfig;
use cordvault_server::config::{DiscordConfig, StoreChoice};
use cordvault_store::{ChunkLocator, ChunkStore, DiscordStore, StoreError, conformance};
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
use cordvault_test_support::{Backend, TestServer, backend_tests, random_bytes};

backend_tests!(
    files_round_trip_through_discord_while_urls_expire,
    faults_and_rate_limits_are_survived,
    nothing_readable_reaches_discord,
    check_finds_missing_and_orphaned_chunks,
    bad_discord_settings_stop_start_up,
    purged_chunks_leave_discord_unless_kept,
);

fn store_config(emulator: &RunningEmulator) -> DiscordConfig {
    DiscordConfig {
        tokens: emulator.emulator_tokens(),
        channels: emulator.channels(),
        api_base: Some(emulator.url.clone()),
        keep_messages: false,
    }
}

trait EmulatorSettings {
    fn emulator_tokens(&self) -> Vec<String>;
    fn channels(&self) -> Vec<u64>;
}

impl EmulatorSettings for RunningEmulator {
    fn emulator_tokens(&self) -> Vec<String> {
        self.emulator.config().tokens.clone()
    }
    fn channels(&self) -> Vec<u64> {
        self.emulator.config().channels.clone()
    }
}

fn options(emulator: &RunningEmulator, chunk_size: u64) -> impl FnOnce(&mut ServerConfig) {
    discord_store(store_config(emulator), chunk_size)
}

fn discord_store(store: DiscordConfig, chunk_size: u64) -> impl FnOnce(&mut ServerConfig) {
    move |config| {
        config.chunk_size = chunk_size;
        config.store = StoreChoice::Discord(store);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_store_conforms() {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await;
    let store = DiscordStore::new(store_config(&emulator)).unwrap();
    store.verify().await.unwrap();
    conformance::run_all(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_attachments_are_a_clear_error() {
    let config = EmulatorConfig { max_attachment_bytes: 1024 * 1024, ..Default::default() };
    let emulator = RunningEmulator::start(config).await;
    let store = DiscordStore::new(store_config(&emulator)).unwrap();
    match store.put(Bytes::from(vec![0u8; 2 * 1024 * 1024])).await {
        Err(StoreError::Misconfigured(message)) => assert!(message.contains("40005"), "{message}"),
        other => panic!("an attachment over the limit gave {other:?}"),
    }
}

async fn files_round_trip_through_discord_while_urls_expire(backend: Backend) {
    let config = EmulatorConfig { url_lifetime: Duration::from_secs(2), ..Default::default() };
    let emulator = RunningEmulator::start(config).await;
    let server = TestServer::start_with(backend, options(&emulator, 1024 * 1024)).await;
    let admin = server.admin().await;
    let data = random_bytes(12 * 1024 * 1024 + 777, 5);
    admin.upload_bytes(data.clone(), "/big.bin", &UploadOptions::default()).await.unwrap();
    for i in 0..40 {
        admin
            .upload_bytes(random_bytes(i * 100, i as u64), &format!("/small-{i}"), &UploadOptions::default())
            .await
            .unwrap();
    }
    let mut reader = admin.open_reader("/big.bin").await.unwrap();
    let size = data.len() as u64;
    let mut state = 0x1234_5678_9ABC_DEF1u64;
    let started = tokio::time::Instant::now();
    let mut reads = 0;
    // Keep reading past several URL lifetimes.
    while started.elapsed() < Duration::from_secs(5) || reads < 200 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let offset = state % size;
        let len = (state >> 24) % (3 * 1024 * 1024) + 1;
        let end = (offset + len).min(size);
        assert!(reader.read(offset, len).await.unwrap() == data.slice(offset as usize..end as usize));
        reads += 1;
        if reads % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    assert_eq!(admin.read_range("/big.bin", 0, 0).await.unwrap(), data);
    assert_eq!(admin.read_range("/small-39", 0, 0).await.unwrap(), random_bytes(3900, 39));
    server.shutdown().await;
}

async fn faults_and_rate_limits_are_survived(backend: Backend) {
    let config = EmulatorConfig {
        inject_429: 0.20,
        inject_5xx: 0.05,
        messages_per_window: 5,
        message_window: Duration::from_secs(1),
        requests_per_second: 50,
        ..Default::default()
    };
    let emulator = RunningEmulator::start(config).await;
    let server = TestServer::start_with(backend, options(&emulator, 256 * 1024)).await;
    let admin = server.admin().await;
    let mut uploads = tokio::task::JoinSet::new();
    for i in 0..10u64 {
        let admin = admin.clone();
        uploads.spawn(async move {
            let data = random_bytes(1024 * 1024 + 1000 * i as usize, 100 + i);
            let options = UploadOptions { max_retries: 20, ..Default::default() };
            admin.upload_bytes(data.clone(), &format!("/faulty-{i}.bin"), &options).await.expect("upload");
            (i, data)
        });
    }
    while let Some(result) = uploads.join_next().await {
        let (i, data) = result.unwrap();
        assert_eq!(admin.read_range(&format!("/faulty-{i}.bin"), 0, 0).await.unwrap(), data);
    }
    assert!(emulator.emulator.rate_limited() > 0, "the test must actually meet rate limits");
    assert_eq!(emulator.emulator.violations(), 0, "a request was sent before its retry_after");
    let running = server.running();
    let report = cordvault_server::check::check(&running.db, running.store.as_ref(), None).await.unwrap();
    assert!(report.missing.is_empty() && report.orphaned.is_empty(), "{report:?}");
    server.shutdown().await;
}

async fn nothing_readable_reaches_discord(backend: Backend) {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await;
    let server = TestServer::start_with(backend, options(&emulator, 256 * 1024)).await;
    let admin = server.admin().await;
    let marker = b"CORDVAULT-DISCORD-MARKER-5b1e";
    admin.create_folder("/secret-folder-marker").await.unwrap();
    let data = Bytes::from(marker.repeat(40_000));
    admin.upload_bytes(data, "/secret-folder-marker/secret-name-marker.txt", &UploadOptions::default()).await.unwrap();
    let messages = emulator.emulator.messages();
    assert!(messages.len() > 1);
    for message in messages {
        for text in [message.content.as_bytes(), message.filename.as_bytes(), &message.data[..]] {
            for needle in [&marker[..], b"secret-name-marker", b"secret-folder-marker", b".txt"] {
                assert!(
                    !text.windows(needle.len()).any(|w| w == needle),
                    "message {} leaks {:?}",
                    message.message_id,
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }
    server.shutdown().await;
}

async fn check_finds_missing_and_orphaned_chunks(backend: Backend) {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await;
    let mut server = TestServer::start_with(backend, options(&emulator, 256 * 1024)).await;
    let admin = server.admin().await;
    admin.upload_bytes(random_bytes(600 * 1024, 1), "/a.bin", &UploadOptions::default()).await.unwrap();
    let running = server.running();
    let clean = cordvault_server::check::check(&running.db, running.store.as_ref(), None).await.unwrap();
    assert!(clean.missing.is_empty() && clean.orphaned.is_empty(), "{clean:?}");

    let stray = running.store.put(Bytes::from_static(b"stray object")).await.unwrap();
    let recorded = running.db.all_locators().await.unwrap();
    running.store.delete(&ChunkLocator(recorded[0].clone())).await.unwrap();
    let report = cordvault_server::check::check(&running.db, running.store.as_ref(), None).await.unwrap();
    assert_eq!(report.missing, vec![recorded[0].clone()]);
    assert_eq!(report.orphaned, vec![stray.0.clone()]);
    let repair = Some(cordvault_server::check::Repair { orphan_grace: std::time::Duration::ZERO });
    let refused = cordvault_server::check::check(&running.db, running.store.as_ref(), repair).await.unwrap_err();
    assert!(refused.to_string().contains("a manager is running"), "{refused:#}");
    let (db, store) = (running.db.clone(), running.store.clone());
    server.stop().await;
    let repaired = cordvault_server::check::check(&db, store.as_ref(), repair).await.unwrap();
    assert_eq!(repaired.repaired, 1);
    let after = cordvault_server::check::check(&db, store.as_ref(), None).await.unwrap();
    assert!(after.orphaned.is_empty());
    server.shutdown().await;
}

async fn bad_discord_settings_stop_start_up(backend: Backend) {
    let emulator = RunningEmulator::start(EmulatorConfig::default()).await;
    let start = |config: DiscordConfig, chunk_size: u64| {
        let backend = backend.clone();
        async move {
            match TestServer::try_start_with(backend, discord_store(config, chunk_size)).await {
                Ok(_) => panic!("start-up should have failed"),
                Err(err) => format!("{err:#}"),
            }
        }
    };
    let bad_token = DiscordConfig { tokens: vec!["not-a-token".into()], ..store_config(&emulator) };
    let message = start(bad_token, 1024 * 1024).await;
    assert!(message.contains("DISCORD_BOT_TOKEN #1") && message.contains("401"), "{message}");

    let read_only =
        DiscordConfig { channels: emulator.emulator.config().read_only_channels.clone(), ..store_config(&emulator) };
    let message = start(read_only, 1024 * 1024).await;
    assert!(message.contains("cannot post in channel") && message.contains("50013"), "{message}");

    let unknown = DiscordConfig { channels: vec![42], ..store_config(&emulator) };
    let message = start(unknown, 1024 * 1024).await;
    assert!(message.contains("channel 42") && message.contains("50001"), "{message}");

    let message = start(store_config(&emulator), 10 * 1024 * 1024).await;
    assert!(message.contains("CHUNK_SIZE") && message.contains("attachment limit"), "{message}");
}

async fn purged_chunks_leave_discord_unless_kept(backend: Backend) {
    for keep_messages in [false, true] {
        let emulator = RunningEmulator::start(EmulatorConfig::default()).await;
        let store = DiscordConfig { keep_messages, ..store_config(&emulator) };
        let server = TestServer::start_with(backend.clone(), discord_store(store, 256 * 1024)).await;
        let admin = server.admin().await;
        admin.upload_bytes(random_bytes(700 * 1024, 2), "/gone.bin", &UploadOptions::default()).await.unwrap();
        let posted = emulator.emulator.messages().len();
        assert_eq!(posted, 3);
        admin.delete("/gone.bin", false).await.unwrap();
        server.running().janitor.sweep().await.unwrap();
        assert_eq!(emulator.emulator.messages().len(), posted, "trashed chunks stay until purged");
        admin.empty_trash().await.unwrap();
        server.running().janitor.sweep().await.unwrap();
        let left = emulator.emulator.messages().len();
        assert_eq!(left, if keep_messages { posted } else { 0 }, "keep_messages = {keep_messages}");
        server.shutdown().await;
    }
}
