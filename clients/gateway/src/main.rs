//! `cordvault-gateway`: serves a cordvault manager's tree over SFTP, as a
//! client of its public API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use cordvault_client::Client;
use cordvault_gateway::Logins;
use cordvault_gateway::sftp::{ApiGatekeeper, StagingArea};
use cordvault_sftp::{HostKey, SftpServer};

#[derive(Debug, Parser)]
#[command(name = "cordvault-gateway", version, about = "SFTP in front of a cordvault manager")]
struct Args {
    /// The manager's gRPC address.
    #[arg(long, env = "CORDVAULT_SERVER", default_value = "http://127.0.0.1:8080")]
    manager: String,
    /// Where SFTP listens.
    #[arg(long, env = "SFTP_LISTEN", default_value = "127.0.0.1:2022")]
    sftp_listen: SocketAddr,
    /// The SSH host key (Ed25519, OpenSSH format); made on first start and
    /// kept, so that clients' known_hosts stay valid.
    #[arg(long, env = "SFTP_HOST_KEY", default_value = "./data/gateway/ssh_host_ed25519_key")]
    host_key: PathBuf,
    /// Where uploads are staged until their handle closes.
    #[arg(long, env = "GATEWAY_STAGING_DIR")]
    staging_dir: Option<PathBuf>,
    /// The manager's service password: with it, users may also log in
    /// with the SSH keys they registered (`cordvault ssh-key add`).
    #[arg(long, env = "SERVICE_PASSWORD", hide_env_values = true)]
    service_password: Option<String>,
    /// The largest file one upload may stage.
    #[arg(long, env = "GATEWAY_MAX_STAGED_BYTES", default_value_t = 64 << 30)]
    max_staged_bytes: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let manager = Client::connect(&args.manager).await.with_context(|| format!("connecting to {}", args.manager))?;
    let staging_dir = args.staging_dir.unwrap_or_else(|| std::env::temp_dir().join("cordvault-gateway"));
    std::fs::create_dir_all(&staging_dir).with_context(|| format!("creating {}", staging_dir.display()))?;
    if let Some(parent) = args.host_key.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let host_key = HostKey::load_or_create(&args.host_key)?;
    let mut logins = Logins::new(manager);
    match args.service_password {
        Some(password) => logins = logins.with_key_logins(&args.manager, password).await?,
        None => tracing::info!("no SERVICE_PASSWORD: SSH-key logins are off, passwords only"),
    }
    let gatekeeper = ApiGatekeeper::new(Arc::new(logins), StagingArea::new(staging_dir, args.max_staged_bytes));
    let server = SftpServer::with_gatekeeper(gatekeeper, host_key).build();
    let listener = tokio::net::TcpListener::bind(args.sftp_listen)
        .await
        .with_context(|| format!("listening on {}", args.sftp_listen))?;
    // Tests and scripts read this line to find the port.
    println!("sftp listening on {} (host key {})", listener.local_addr()?, server.host_key().fingerprint());
    let shutdown = server.shutdown_handle();
    tokio::spawn(async move {
        wait_for_exit_signal().await;
        shutdown.shutdown();
    });
    server.serve(listener).await;
    Ok(())
}

async fn wait_for_exit_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut terminate) = signal(SignalKind::terminate()) else { return std::future::pending().await };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
