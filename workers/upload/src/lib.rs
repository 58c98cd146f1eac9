//! The upload worker: serves Upload, PutChunk and QueryUpload on its own
//! port, seals chunks with the data keys the manager assigned to it, writes
//! them into the chunk store and has the manager record them.

mod api;
mod link;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cordvault_proto::v1::transfer_service_server::TransferServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use cordvault_worker_runtime::Refused;
pub use link::Link;

/// Largest message the worker takes: a chunk of the largest allowed size.
use cordvault_core::limits::MAX_MESSAGE;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The manager's gRPC URL, e.g. http://127.0.0.1:8080.
    pub manager_address: String,
    pub service_password: String,
    /// Where to listen, e.g. 127.0.0.1:9000.
    pub listen: String,
    /// The URL clients use to reach this worker; default: http://<listen>.
    pub own_address: Option<String>,
    /// Uploads taken at once.
    pub capacity: u32,
    /// Discord channels of this worker's own, instead of the manager's.
    pub discord_channels: Option<Vec<u64>>,
}

pub struct RunningWorker {
    pub addr: SocketAddr,
    pub link: Arc<Link>,
    stop: Option<oneshot::Sender<()>>,
    serve: JoinHandle<Result<(), tonic::transport::Error>>,
    linker: JoinHandle<Result<(), Refused>>,
}

impl RunningWorker {
    /// Resolves when the worker stops on its own: a refused Hello or a server error.
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        tokio::select! {
            linked = &mut self.linker => linked?.map_err(anyhow::Error::from),
            served = &mut self.serve => served?.context("the worker's server failed"),
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.linker.abort();
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.serve).await;
        self.serve.abort();
    }
}

pub async fn start(config: WorkerConfig) -> anyhow::Result<RunningWorker> {
    let listener =
        TcpListener::bind(&config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let own_address = config.own_address.clone().unwrap_or_else(|| format!("http://{addr}"));
    let link = Arc::new(Link::new(
        config.manager_address.clone(),
        config.service_password.clone(),
        own_address,
        config.capacity,
        config.discord_channels.clone(),
    ));
    let linker = tokio::spawn(link.clone().run());
    let api = api::WorkerTransferApi { link: link.clone() };
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = tokio::spawn(
        tonic::transport::Server::builder()
            .accept_http1(true)
            .tcp_nodelay(true)
            .initial_stream_window_size(8 * 1024 * 1024)
            .initial_connection_window_size(32 * 1024 * 1024)
            .layer(cordvault_proto::browser_cors())
            .layer(tonic_web::GrpcWebLayer::new())
            .add_service(
                TransferServiceServer::new(api)
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            )
            .serve_with_incoming_shutdown(tokio_stream::wrappers::TcpListenerStream::new(listener), async {
                let _ = stopped.await;
            }),
    );
    tracing::info!(%addr, manager = %config.manager_address, "upload worker listening");
    Ok(RunningWorker { addr, link, stop: Some(stop), serve, linker })
}
