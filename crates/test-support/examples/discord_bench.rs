//! Upload throughput through the Discord store against the emulator under
//! Discord's limits (5 messages per 5 s per channel, 50 requests/s per token),
//! with 1, 4 and 16 channels, compared with the ceiling those limits allow.
//!
//! ```text
//! cargo run --release -p cordvault-test-support --example discord_bench
//! ```

use std::time::{Duration, Instant};

use cordvault_client::UploadOptions;
use cordvault_server::config::{DiscordConfig, StoreChoice};
use cordvault_test_support::discord::{EmulatorConfig, RunningEmulator};
use cordvault_test_support::{Backend, TestServer, random_bytes};

const CHUNK: u64 = 1024 * 1024;
const WINDOW: Duration = Duration::from_secs(5);
const PER_WINDOW: u64 = 5;
/// Windows' worth of messages each run sends.
const WINDOWS: u64 = 4;
const FILES: u64 = 8;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!(
        "Discord store, emulator limits: {PER_WINDOW} messages / {}s / channel, 50 requests/s, {} KiB chunks",
        WINDOW.as_secs(),
        CHUNK / 1024
    );
    for channels in [1u64, 4, 16] {
        let channel_ids: Vec<u64> = (0..channels).map(|i| 1_000_000_000_000_001 + i).collect();
        let emulator = RunningEmulator::start(EmulatorConfig {
            channels: channel_ids.clone(),
            messages_per_window: PER_WINDOW as u32,
            message_window: WINDOW,
            requests_per_second: 50,
            ..Default::default()
        })
        .await;
        let store = DiscordConfig {
            tokens: emulator.emulator.config().tokens.clone(),
            channels: channel_ids,
            api_base: Some(emulator.url.clone()),
            keep_messages: false,
        };
        let server = TestServer::start_with(Backend::Sqlite, |config| {
            config.chunk_size = CHUNK;
            config.store = StoreChoice::Discord(store);
        })
        .await;
        let admin = server.admin().await;
        // Let the start-up probes' windows pass.
        tokio::time::sleep(WINDOW + Duration::from_millis(500)).await;

        let messages = channels * PER_WINDOW * WINDOWS;
        let per_file = messages / FILES.min(messages);
        let files = messages / per_file;
        let started = Instant::now();
        let mut uploads = tokio::task::JoinSet::new();
        for i in 0..files {
            let admin = admin.clone();
            uploads.spawn(async move {
                let data = random_bytes((per_file * CHUNK) as usize, i + 1);
                let options = UploadOptions { streams: 8, ack_timeout: Duration::from_secs(300), ..Default::default() };
                admin.upload_bytes(data, &format!("/bench-{i}.bin"), &options).await
            });
        }
        while let Some(result) = uploads.join_next().await {
            result??;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let sent = files * per_file;
        // The fastest the limits allow: full windows back to back, the last one
        // needing no wait after it.
        let windows_needed = sent.div_ceil(channels * PER_WINDOW);
        let minimum = ((windows_needed - 1) * WINDOW.as_secs()) as f64;
        let ceiling = sent as f64 * CHUNK as f64 / 1e6 / minimum.max(0.001);
        let achieved = sent as f64 * CHUNK as f64 / 1e6 / elapsed;
        println!(
            "{channels:2} channel(s): {sent:4} chunks in {elapsed:5.1} s = {achieved:6.2} MB/s; ceiling {ceiling:6.2} MB/s; {:5.1} % of it; {} violations",
            100.0 * achieved / ceiling,
            emulator.emulator.violations()
        );
        for violation in emulator.emulator.violation_log().iter().take(3) {
            println!("   violation: {violation}");
        }
        server.shutdown().await;
    }
    Ok(())
}
