//! Zip streaming through `/bulk-download` of a real manager process:
//! 10,000 small files (files/s and MB/s), then a multi-GiB folder while the
//! manager's resident memory is sampled.
//!
//! ```text
//! cargo build --release -p cordvault-server
//! cargo run --release -p cordvault-test-support --example zip_bench -- [SMALL_FILES] [BIG_GIB]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cordvault_client::{Client, UploadOptions};
use cordvault_test_support::bench::{Manager, mb_per_s, start_manager, status_mib};
use cordvault_test_support::random_bytes;
use futures::{StreamExt, TryStreamExt};

/// Streams the zip of `folder`, discarding it; returns its size.
async fn stream_zip(manager: &Manager, client: &Client, folder: &str) -> anyhow::Result<u64> {
    let response = reqwest::Client::new()
        .get(format!("{}/bulk-download", manager.url))
        .query(&[("path", folder)])
        .bearer_auth(client.token().unwrap_or_default())
        .send()
        .await?
        .error_for_status()?;
    let mut body = response.bytes_stream();
    let mut size = 0u64;
    while let Some(piece) = body.next().await {
        size += piece?.len() as u64;
    }
    Ok(size)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let small_files: u64 = args.next().map(|arg| arg.parse()).transpose()?.unwrap_or(10_000);
    let big_gib: u64 = args.next().map(|arg| arg.parse()).transpose()?.unwrap_or(3);
    let work = tempfile::tempdir()?;
    let manager = start_manager(&work.path().join("data")).await?;
    let client = Client::connect(&manager.url).await?;
    client.register("bench", "bench-password").await?;
    let client = client.with_token(client.login("bench", "bench-password").await?.token);

    // Small files, 4 KiB each, 100 per folder, uploaded 16 at a time.
    for folder in 0..small_files.div_ceil(100) {
        client.create_folder(&format!("/small/d{folder:03}")).await?;
    }
    client.create_folder("/big").await?;
    let started = Instant::now();
    futures::stream::iter(0..small_files)
        .map(|n| {
            let client = client.clone();
            async move {
                let path = format!("/small/d{:03}/f{n:05}.bin", n / 100);
                client.upload_bytes(random_bytes(4096, n), &path, &UploadOptions::default()).await.map(|_| ())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await?;
    let upload = started.elapsed();
    let started = Instant::now();
    let small_zip = stream_zip(&manager, &client, "/small").await?;
    let small = started.elapsed();

    // Big files: 1 GiB each, then their zip while RSS is sampled.
    for n in 0..big_gib {
        let source = work.path().join("big.bin");
        {
            use std::io::Write;
            let mut file = std::io::BufWriter::new(std::fs::File::create(&source)?);
            for block in 0..1024 {
                file.write_all(&random_bytes(1024 * 1024, n * 1024 + block + 1))?;
            }
            file.flush()?;
        }
        client.upload_file(&source, &format!("/big/part{n}.bin"), &UploadOptions::default()).await?;
    }
    let rss_before = manager.rss_mib()?;
    let streaming = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn({
        let streaming = streaming.clone();
        let pid = manager.pid();
        async move {
            let mut samples = Vec::new();
            while streaming.load(Ordering::Relaxed) {
                samples.push(status_mib(pid, "VmRSS:").ok());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            samples
        }
    });
    let started = Instant::now();
    let big_zip = stream_zip(&manager, &client, "/big").await?;
    let big = started.elapsed();
    streaming.store(false, Ordering::Relaxed);
    let samples: Vec<f64> = sampler.await?.into_iter().flatten().collect();
    let (low, high) = samples.iter().fold((f64::MAX, 0f64), |(low, high), rss| (low.min(*rss), high.max(*rss)));

    println!("small files          {small_files} × 4 KiB in 100-file folders, encryption on");
    println!("  upload             {:8.0} files/s", small_files as f64 / upload.as_secs_f64());
    println!(
        "  zip stream         {:8.0} files/s, {:.1} MB/s ({:.2} s, {small_zip} bytes)",
        small_files as f64 / small.as_secs_f64(),
        mb_per_s(small_zip, small),
        small.as_secs_f64()
    );
    println!("big files            {big_gib} × 1 GiB");
    println!("  zip stream         {:8.1} MB/s ({:.2} s, {big_zip} bytes)", mb_per_s(big_zip, big), big.as_secs_f64());
    println!(
        "  manager RSS        {rss_before:.1} MiB before; {low:.1} to {high:.1} MiB over {} samples while streaming",
        samples.len()
    );
    println!("manager peak RSS     {:.1} MiB (whole run, uploads included)", manager.peak_rss_mib()?);
    Ok(())
}
