//! The one loop every cordvault worker runs, whatever its kind: connect to
//! the manager, say Hello, wait for Welcome, hand each later message to the
//! worker's [`JobHandler`], send heartbeats, and reconnect with jittered
//! backoff whenever the stream breaks, until the manager refuses the worker.
//! A worker kind only says what it does with a connection (as Garage's
//! `Worker` trait does for its background tasks); the loop is written once.
//! [`ManagerLink`] is what a connection gives the worker: the stream back to
//! the manager and its unary calls, made with the worker's token.

use std::sync::Arc;
use std::time::Duration;

use cordvault_core::retry::reconnect_backoff;
use cordvault_core::status::from_status;
use cordvault_core::{Error, Result};
use cordvault_proto::v1 as api;
use cordvault_proto::worker::v1 as pb;
use cordvault_proto::worker::v1::connect_request::Message as Outgoing;
use cordvault_proto::worker::v1::connect_response::Message as Incoming;
use cordvault_proto::worker::v1::worker_link_service_client::WorkerLinkServiceClient;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::Channel;

/// Who the worker tells the manager it is.
#[derive(Debug, Clone)]
pub struct WorkerIdentity {
    /// The manager's gRPC URL, e.g. `http://127.0.0.1:8080`.
    pub manager_address: String,
    pub service_password: String,
    pub kind: api::WorkerKind,
    /// Where clients reach an upload worker; a thumbnail worker's name.
    pub address: String,
    /// How much work it takes at once.
    pub capacity: u32,
}

/// What a worker does with its connection. The methods run on the loop's
/// task: they must return quickly and spawn anything long.
pub trait JobHandler: Send + Sync + 'static {
    /// The manager welcomed the worker; `link` reaches the manager until
    /// the stream ends. An error refuses the connection for good (a chunk
    /// store it cannot open): the loop stops.
    fn connected(&self, welcome: &pb::Welcome, link: ManagerLink) -> std::result::Result<(), String>;
    /// A message from the manager after Welcome.
    fn handle(&self, message: Incoming);
    /// The stream ended: forget what the connection brought.
    fn disconnected(&self) {}
    /// Jobs in progress (uploads assigned, thumbnails being made), reported
    /// in every heartbeat.
    fn active_jobs(&self) -> u32;
}

/// How long a unary call to the manager may take before its outcome counts
/// as unknown.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The worker's side of one connection: the Connect stream back to the
/// manager, and the unary calls, authenticated by the token Welcome gave.
#[derive(Debug, Clone)]
pub struct ManagerLink {
    outbound: mpsc::Sender<pb::ConnectRequest>,
    client: WorkerLinkServiceClient<Channel>,
    authorization: AsciiMetadataValue,
}

impl ManagerLink {
    /// Sends a message on the stream; false once the stream is gone.
    pub async fn send(&self, message: Outgoing) -> bool {
        self.outbound.send(pb::ConnectRequest { message: Some(message) }).await.is_ok()
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert("authorization", self.authorization.clone());
        request.set_timeout(CALL_TIMEOUT);
        request
    }

    /// Has the manager record a stored chunk. An error of code UNAVAILABLE
    /// means the outcome is unknown: the manager may have recorded it.
    pub async fn record_chunk(&self, chunk: pb::RecordChunkRequest) -> Result<()> {
        let mut client = self.client.clone();
        answered(client.record_chunk(self.request(chunk))).await?;
        Ok(())
    }

    /// What the manager holds of an upload assigned to this worker.
    pub async fn query_chunks(&self, upload_id: &str) -> Result<api::QueryUploadResponse> {
        let query = pb::QueryChunksRequest { upload_id: upload_id.to_owned() };
        let mut client = self.client.clone();
        let answer = answered(client.query_chunks(self.request(query))).await?;
        answer.upload.ok_or_else(|| Error::internal("the manager's answer lacks the upload"))
    }
}

/// The answer to a unary call, waited for at most [`CALL_TIMEOUT`]. The
/// same deadline travels as `grpc-timeout` (see `request`) so that the
/// manager drops work nobody waits for; the wait here holds even when a
/// proxy in between ignores that header.
async fn answered<T>(call: impl Future<Output = std::result::Result<tonic::Response<T>, tonic::Status>>) -> Result<T> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(answer) => answer.map(tonic::Response::into_inner).map_err(from_status),
        Err(_) => Err(Error::unavailable("the manager did not answer in time; try again")),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the manager refused this worker: {0}")]
pub struct Refused(pub String);

/// A worker's loop on a task of its own; dropping it leaves it running,
/// [`RunningWorker::shutdown`] stops it.
pub struct RunningWorker {
    link: tokio::task::JoinHandle<Result<(), Refused>>,
}

impl RunningWorker {
    pub fn spawn(identity: WorkerIdentity, handler: Arc<dyn JobHandler>) -> RunningWorker {
        RunningWorker { link: tokio::spawn(run(identity, handler)) }
    }

    /// Resolves when the worker stops on its own: the manager refused it.
    pub async fn wait(&mut self) -> Result<(), Refused> {
        match (&mut self.link).await {
            Ok(ended) => ended,
            Err(err) => Err(Refused(format!("the worker's task ended: {err}"))),
        }
    }

    pub fn shutdown(self) {
        self.link.abort();
    }
}

/// A worker binary's logs: to stderr at info (debug with `debug`), unless
/// RUST_LOG says otherwise.
pub fn init_logging(debug: bool) {
    let level = if debug { "debug" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .init();
}

/// Why one connection ended.
enum LinkEnd {
    /// Reconnecting cannot help: wrong password, bad Hello, bad address.
    Refused(String),
    /// The stream broke; reconnect after a backoff.
    Lost(String),
}

impl From<tonic::Status> for LinkEnd {
    fn from(status: tonic::Status) -> Self {
        match status.code() {
            tonic::Code::PermissionDenied | tonic::Code::Unauthenticated | tonic::Code::InvalidArgument => {
                LinkEnd::Refused(status.message().to_owned())
            }
            _ => LinkEnd::Lost(format!("{:?}: {}", status.code(), status.message())),
        }
    }
}

/// Keeps the worker connected until the manager refuses it.
pub async fn run(identity: WorkerIdentity, handler: Arc<dyn JobHandler>) -> Result<(), Refused> {
    let mut failures = 0u32;
    loop {
        let ended = connect_once(&identity, handler.as_ref(), &mut failures).await;
        handler.disconnected();
        match ended {
            LinkEnd::Refused(reason) => {
                tracing::error!(%reason, "the manager refused this worker");
                return Err(Refused(reason));
            }
            LinkEnd::Lost(reason) => {
                tracing::warn!(%reason, manager = %identity.manager_address, "lost the manager; reconnecting");
            }
        }
        failures = failures.saturating_add(1);
        tokio::time::sleep(reconnect_backoff(failures)).await;
    }
}

async fn connect_once(identity: &WorkerIdentity, handler: &dyn JobHandler, failures: &mut u32) -> LinkEnd {
    let endpoint = match tonic::transport::Endpoint::from_shared(identity.manager_address.clone()) {
        Ok(endpoint) => endpoint.tcp_nodelay(true),
        Err(err) => return LinkEnd::Refused(format!("bad MANAGER_ADDRESS: {err}")),
    };
    let channel = match endpoint.connect().await {
        Ok(channel) => channel,
        Err(err) => return LinkEnd::Lost(err.to_string()),
    };
    let (outbound, receiver) = mpsc::channel(64);
    let hello = pb::Hello {
        kind: identity.kind as i32,
        service_password: identity.service_password.clone(),
        address: identity.address.clone(),
        capacity: identity.capacity,
    };
    let _ = outbound.send(pb::ConnectRequest { message: Some(Outgoing::Hello(hello)) }).await;
    let client = WorkerLinkServiceClient::new(channel);
    let mut inbound = match client.clone().connect(ReceiverStream::new(receiver)).await {
        Ok(response) => response.into_inner(),
        Err(status) => return status.into(),
    };
    let welcome = match inbound.message().await {
        Ok(Some(pb::ConnectResponse { message: Some(Incoming::Welcome(welcome)) })) => welcome,
        Ok(_) => return LinkEnd::Lost("the manager did not answer Hello with Welcome".into()),
        Err(status) => return status.into(),
    };
    let authorization = match MetadataValue::try_from(format!("Bearer {}", welcome.worker_token)) {
        Ok(value) => value,
        Err(_) => return LinkEnd::Lost("the manager sent an unusable worker token".into()),
    };
    let link = ManagerLink { outbound: outbound.clone(), client, authorization };
    if let Err(reason) = handler.connected(&welcome, link) {
        return LinkEnd::Refused(reason);
    }
    *failures = 0;
    tracing::info!(worker_id = %welcome.worker_id, kind = ?identity.kind, "connected to the manager");
    let interval = Duration::from_secs(u64::from(welcome.heartbeat_interval_secs.max(1)));
    let mut heartbeats = tokio::time::interval(interval);
    loop {
        let message = tokio::select! {
            _ = heartbeats.tick() => {
                let beat = pb::Heartbeat { active_jobs: handler.active_jobs() };
                // A full stream is busy with messages, which count as signs
                // of life too: skip the beat rather than stop reading.
                let beat = pb::ConnectRequest { message: Some(Outgoing::Heartbeat(beat)) };
                if let Err(mpsc::error::TrySendError::Closed(_)) = outbound.try_send(beat) {
                    return LinkEnd::Lost("the stream to the manager closed".into());
                }
                continue;
            }
            message = inbound.message() => message,
        };
        match message {
            Ok(Some(pb::ConnectResponse { message: Some(message) })) => handler.handle(message),
            Ok(Some(_)) => {}
            Ok(None) => return LinkEnd::Lost("the manager closed the stream".into()),
            Err(status) => return status.into(),
        }
    }
}
