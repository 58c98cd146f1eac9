//! Assembles the manager: database, chunk store, services, and one listener
//! serving gRPC, gRPC-web and plain HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cordvault_core::chunk::ChunkCodec;
use cordvault_core::crypto::SecretKey;
use cordvault_core::ticket::TicketKey;
use cordvault_proto::v1::admin_service_server::AdminServiceServer;
use cordvault_proto::v1::auth_service_server::AuthServiceServer;
use cordvault_proto::v1::file_service_server::FileServiceServer;
use cordvault_proto::v1::link_service_server::LinkServiceServer;
use cordvault_proto::v1::transfer_service_server::TransferServiceServer;
use cordvault_proto::v1::worker_service_server::WorkerServiceServer;
use cordvault_proto::worker::v1::worker_link_service_server::WorkerLinkServiceServer;
use cordvault_store::{ChunkStore, DiscordStore, LocalStore, StoreSpec};
use cordvault_thumbnail_worker::{ThumbnailFormat, WorkerConfig as ThumbnailWorkerConfig};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::admin::AdminApi;
use crate::api::link::LinkApi;
use crate::api::worker_link::WorkerLinkApi;
use crate::api::{auth::AuthApi, authn, file::FileApi, transfer::TransferApi, worker::WorkerApi};
use crate::config::StoreChoice;
use crate::db::Db;
use crate::http::HttpState;
use crate::http::web::WebUi;
use crate::keys::ServerKeys;
use crate::services::accounts::Accounts;
use crate::services::admin::Admin;
use crate::services::events::Events;
use crate::services::folders::Folders;
use crate::services::janitor::Janitor;
use crate::services::links::Links;
use crate::services::quotas::{QuotaLimits, Quotas};
use crate::services::reads::Reads;
use crate::services::revocation::Revocations;
use crate::services::sharing::Sharing;
use crate::services::throttle::{Throttle, ThrottlePolicy};
use crate::services::thumbnails::Thumbnails;
use crate::services::tokens::TokenIssuer;
use crate::services::trash::Trash;
use crate::services::tree::Tree;
use crate::services::uploads::Uploads;
use crate::services::worker_link::WorkerLinks;
use crate::services::workers::WorkerRegistry;

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
    pub listener: crate::listener::ListenerLimits,
    /// Every user's limits unless an administrator sets others.
    pub quotas: QuotaLimits,
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
    pub workers: Arc<WorkerRegistry>,
    /// This manager's row in `manager_leases`.
    lease_id: String,
    pub throttle: Throttle,
}

impl RunningServer {
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.sweeper.abort();
        if let Some(worker) = self.thumbnail_worker.take() {
            worker.shutdown();
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.serve).await;
        self.serve.abort();
        if let Err(err) = self.db.drop_manager_lease(&self.lease_id).await {
            tracing::warn!(error = %err, "could not drop the manager lease; it expires by itself");
        }
    }

    /// Waits until the server stops by itself (it does not, but for errors).
    pub async fn wait_for_exit(&mut self) -> anyhow::Result<()> {
        (&mut self.serve).await?.context("server failed")
    }
}

use cordvault_core::limits::{MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, max_message};

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
    let database_url = config.database_url();
    let db = Db::connect(&database_url).await.context("cannot open the metadata database")?;
    db.apply_data_migrations().await.context("cannot update data older versions wrote")?;
    if config.database_url.is_none() {
        for suffix in ["", "-wal", "-shm"] {
            // SQLite gives its WAL and shared-memory files the database file's mode.
            crate::data_dir::make_private_file(std::path::Path::new(&format!("{database_url}{suffix}")))
                .context("cannot make the database file private")?;
        }
    }
    let (store, chunk_store_spec) = open_store(&config).await?;
    let tokens = TokenIssuer::from_pem(&config.keys.private_pem, &config.keys.public_pem, config.token_ttl)?;

    let revocations = Revocations::default();
    let throttle = Throttle::new(ThrottlePolicy::default());
    let tickets = TicketKey::derive(config.keys.private_pem.as_bytes());
    let accounts =
        Arc::new(Accounts::new(db.clone(), Arc::new(tokens), tickets, revocations.clone(), throttle.clone()));
    let master = config.keys.master.clone();
    let workers = Arc::new(WorkerRegistry::new(config.keys.service_password.clone(), config.heartbeat_interval));
    let events = Events::start(db.clone(), &database_url).await.context("cannot listen for change events")?;
    let quotas = Quotas::new(db.clone(), config.quotas);
    let tree = Tree::new(db.clone())
        .hiding_unreadable(config.hide_unreadable)
        .with_events(events.clone())
        .with_quotas(quotas.clone());
    let trash = Trash::new(tree.clone(), config.trash_retention);
    let thumbnails = Thumbnails::new(tree.clone(), master.clone(), config.thumbnail_width);
    let uploads = Arc::new(Uploads::new(
        tree.clone(),
        store.clone(),
        master.clone(),
        config.chunk_size,
        config.upload_idle_timeout,
        workers.clone(),
        thumbnails.clone(),
    ));
    let reads = Arc::new(Reads::new(tree.clone(), store.clone(), master));
    let janitor =
        Arc::new(Janitor::new(db.clone(), store.clone(), uploads.clone(), trash.clone(), config.orphan_grace));
    let admin_api = AdminApi { admin: Admin::new(db.clone(), uploads.clone(), revocations.clone(), quotas.clone()) };
    let file_api = FileApi {
        tree: tree.clone(),
        trash,
        folders: Folders::new(tree.clone()),
        sharing: Sharing::new(tree.clone()),
        events,
        revocations: revocations.clone(),
        thumbnails: thumbnails.clone(),
    };
    let worker_api = WorkerApi { registry: workers.clone() };
    let worker_link_api = WorkerLinkApi {
        links: Arc::new(WorkerLinks {
            registry: workers.clone(),
            uploads: uploads.clone(),
            thumbnails: thumbnails.clone(),
            chunk_size: config.chunk_size,
            chunk_store: chunk_store_spec,
            throttle: throttle.clone(),
        }),
    };

    let max_message = max_message(config.chunk_size);
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<AuthServiceServer<AuthApi>>().await;
    health.set_serving::<AdminServiceServer<AdminApi>>().await;
    health.set_serving::<FileServiceServer<FileApi>>().await;
    health.set_serving::<LinkServiceServer<LinkApi>>().await;
    health.set_serving::<TransferServiceServer<TransferApi>>().await;
    health.set_serving::<WorkerServiceServer<WorkerApi>>().await;
    health.set_serving::<WorkerLinkServiceServer<WorkerLinkApi>>().await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(cordvault_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // google.rpc.ErrorInfo, so that grpcurl shows every error's details.
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(cordvault_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        // google.rpc.ErrorInfo, so that grpcurl shows every error's details.
        .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let (http_accounts, http_reads) = (accounts.clone(), reads.clone());
    let links = Links::new(tree.clone(), &config.keys, throttle.clone());
    let mut routes = tonic::service::Routes::builder();
    routes
        .add_service(AuthServiceServer::new(AuthApi { accounts: accounts.clone(), quotas: quotas.clone() }))
        .add_service(AdminServiceServer::new(admin_api))
        .add_service(FileServiceServer::new(file_api))
        .add_service(LinkServiceServer::new(LinkApi { links: links.clone() }))
        .add_service(
            TransferServiceServer::new(TransferApi { uploads, reads, revocations })
                .max_decoding_message_size(max_message)
                .max_encoding_message_size(max_message),
        )
        .add_service(WorkerServiceServer::new(worker_api))
        .add_service(WorkerLinkServiceServer::new(worker_link_api))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    let grpc = routes
        .routes()
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(accounts, authn::authenticate))
        .layer(tonic_web::GrpcWebLayer::new());
    let http = crate::http::routes(HttpState {
        accounts: http_accounts,
        tree: tree.clone(),
        reads: http_reads,
        links,
        thumbnails,
        stall_timeout: config.download_stall_timeout,
    });
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok\n" }))
        .merge(http)
        .merge(crate::http::web::routes(config.web_ui.clone()))
        .merge(grpc)
        .layer(cordvault_proto::browser_cors())
        .layer(axum::middleware::from_fn(crate::trace::trace_request));

    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = tokio::spawn(crate::listener::serve(listener, app, config.listener, async {
        let _ = stopped.await;
    }));
    let lease_id = format!("{}-{}", std::process::id(), cordvault_core::crypto::random_hex::<8>());
    db.renew_manager_lease(&lease_id).await.context("cannot record this manager in the database")?;
    let sweeper = tokio::spawn({
        let (janitor, workers, db, lease_id) = (janitor.clone(), workers.clone(), db.clone(), lease_id.clone());
        let (interval, heartbeat) = (config.janitor_interval, config.heartbeat_interval);
        async move {
            let mut sweeps = tokio::time::interval(interval);
            let mut heartbeats = tokio::time::interval(heartbeat);
            let mut leases = tokio::time::interval(crate::check::LEASE_RENEW_INTERVAL);
            loop {
                tokio::select! {
                    _ = sweeps.tick() => {
                        if let Err(err) = janitor.sweep().await {
                            tracing::warn!(error = %err, "clean-up sweep failed; will retry");
                        }
                    }
                    _ = heartbeats.tick() => workers.drop_silent(),
                    _ = leases.tick() => {
                        if let Err(err) = db.renew_manager_lease(&lease_id).await {
                            tracing::warn!(error = %err, "renewing the manager lease failed; will retry");
                        }
                    }
                }
            }
        }
    });
    let thumbnail_worker = config.in_process_thumbnails.map(|format| {
        let own_port = SocketAddr::from(([127, 0, 0, 1], addr.port()));
        let mut worker = ThumbnailWorkerConfig::new(format!("http://{own_port}"), config.keys.service_password.clone());
        worker.name = "in-process".into();
        worker.render.format = format;
        cordvault_thumbnail_worker::start(worker)
    });
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
        workers,
        lease_id,
        throttle,
    })
}
