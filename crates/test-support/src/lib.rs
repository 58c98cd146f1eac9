//! What cordvault's integration tests share: a real manager on a loopback
//! port, over SQLite or a fresh PostgreSQL database, and helpers to make users.

pub mod bench;
pub mod click;
pub mod cluster;
pub mod discord;
pub mod dumpus;
pub mod package_gen;
mod postgres;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cordvault_client::Client;
use cordvault_server::{RunningServer, ServerConfig};

pub use postgres::PgDatabase;

/// The metadata backend a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// A PostgreSQL server URL (`postgres://user@host:port/`).
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `CORDVAULT_TEST_POSTGRES` holds a server URL.
    pub fn postgres_from_env() -> Option<Backend> {
        std::env::var("CORDVAULT_TEST_POSTGRES").ok().filter(|url| !url.is_empty()).map(Backend::Postgres)
    }
}

/// Runs a test function once per backend: `backend_tests!(my_test, other_test);`
/// where each is `async fn(Backend)`. The PostgreSQL variant is skipped, saying
/// so, when `CORDVAULT_TEST_POSTGRES` is not set.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    match $crate::Backend::postgres_from_env() {
                        Some(backend) => super::$name(backend).await,
                        None => eprintln!("skipped: CORDVAULT_TEST_POSTGRES is not set"),
                    }
                }
            }
        )*
    };
}

/// A manager serving on 127.0.0.1 with its own data directory and database.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub url: String,
    /// What the server runs with: the binary's defaults, the test baseline
    /// ([`test_baseline`]) and the test's own changes.
    pub config: ServerConfig,
    /// Holds `data_dir`, which the server creates itself, as on a fresh machine.
    _temp: tempfile::TempDir,
    database: Option<PgDatabase>,
    backend: Backend,
}

pub const ADMIN: (&str, &str) = ("admin", "admin-password");

/// Where tests differ from the binary's defaults: small chunks, so that
/// small files span several; sweeps, session expiry and thumbnails only
/// where a test asks for them; heartbeats fast enough to notice a worker
/// leave within a test.
pub fn test_baseline(config: &mut ServerConfig) {
    config.chunk_size = 1024 * 1024;
    config.upload_idle_timeout = Duration::from_secs(3600);
    config.janitor_interval = Duration::from_secs(3600);
    config.token_ttl = Duration::from_secs(3600);
    config.heartbeat_interval = Duration::from_secs(1);
    config.download_stall_timeout = Duration::from_secs(30);
    config.in_process_thumbnails = None;
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, |_| {}).await
    }

    /// Starts a server with the test baseline changed by `configure`.
    pub async fn start_with(backend: Backend, configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::try_start_with(backend, configure).await.expect("server starts")
    }

    /// Like [`TestServer::start_with`], for tests of start-up failures.
    pub async fn try_start_with(
        backend: Backend,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> anyhow::Result<TestServer> {
        init_logging();
        let temp = tempfile::tempdir().expect("temp dir");
        let database = match &backend {
            Backend::Sqlite => None,
            Backend::Postgres(server_url) => Some(PgDatabase::create(server_url).await),
        };
        let args = cordvault_server::config::ServeArgs::defaults(&temp.path().join("data"));
        let mut config = cordvault_server::server_config(&args).expect("the default configuration");
        config.listen = "127.0.0.1:0".to_owned();
        config.database_url = database.as_ref().map(|db| db.url.clone());
        test_baseline(&mut config);
        configure(&mut config);
        let mut test = TestServer { server: None, url: String::new(), config, _temp: temp, database, backend };
        test.boot().await?;
        Ok(test)
    }

    async fn boot(&mut self) -> anyhow::Result<()> {
        let server = cordvault_server::start(self.config.clone()).await?;
        self.url = format!("http://{}", server.addr);
        self.server = Some(server);
        Ok(())
    }

    /// Stops the server and starts it again on the same port and data.
    pub async fn restart(&mut self) {
        self.config.listen = self.url.trim_start_matches("http://").to_owned();
        self.stop().await;
        self.boot().await.expect("server restarts");
    }

    /// A second manager on the same database, data and keys (a replica, on
    /// PostgreSQL), listening on its own port.
    pub async fn replica(&self) -> RunningServer {
        let config = ServerConfig { listen: "127.0.0.1:0".to_owned(), ..self.config.clone() };
        cordvault_server::start(config).await.expect("replica starts")
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn data_dir(&self) -> &Path {
        self.config.data_dir.as_path()
    }

    /// The password workers give this manager.
    pub fn service_password(&self) -> String {
        self.config.keys.service_password.clone()
    }

    pub fn chunk_dir(&self) -> PathBuf {
        self.data_dir().join("chunks")
    }

    /// The clock the server decides expiry, lockouts and retention by:
    /// tests move it forward instead of sleeping.
    pub fn clock(&self) -> &cordvault_core::clock::Clock {
        &self.config.clock
    }

    /// An unauthenticated client.
    pub async fn anonymous(&self) -> Client {
        Client::connect(&self.url).await.expect("client connects")
    }

    /// The first user, an administrator (registered on first use).
    pub async fn admin(&self) -> Client {
        let client = self.anonymous().await;
        if let Err(err) = client.register(ADMIN.0, ADMIN.1).await {
            assert_eq!(err.code, cordvault_client::ErrorCode::Unauthenticated, "{err}");
        }
        let login = client.login(ADMIN.0, ADMIN.1).await.expect("admin login");
        client.with_token(login.token)
    }

    /// A further user, created by the administrator; password is `<name>-password`.
    pub async fn user(&self, name: &str) -> Client {
        let admin = self.admin().await;
        let password = format!("{name}-password");
        admin.register(name, &password).await.expect("register user");
        let login = admin.login(name, &password).await.expect("user login");
        admin.with_token(login.token)
    }

    /// Stops the manager, keeping its data and database, as an operator
    /// would before running offline tools; [`TestServer::restart`] brings it back.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// `cordvault-server check [--repair]` on this server's data and database.
    pub async fn check(&self, repair: bool) -> anyhow::Result<cordvault_server::check::CheckReport> {
        cordvault_server::check_store(&self.config, repair).await
    }

    /// The environment and arguments that point the `cordvault-server`
    /// binary at this server's data and database.
    pub fn command_env(&self) -> (Vec<(String, String)>, Vec<String>) {
        let mut env = Vec::new();
        if let Some(database) = &self.database {
            env.push(("DATABASE_URL".to_owned(), database.url.clone()));
        }
        if self.config.keys.master.is_none() {
            env.push(("DISABLE_ENCRYPTION".to_owned(), "1".to_owned()));
        }
        env.push(("ORPHAN_GRACE_SECS".to_owned(), self.config.orphan_grace.as_secs().to_string()));
        env.push(("CHUNK_SIZE".to_owned(), self.config.chunk_size.to_string()));
        (env, vec!["--data-dir".to_owned(), self.data_dir().display().to_string()])
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        if let Some(database) = self.database.take() {
            database.drop_database().await;
        }
    }
}

fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

/// Every file under `dir`, recursively, sorted; none when `dir` is missing.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Deterministic pseudo-random bytes (xorshift), fast enough for GiBs.
pub fn random_bytes(len: usize, seed: u64) -> bytes::Bytes {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    bytes::Bytes::from(out)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex_encode(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A raw gRPC channel, for tests that send what the SDK never would.
pub async fn channel(url: &str) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(url.to_owned()).expect("url").connect().await.expect("connect")
}

/// A request carrying `authorization: Bearer <token>`.
pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
    request
}
