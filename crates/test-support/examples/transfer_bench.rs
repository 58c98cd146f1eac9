//! Upload and download one large file through a real manager process over
//! loopback, with encryption on; prints MB/s and the manager's peak RSS.
//!
//! ```text
//! cargo build --release -p cordvault-server
//! cargo run --release -p cordvault-test-support --example transfer_bench -- [SIZE_MIB] [STREAMS]
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cordvault_client::{Client, DownloadOptions, UploadOptions};

struct Manager {
    child: Child,
    url: String,
}

impl Drop for Manager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Manager {
    /// CPU seconds the manager has used (user + system).
    fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        let fields: Vec<&str> = stat.rsplit_once(')').context("stat format")?.1.split_whitespace().collect();
        let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
        Ok(ticks / 100.0)
    }

    fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:")).context("no VmHWM")?;
        let kib: f64 = line.split_whitespace().nth(1).context("VmHWM value")?.parse()?;
        Ok(kib / 1024.0)
    }
}

fn server_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("release/cordvault-server")
}

async fn start_manager(data_dir: &std::path::Path) -> anyhow::Result<Manager> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let binary = server_binary();
    if !binary.exists() {
        bail!("{} is missing: run `cargo build --release -p cordvault-server` first", binary.display());
    }
    let allocator_settings = std::env::vars().filter(|(name, _)| name.starts_with("MIMALLOC_"));
    let child = Command::new(binary)
        .env_clear()
        .envs(allocator_settings)
        .env("DATA_DIR", data_dir)
        .env("LISTEN_ADDRESS", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let manager = Manager { child, url };
    for _ in 0..100 {
        if Client::connect(&manager.url).await.is_ok() {
            return Ok(manager);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the manager did not start")
}

fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64()
}

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
