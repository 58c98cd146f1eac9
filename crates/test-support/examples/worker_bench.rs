//! Aggregate upload throughput through 1, 2 and 4 upload worker processes:
//! 8 concurrent uploads of 256 MiB each, encryption on, over loopback.
//!
//! ```text
//! cargo build --release -p cordvault-server -p cordvault-upload-worker
//! CORDVAULT_BIN_DIR=target/release cargo run --release -p cordvault-test-support --example worker_bench
//! ```

use std::time::{Duration, Instant};

use cordvault_client::{Client, UploadOptions};
use cordvault_test_support::Backend;
use cordvault_test_support::cluster::{ManagerProcess, WorkerProcess};

const UPLOADS: usize = 8;
const SIZE_MIB: usize = 256;

async fn connected_workers(client: &Client, manager: &ManagerProcess) -> usize {
    use cordvault_client::proto::ListWorkersRequest;
    use cordvault_client::proto::worker_service_client::WorkerServiceClient;
    let mut workers = WorkerServiceClient::new(cordvault_test_support::channel(&manager.url).await);
    let request = cordvault_test_support::authed(ListWorkersRequest {}, client.token().unwrap());
    workers.list_workers(request).await.map(|r| r.into_inner().workers.len()).unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::var_os("CORDVAULT_BIN_DIR").is_none() {
        anyhow::bail!("set CORDVAULT_BIN_DIR=target/release (after building the release binaries)");
    }
    let payloads: Vec<bytes::Bytes> =
        (0..UPLOADS).map(|i| cordvault_test_support::random_bytes(SIZE_MIB * 1024 * 1024, i as u64 + 1)).collect();
    let total_bytes = (UPLOADS * SIZE_MIB * 1024 * 1024) as f64;
    println!("{UPLOADS} concurrent uploads of {SIZE_MIB} MiB, 4 MiB chunks, 2 streams each, encryption on");
    for worker_count in [1, 2, 4] {
        let manager = ManagerProcess::start(&Backend::Sqlite, &[("CHUNK_SIZE", "4194304")]).await;
        let mut workers = Vec::new();
        for _ in 0..worker_count {
            workers.push(WorkerProcess::start(&manager, 2).await);
        }
        let admin = manager.admin().await;
        while connected_workers(&admin, &manager).await < worker_count {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let started = Instant::now();
        let mut uploads = tokio::task::JoinSet::new();
        for (i, payload) in payloads.iter().enumerate() {
            let (admin, payload) = (admin.clone(), payload.clone());
            uploads.spawn(async move {
                let options = UploadOptions { streams: 2, ..Default::default() };
                admin.upload_bytes(payload, &format!("/bench-{i}.bin"), &options).await
            });
        }
        let mut endpoints = std::collections::HashSet::new();
        while let Some(result) = uploads.join_next().await {
            let report = result??;
            endpoints.extend(report.attempts.into_iter().map(|attempt| attempt.endpoint));
        }
        let elapsed = started.elapsed();
        println!(
            "{worker_count} worker(s): {:7.1} MB/s aggregate ({:.2} s; {} worker(s) took uploads)",
            total_bytes / 1e6 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            endpoints.len()
        );
    }
    Ok(())
}
