//! Starting and stopping the gateway's servers, for the `cordvault-gateway`
//! binary and for a manager that runs them in-process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cordvault_client::Client;
use cordvault_sftp::{HostKey, Limits, SftpError, SftpServer, ShutdownHandle};
use tokio::task::JoinHandle;

use crate::logins::Logins;
use crate::sftp::ApiGatekeeper;
use crate::staging::StagingArea;

/// Everything the SFTP side of a gateway needs.
#[derive(Debug, Clone)]
pub struct SftpGatewayConfig {
    /// The manager's gRPC address, e.g. `http://127.0.0.1:8080`.
    pub manager: String,
    /// With it, registered SSH keys log in too.
    pub service_password: Option<String>,
    pub listen: SocketAddr,
    /// Made on first start, then kept.
    pub host_key: PathBuf,
    pub staging_dir: PathBuf,
    pub max_staged_bytes: u64,
}

/// Everything the WebDAV side of a gateway needs.
#[derive(Debug, Clone)]
pub struct DavGatewayConfig {
    /// The manager's gRPC address, e.g. `http://127.0.0.1:8080`.
    pub manager: String,
    pub staging_dir: PathBuf,
    pub max_staged_bytes: u64,
}

/// The `/dav` routes, to serve on any HTTP listener. The manager is
/// reached on the first request, so a manager can mount these routes on
/// its own port before it listens.
pub fn dav_routes(config: DavGatewayConfig) -> Result<axum::Router, GatewayError> {
    let logins = Logins::new(&config.manager)
        .map_err(|source| GatewayError::Manager { manager: config.manager.clone(), source })?;
    std::fs::create_dir_all(&config.staging_dir)
        .map_err(|source| GatewayError::Directory { path: config.staging_dir.clone(), source })?;
    let staging = StagingArea::new(config.staging_dir, config.max_staged_bytes);
    Ok(crate::dav::routes(Arc::new(logins), staging))
}

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("cannot reach the manager at {manager}: {source}")]
    Manager { manager: String, source: cordvault_core::Error },
    #[error("cannot create {path}: {source}")]
    Directory { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Sftp(#[from] SftpError),
}

/// A running SFTP gateway.
pub struct RunningSftpGateway {
    addr: SocketAddr,
    fingerprint: String,
    shutdown: ShutdownHandle,
    serving: JoinHandle<()>,
}

impl RunningSftpGateway {
    /// Where it listens (the real port when the configuration said 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The host key's SHA-256 fingerprint, as clients are shown it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Disconnects every client and stops listening.
    pub async fn shutdown(self) {
        self.shutdown.shutdown();
        let _ = self.serving.await;
    }
}

/// A gateway serves many users, and rclone opens several SFTP sessions on
/// one connection (it hangs when one is refused), so the limits are wider
/// than a personal share's.
fn gateway_limits() -> Limits {
    Limits { max_connections: 256, max_sessions_per_connection: 32, ..Limits::default() }
}

/// Binds and starts serving.
pub async fn start_sftp(config: SftpGatewayConfig) -> Result<RunningSftpGateway, GatewayError> {
    let manager_error = |source| GatewayError::Manager { manager: config.manager.clone(), source };
    // A gateway that cannot reach its manager says so at once.
    Client::connect(&config.manager).await.map_err(manager_error)?;
    for dir in [Some(config.staging_dir.as_path()), config.host_key.parent()].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|source| GatewayError::Directory { path: dir.to_owned(), source })?;
    }
    let mut logins = Logins::new(&config.manager).map_err(manager_error)?;
    match config.service_password {
        Some(password) => {
            logins = logins.with_key_logins(password).map_err(manager_error)?;
        }
        None => tracing::info!("no service password: SSH-key logins are off, passwords only"),
    }
    let host_key = HostKey::load_or_create(&config.host_key)?;
    let staging = StagingArea::new(config.staging_dir, config.max_staged_bytes);
    let server = SftpServer::with_gatekeeper(ApiGatekeeper::new(Arc::new(logins), staging), host_key)
        .limits(gateway_limits())
        .build();
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(SftpError::Listener)?;
    let addr = listener.local_addr().map_err(SftpError::Listener)?;
    let fingerprint = server.host_key().fingerprint();
    let shutdown = server.shutdown_handle();
    let serving = tokio::spawn(async move { server.serve(listener).await });
    Ok(RunningSftpGateway { addr, fingerprint, shutdown, serving })
}
