//! Starting and stopping the gateway's SFTP server, for the
//! `cordvault-gateway` binary and for a manager that runs it in-process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cordvault_client::Client;
use cordvault_sftp::{HostKey, SftpError, SftpServer, ShutdownHandle};
use tokio::task::JoinHandle;

use crate::logins::Logins;
use crate::sftp::{ApiGatekeeper, StagingArea};

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

/// Binds and starts serving.
pub async fn start_sftp(config: SftpGatewayConfig) -> Result<RunningSftpGateway, GatewayError> {
    let manager = Client::connect(&config.manager)
        .await
        .map_err(|source| GatewayError::Manager { manager: config.manager.clone(), source })?;
    for dir in [Some(config.staging_dir.as_path()), config.host_key.parent()].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|source| GatewayError::Directory { path: dir.to_owned(), source })?;
    }
    let mut logins = Logins::new(manager);
    match config.service_password {
        Some(password) => {
            logins = logins
                .with_key_logins(&config.manager, password)
                .map_err(|source| GatewayError::Manager { manager: config.manager.clone(), source })?;
        }
        None => tracing::info!("no service password: SSH-key logins are off, passwords only"),
    }
    let host_key = HostKey::load_or_create(&config.host_key)?;
    let staging = StagingArea::new(config.staging_dir, config.max_staged_bytes);
    let server = SftpServer::with_gatekeeper(ApiGatekeeper::new(Arc::new(logins), staging), host_key).build();
    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(SftpError::Listener)?;
    let addr = listener.local_addr().map_err(SftpError::Listener)?;
    let fingerprint = server.host_key().fingerprint();
    let shutdown = server.shutdown_handle();
    let serving = tokio::spawn(async move { server.serve(listener).await });
    Ok(RunningSftpGateway { addr, fingerprint, shutdown, serving })
}
