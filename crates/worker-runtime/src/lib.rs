//! The one loop every cordvault worker runs, whatever its kind: connect to
//! the manager, say Hello, wait for Welcome, hand each later message to the
//! worker's [`JobHandler`], send heartbeats, and reconnect with jittered
//! backoff whenever the stream breaks, until the manager refuses the worker.
//! A worker kind only says what it does with a connection (as Garage's
//! `Worker` trait does for its background tasks); the loop is written once.

use std::sync::Arc;
use std::time::Duration;

use cordvault_core::retry::reconnect_backoff;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::connect_request::Message as Outgoing;
use cordvault_proto::v1::connect_response::Message as Incoming;
use cordvault_proto::v1::worker_service_client::WorkerServiceClient;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Who the worker tells the manager it is.
#[derive(Debug, Clone)]
pub struct WorkerIdentity {
    /// The manager's gRPC URL, e.g. `http://127.0.0.1:8080`.
    pub manager_address: String,
    pub service_password: String,
    pub kind: pb::WorkerKind,
    /// Where clients reach an upload worker; a thumbnail worker's name.
    pub address: String,
    /// How much work it takes at once.
    pub capacity: u32,
}

/// What a worker does with its connection. The methods run on the loop's
/// task: they must return quickly and spawn anything long.
pub trait JobHandler: Send + Sync + 'static {
    /// The manager welcomed the worker; `outbound` carries the worker's
    /// messages until the stream ends. An error refuses the connection for
    /// good (a chunk store it cannot open): the loop stops.
    fn connected(&self, welcome: &pb::Welcome, outbound: Outbound) -> Result<(), String>;
    /// A message from the manager after Welcome.
    fn handle(&self, message: Incoming);
    /// The stream ended: forget what the connection brought.
    fn disconnected(&self) {}
    /// Uploads in progress, reported in every heartbeat.
    fn active_uploads(&self) -> u32 {
        0
    }
}

/// The sending half of a worker's Connect stream.
#[derive(Debug, Clone)]
pub struct Outbound(mpsc::Sender<pb::ConnectRequest>);

impl Outbound {
    /// False once the stream is gone.
    pub async fn send(&self, message: Outgoing) -> bool {
        self.0.send(pb::ConnectRequest { message: Some(message) }).await.is_ok()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the manager refused this worker: {0}")]
pub struct Refused(pub String);

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
    let (sender, receiver) = mpsc::channel(64);
    let outbound = Outbound(sender);
    let hello = pb::Hello {
        kind: identity.kind as i32,
        service_password: identity.service_password.clone(),
        address: identity.address.clone(),
        capacity: identity.capacity,
    };
    outbound.send(Outgoing::Hello(hello)).await;
    let mut inbound = match WorkerServiceClient::new(channel).connect(ReceiverStream::new(receiver)).await {
        Ok(response) => response.into_inner(),
        Err(status) => return status.into(),
    };
    let welcome = match inbound.message().await {
        Ok(Some(pb::ConnectResponse { message: Some(Incoming::Welcome(welcome)) })) => welcome,
        Ok(_) => return LinkEnd::Lost("the manager did not answer Hello with Welcome".into()),
        Err(status) => return status.into(),
    };
    if let Err(reason) = handler.connected(&welcome, outbound.clone()) {
        return LinkEnd::Refused(reason);
    }
    *failures = 0;
    tracing::info!(worker_id = %welcome.worker_id, kind = ?identity.kind, "connected to the manager");
    let interval = Duration::from_secs(u64::from(welcome.heartbeat_interval_secs.max(1)));
    let mut heartbeats = tokio::time::interval(interval);
    loop {
        let message = tokio::select! {
            _ = heartbeats.tick() => {
                let beat = pb::Heartbeat { active_uploads: handler.active_uploads() };
                // A full stream is busy with messages, which count as signs
                // of life too: skip the beat rather than stop reading.
                let beat = pb::ConnectRequest { message: Some(Outgoing::Heartbeat(beat)) };
                if let Err(mpsc::error::TrySendError::Closed(_)) = outbound.0.try_send(beat) {
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
