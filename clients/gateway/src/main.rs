//! `cordvault-gateway`: serves a cordvault manager's tree over SFTP and
//! WebDAV, as a client of its public API.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use cordvault_gateway::{DavGatewayConfig, SftpGatewayConfig, dav_routes, start_sftp};

#[derive(Debug, Parser)]
#[command(name = "cordvault-gateway", version, about = "SFTP and WebDAV in front of a cordvault manager")]
struct Args {
    /// The manager's gRPC address.
    #[arg(long, env = "CORDVAULT_SERVER", default_value = "http://127.0.0.1:8080")]
    manager: String,
    /// Where SFTP listens.
    #[arg(long, env = "SFTP_LISTEN", default_value = "127.0.0.1:2022")]
    sftp_listen: SocketAddr,
    /// Where WebDAV listens (under /dav/); off when not given.
    #[arg(long, env = "DAV_LISTEN")]
    dav_listen: Option<SocketAddr>,
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
    let staging_dir = args.staging_dir.unwrap_or_else(|| std::env::temp_dir().join("cordvault-gateway"));
    let dav = match args.dav_listen {
        Some(listen) => {
            let routes = dav_routes(DavGatewayConfig {
                manager: args.manager.clone(),
                staging_dir: staging_dir.clone(),
                max_staged_bytes: args.max_staged_bytes,
            })?;
            let listener = tokio::net::TcpListener::bind(listen).await?;
            println!("webdav listening on http://{}/dav/", listener.local_addr()?);
            Some(tokio::spawn(async move { axum::serve(listener, routes).await }))
        }
        None => None,
    };
    let config = SftpGatewayConfig {
        manager: args.manager,
        service_password: args.service_password,
        listen: args.sftp_listen,
        host_key: args.host_key,
        staging_dir,
        max_staged_bytes: args.max_staged_bytes,
    };
    let gateway = start_sftp(config).await?;
    // Tests and scripts read this line to find the port.
    println!("sftp listening on {} (host key {})", gateway.addr(), gateway.fingerprint());
    wait_for_exit_signal().await;
    gateway.shutdown().await;
    if let Some(dav) = dav {
        dav.abort();
    }
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
