//! Assembles the manager (the composition root): the services
//! ([`services`]), one router serving gRPC, gRPC-web and plain HTTP on one
//! listener ([`router`]), and the periodic work ([`background`]).

mod background;
mod router;
mod services;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cordvault_core::chunk::ChunkCodec;
use cordvault_core::clock::Clock;
use cordvault_core::crypto::SecretKey;
use cordvault_store::{ChunkStore, DiscordStore, LocalStore, StoreSpec};
use cordvault_thumbnail_worker::{ThumbnailFormat, WorkerConfig as ThumbnailWorkerConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::StoreChoice;
use crate::db::Db;
use crate::http::web::WebUi;
use crate::keys::ServerKeys;
use crate::services::janitor::Janitor;
use crate::services::quotas::QuotaLimits;
use crate::services::throttle::Throttle;
use crate::services::workers::WorkerRegistry;
use services::Services;

/// Everything the manager needs to start, already decided.
#[derive(Clone)]
pub struct ServerConfig {
    pub listen: String,
    pub data_dir: PathBuf,
    /// None: a SQLite file in the data directory.
    pub database_url: Option<String>,
    pub keys: ServerKeys,
    pub chunk_size: u64,
    pub upload_idle_timeout: Duration,
    pub janitor_interval: Duration,
    pub token_ttl: Duration,
    pub heartbeat_interval: Duration,
    pub orphan_grace: Duration,
    pub store: StoreChoice,
    pub trash_retention: Duration,
    pub hide_unreadable: bool,
    /// A download whose client stops reading for this long is dropped.
    pub download_stall_timeout: Duration,
    pub web_ui: WebUi,
    /// Widest thumbnail, in pixels.
    pub thumbnail_width: u32,
    /// Some: a thumbnail worker runs inside the manager, writing this format.
    /// None: jobs wait for thumbnail worker processes.
    pub in_process_thumbnails: Option<ThumbnailFormat>,
    /// Whether an analysis worker runs inside the manager (otherwise
    /// package jobs wait for analysis worker processes).
    pub in_process_analysis: bool,
    /// Some: the SFTP gateway runs inside the manager, listening here.
    pub sftp_listen: Option<SocketAddr>,
    pub packages: crate::services::packages::PackageConfig,
    pub listener: crate::listener::ListenerLimits,
    /// Every user's limits unless an administrator sets others.
    pub quotas: QuotaLimits,
    /// What expiry, lockouts and retention go by; tests move it forward.
    pub clock: Clock,
}

impl ServerConfig {
    /// The configured database, or the embedded default: a SQLite file in
    /// the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => self.data_dir.join("cordvault.sqlite").display().to_string(),
        }
    }
}

/// A started manager; dropping it does not stop it, [`RunningServer::shutdown`] does.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub db: Db,
    pub store: Arc<dyn ChunkStore>,
    pub janitor: Arc<Janitor>,
    stop: Option<oneshot::Sender<()>>,
    serve: JoinHandle<std::io::Result<()>>,
    sweeper: JoinHandle<()>,
    thumbnail_worker: Option<cordvault_thumbnail_worker::RunningWorker>,
    analysis_worker: Option<cordvault_analysis_worker::RunningWorker>,
    sftp_gateway: Option<cordvault_gateway::RunningSftpGateway>,
    pub workers: Arc<WorkerRegistry>,
    /// This manager's row in `manager_leases`.
    lease_id: String,
    pub throttle: Throttle,
}

impl RunningServer {
    pub async fn shutdown(mut self) {
        // First: its clients' connections to this manager must close before
        // the listener can finish.
        if let Some(gateway) = self.sftp_gateway.take() {
            gateway.shutdown().await;
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.sweeper.abort();
        if let Some(worker) = self.thumbnail_worker.take() {
            worker.shutdown();
        }
        if let Some(worker) = self.analysis_worker.take() {
            worker.shutdown();
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.serve).await;
        self.serve.abort();
        if let Err(err) = self.db.drop_manager_lease(&self.lease_id).await {
            tracing::warn!(error = %err, "could not drop the manager lease; it expires by itself");
        }
    }

    /// Where the in-process SFTP gateway listens, when it runs.
    pub fn sftp_addr(&self) -> Option<SocketAddr> {
        self.sftp_gateway.as_ref().map(cordvault_gateway::RunningSftpGateway::addr)
    }

    /// Waits until the server stops by itself (it does not, but for errors).
    pub async fn wait_for_exit(&mut self) -> anyhow::Result<()> {
        (&mut self.serve).await?.context("server failed")
    }
}

/// The SFTP gateway, in-process: a client of this manager's own API like a
/// standalone one, with its host key and staging area in the data directory.
async fn start_sftp_gateway(
    config: &ServerConfig,
    own_port: u16,
    listen: SocketAddr,
) -> anyhow::Result<cordvault_gateway::RunningSftpGateway> {
    let gateway_dir = config.data_dir.join("gateway");
    let gateway = cordvault_gateway::start_sftp(cordvault_gateway::SftpGatewayConfig {
        manager: format!("http://127.0.0.1:{own_port}"),
        service_password: Some(config.keys.service_password.clone()),
        listen,
        host_key: gateway_dir.join("ssh_host_ed25519_key"),
        staging_dir: gateway_dir.join("staging"),
        max_staged_bytes: 64 << 30,
    })
    .await
    .context("cannot start the SFTP gateway")?;
    tracing::info!(addr = %gateway.addr(), fingerprint = gateway.fingerprint(), "SFTP gateway listening");
    Ok(gateway)
}

use cordvault_core::limits::{MAX_CHUNK_SIZE, MIN_CHUNK_SIZE};

/// Opens the configured chunk store, checks it, and describes it for workers.
pub async fn open_store(config: &ServerConfig) -> anyhow::Result<(Arc<dyn ChunkStore>, StoreSpec)> {
    let sealed_chunk = ChunkCodec::Sealed(SecretKey::generate()).sealed_len(config.chunk_size);
    let (store, spec): (Arc<dyn ChunkStore>, StoreSpec) = match &config.store {
        StoreChoice::Local => {
            let dir = config.data_dir.join("chunks");
            let store =
                LocalStore::open(&dir).context("cannot open the local chunk store")?.with_max_object_size(sealed_chunk);
            let spec = StoreSpec::Local(std::fs::canonicalize(&dir)?);
            (Arc::new(store), spec)
        }
        StoreChoice::Discord(discord) => {
            let store = DiscordStore::new(discord.clone())?;
            if sealed_chunk > store.max_object_size() {
                anyhow::bail!(
                    "CHUNK_SIZE {} seals to {sealed_chunk} bytes, over Discord's attachment limit of {} bytes",
                    config.chunk_size,
                    store.max_object_size()
                );
            }
            store.verify().await.context("the Discord chunk store is not usable")?;
            (Arc::new(store), StoreSpec::Discord(discord.clone()))
        }
    };
    Ok((store, spec))
}

pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&config.chunk_size) {
        anyhow::bail!(
            "CHUNK_SIZE must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes, not {}",
            config.chunk_size
        );
    }
    crate::data_dir::create_private_dir(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let services = Services::build(&config).await?;
    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let app = router::router(&services, &config, addr.port()).await?;
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = tokio::spawn(crate::listener::serve(listener, app, config.listener, async {
        let _ = stopped.await;
    }));
    let lease_id = format!("{}-{}", std::process::id(), cordvault_core::crypto::random_hex::<8>());
    services.db.renew_manager_lease(&lease_id).await.context("cannot record this manager in the database")?;
    let sweeper = background::spawn(&services, &config, lease_id.clone());
    let thumbnail_worker = config.in_process_thumbnails.map(|format| {
        let own_port = SocketAddr::from(([127, 0, 0, 1], addr.port()));
        let mut worker = ThumbnailWorkerConfig::new(format!("http://{own_port}"), config.keys.service_password.clone());
        worker.name = "in-process".into();
        worker.render.format = format;
        cordvault_thumbnail_worker::start(worker)
    });
    let analysis_worker = config.in_process_analysis.then(|| {
        let own_port = SocketAddr::from(([127, 0, 0, 1], addr.port()));
        let mut worker = cordvault_analysis_worker::WorkerConfig::new(
            format!("http://{own_port}"),
            config.keys.service_password.clone(),
            config.data_dir.join("analysis"),
        );
        worker.name = "in-process".into();
        cordvault_analysis_worker::start(worker)
    });
    let sftp_gateway = match config.sftp_listen {
        Some(listen) => Some(start_sftp_gateway(&config, addr.port(), listen).await?),
        None => None,
    };
    let Services { db, store, janitor, workers, throttle, .. } = services;
    tracing::info!(%addr, database = db.backend().name(), data_dir = %config.data_dir.display(), "cordvault manager listening");
    Ok(RunningServer {
        addr,
        db,
        store,
        janitor,
        stop: Some(stop),
        serve,
        sweeper,
        thumbnail_worker,
        analysis_worker,
        sftp_gateway,
        workers,
        lease_id,
        throttle,
    })
}
