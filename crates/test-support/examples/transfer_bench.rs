//! Upload and download one large file through a real manager process over
//! loopback, with encryption on; prints MB/s and the manager's peak RSS.
//!
//! ```text
//! cargo build --release -p cordvault-server
//! cargo run --release -p cordvault-test-support --example transfer_bench -- [SIZE_MIB] [STREAMS]
//! ```

use std::io::Write;
use std::time::Instant;

use cordvault_client::{Client, DownloadOptions, UploadOptions};
use cordvault_test_support::bench::{mb_per_s, start_manager};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let size_mib: u64 = args.next().map(|arg| arg.parse()).transpose()?.unwrap_or(1024);
    let streams: usize = args.next().map(|arg| arg.parse()).transpose()?.unwrap_or(4);
    let size = size_mib * 1024 * 1024;
    let work = tempfile::tempdir()?;
    let source = work.path().join("source.bin");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&source)?);
        for block in 0..size_mib {
            file.write_all(&cordvault_test_support::random_bytes(1024 * 1024, block + 1))?;
        }
        file.flush()?;
        // Settle the source on disk so its write-back does not compete with the upload.
        file.get_ref().sync_all()?;
    }

    let manager = start_manager(&work.path().join("data")).await?;
    let client = Client::connect(&manager.url).await?;
    client.register("bench", "bench-password").await?;
    let client = client.with_token(client.login("bench", "bench-password").await?.token);

    let options = UploadOptions { streams, ..Default::default() };
    let started = Instant::now();
    let report = client.upload_file(&source, "/bench.bin", &options).await?;
    let upload = started.elapsed();
    assert_eq!(report.entry.size, size);
    let rss_after_upload = manager.peak_rss_mib()?;
    let upload_cpu = manager.cpu_seconds()?;

    // Pure streaming read: one Read stream, bytes dropped as they arrive.
    let started = Instant::now();
    let mut reader = client.open_reader("/bench.bin").await?;
    reader.start_range(0, 0).await?;
    let mut received = 0u64;
    while let Some(piece) = reader.next_piece().await? {
        received += piece.len() as u64;
    }
    let read = started.elapsed();
    assert_eq!(received, size);
    let rss_after_read = manager.peak_rss_mib()?;
    let read_cpu = manager.cpu_seconds()? - upload_cpu;

    // The same bytes over plain HTTP: curl GET /download, body discarded.
    let started = Instant::now();
    let curl = std::process::Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{size_download}", "-H"])
        .arg(format!("Authorization: Bearer {}", client.token().unwrap_or_default()))
        .arg(format!("{}/download?path=/bench.bin", manager.url))
        .output()?;
    let http = started.elapsed();
    let http_bytes: u64 = String::from_utf8_lossy(&curl.stdout).trim().parse().unwrap_or(0);
    assert_eq!(http_bytes, size, "curl got {http_bytes} bytes: {}", String::from_utf8_lossy(&curl.stderr));

    // A file download: written to disk, then its SHA-256 checked.
    let target = work.path().join("download.bin");
    let started = Instant::now();
    client.download_to("/bench.bin", &target, &DownloadOptions::default()).await?;
    let download = started.elapsed();

    println!("file size            {size_mib} MiB, {streams} upload streams, encryption on, chunk size 4 MiB");
    println!(
        "upload (incl. hash)  {:8.1} MB/s  ({:.2} s, manager CPU {upload_cpu:.2} s)",
        mb_per_s(size, upload),
        upload.as_secs_f64()
    );
    println!(
        "read stream          {:8.1} MB/s  ({:.2} s, manager CPU {read_cpu:.2} s)",
        mb_per_s(size, read),
        read.as_secs_f64()
    );
    println!(
        "curl /download       {:8.1} MB/s  ({:.2} s, HTTP/1.1, body discarded)",
        mb_per_s(size, http),
        http.as_secs_f64()
    );
    println!(
        "download to file     {:8.1} MB/s  ({:.2} s, incl. SHA-256 check)",
        mb_per_s(size, download),
        download.as_secs_f64()
    );
    println!(
        "manager peak RSS     {:8.1} MiB ({rss_after_upload:.1} MiB after the upload, {rss_after_read:.1} MiB after the read stream)",
        manager.peak_rss_mib()?
    );
    Ok(())
}
