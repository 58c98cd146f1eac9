//! Shared parts of the benchmark examples: a release manager process and
//! what /proc says about it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use cordvault_client::Client;

/// A release `cordvault-server` on a loopback port, killed on drop.
pub struct Manager {
    child: Child,
    pub url: String,
}

impl Drop for Manager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Manager {
    /// CPU seconds the manager has used (user + system).
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        let fields: Vec<&str> = stat.rsplit_once(')').context("stat format")?.1.split_whitespace().collect();
        let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
        Ok(ticks / 100.0)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in MiB.
    pub fn rss_mib(&self) -> anyhow::Result<f64> {
        status_mib(self.pid(), "VmRSS:")
    }

    pub fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        status_mib(self.pid(), "VmHWM:")
    }
}

/// A memory figure of /proc/PID/status (`VmRSS:`, `VmHWM:`), in MiB.
pub fn status_mib(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|line| line.starts_with(field)).context("no such status field")?;
    let kib: f64 = line.split_whitespace().nth(1).context("status value")?.parse()?;
    Ok(kib / 1024.0)
}

pub fn server_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("release/cordvault-server")
}

pub async fn start_manager(data_dir: &std::path::Path) -> anyhow::Result<Manager> {
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

pub fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64()
}
