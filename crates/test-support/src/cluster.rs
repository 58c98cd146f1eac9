//! Real processes: a manager and upload workers started from their binaries,
//! for tests that kill and restart them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cordvault_client::Client;

use crate::{ADMIN, Backend, PgDatabase};

/// The path of a workspace binary, building it first if it is missing.
/// `CORDVAULT_BIN_DIR` points elsewhere (benchmarks use target/release).
pub fn workspace_binary(name: &str, package: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("CORDVAULT_BIN_DIR") {
        return PathBuf::from(dir).join(name);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let binary = target.join("debug").join(name);
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status =
            Command::new(cargo).args(["build", "-p", package, "--bin", name]).status().expect("run cargo build");
        assert!(status.success(), "building {name} failed");
    }
    binary
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `cordvault-server` process with its own data directory and database.
pub struct ManagerProcess {
    child: Option<Child>,
    pub url: String,
    pub port: u16,
    pub service_password: String,
    data_dir: tempfile::TempDir,
    database: Option<PgDatabase>,
    extra_env: Vec<(String, String)>,
    /// Where its stderr (its logs) goes, appended across restarts; None: the test's.
    log: Option<PathBuf>,
}

impl ManagerProcess {
    /// Starts a manager; `extra_env` adds settings such as JANITOR_INTERVAL_SECS.
    pub async fn start(backend: &Backend, extra_env: &[(&str, &str)]) -> ManagerProcess {
        Self::start_logged(backend, extra_env, None).await
    }

    /// The same, its logs appended to `log`.
    pub async fn start_logged(backend: &Backend, extra_env: &[(&str, &str)], log: Option<&Path>) -> ManagerProcess {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres(server_url) => Some(PgDatabase::create(server_url).await),
        };
        let port = free_port();
        let mut manager = ManagerProcess {
            child: None,
            url: format!("http://127.0.0.1:{port}"),
            port,
            service_password: "test-service-password".into(),
            data_dir: tempfile::tempdir().unwrap(),
            database,
            extra_env: extra_env.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect(),
            log: log.map(Path::to_path_buf),
        };
        manager.spawn().await;
        manager
    }

    async fn spawn(&mut self) {
        let mut command = Command::new(workspace_binary("cordvault-server", "cordvault-server"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATA_DIR", self.data_dir.path())
            .env("LISTEN_ADDRESS", format!("127.0.0.1:{}", self.port))
            .env("SERVICE_PASSWORD", &self.service_password)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .envs(self.extra_env.iter().cloned())
            .stdout(log_sink(self.log.as_deref(), Stdio::null))
            .stderr(log_sink(self.log.as_deref(), Stdio::inherit));
        if let Some(database) = &self.database {
            command.env("DATABASE_URL", &database.url);
        }
        self.child = Some(command.spawn().expect("start cordvault-server"));
        wait_until_serving(&self.url).await;
    }

    /// SIGKILL: no clean-up of any kind.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, data and database.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    pub fn chunk_dir(&self) -> PathBuf {
        self.data_dir.path().join("chunks")
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The administrator (registered on first use).
    pub async fn admin(&self) -> Client {
        let client = Client::connect(&self.url).await.expect("connect");
        let _ = client.register(ADMIN.0, ADMIN.1).await;
        let login = client.login(ADMIN.0, ADMIN.1).await.expect("admin login");
        client.with_token(login.token)
    }
}

impl Drop for ManagerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn wait_until_serving(url: &str) {
    for _ in 0..200 {
        if Client::connect(url).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not start serving");
}

/// A `cordvault-worker upload` process.
pub struct WorkerProcess {
    child: Option<Child>,
    pub url: String,
}

impl WorkerProcess {
    pub async fn start(manager: &ManagerProcess, capacity: u32) -> WorkerProcess {
        WorkerProcess::start_with_password(manager, capacity, &manager.service_password).await
    }

    pub async fn start_with_password(manager: &ManagerProcess, capacity: u32, password: &str) -> WorkerProcess {
        WorkerProcess::spawn(manager, capacity, password, &[]).await
    }

    /// A worker with extra settings, such as DISCORD_CHANNEL_IDS.
    pub async fn start_with_env(manager: &ManagerProcess, capacity: u32, env: &[(&str, &str)]) -> WorkerProcess {
        WorkerProcess::spawn(manager, capacity, &manager.service_password, env).await
    }

    async fn spawn(manager: &ManagerProcess, capacity: u32, password: &str, env: &[(&str, &str)]) -> WorkerProcess {
        let port = free_port();
        let child = Command::new(workspace_binary("cordvault-worker", "cordvault-upload-worker"))
            .arg("upload")
            .env_clear()
            .env("MANAGER_ADDRESS", &manager.url)
            .env("SERVICE_PASSWORD", password)
            .env("PORT", port.to_string())
            .env("CAPACITY", capacity.to_string())
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cordvault-worker");
        WorkerProcess { child: Some(child), url: format!("http://127.0.0.1:{port}") }
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends a signal by name (STOP, CONT, ...).
    pub fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("running");
        let status = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit by itself; returns its exit status and stderr.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<(std::process::ExitStatus, String)> {
        let child = self.child.as_mut()?;
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut stderr);
                }
                self.child = None;
                return Some((status, stderr));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `cordvault-thumbnail-worker` process. Its PATH is empty, so it finds
/// no ffmpeg unless `ffmpeg` names one.
pub struct ThumbnailWorkerProcess {
    child: Child,
}

impl ThumbnailWorkerProcess {
    pub fn start(manager_url: &str, service_password: &str, format: &str, ffmpeg: Option<&Path>) -> Self {
        let mut command = Command::new(workspace_binary("cordvault-thumbnail-worker", "cordvault-thumbnail-worker"));
        command
            .env_clear()
            .env("MANAGER_ADDRESS", manager_url)
            .env("SERVICE_PASSWORD", service_password)
            .env("THUMBNAIL_FORMAT", format)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(ffmpeg) = ffmpeg {
            command.env("FFMPEG", ffmpeg);
        }
        ThumbnailWorkerProcess { child: command.spawn().expect("start cordvault-thumbnail-worker") }
    }
}

impl Drop for ThumbnailWorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child's output (the binaries log to stdout): appended to `log`, or `otherwise`.
fn log_sink(log: Option<&Path>, otherwise: fn() -> Stdio) -> Stdio {
    match log {
        Some(log) => Stdio::from(
            std::fs::File::options().create(true).append(true).open(log).expect("open the process's log file"),
        ),
        None => otherwise(),
    }
}

/// A `cordvault-analysis-worker` process with a work folder of its own.
pub struct AnalysisWorkerProcess {
    child: Option<Child>,
    pub work_dir: tempfile::TempDir,
}

impl AnalysisWorkerProcess {
    pub fn start(manager: &ManagerProcess) -> Self {
        Self::start_logged(manager, None, "warn")
    }

    /// The same, logging at `level` into `log`.
    pub fn start_logged(manager: &ManagerProcess, log: Option<&Path>, level: &str) -> Self {
        let work_dir = tempfile::tempdir().unwrap();
        let child = Command::new(workspace_binary("cordvault-analysis-worker", "cordvault-analysis-worker"))
            .env_clear()
            .env("MANAGER_ADDRESS", &manager.url)
            .env("SERVICE_PASSWORD", &manager.service_password)
            .env("WORK_DIR", work_dir.path())
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| level.into()))
            .stdout(log_sink(log, Stdio::null))
            .stderr(log_sink(log, Stdio::inherit))
            .spawn()
            .expect("start cordvault-analysis-worker");
        AnalysisWorkerProcess { child: Some(child), work_dir }
    }

    /// SIGKILL: no clean-up of any kind.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for AnalysisWorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
