//! The worker's connection to the manager: Hello/Welcome, assignments, and
//! request/response calls (chunk records, queries) over one Connect stream.
//! It reconnects with backoff and jitter whenever the stream breaks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordvault_client::worker_link::{LinkEnd, classify, connect_request, send_heartbeats};
use cordvault_core::chunk::ChunkCodec;
use cordvault_core::crypto::SecretKey;
use cordvault_core::retry::reconnect_backoff;
use cordvault_core::status::from_code_number;
use cordvault_core::token::UploadTokenKey;
use cordvault_core::{Error, Result};
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::connect_request::Message as Outgoing;
use cordvault_proto::v1::connect_response::Message as Incoming;
use cordvault_proto::v1::worker_service_client::WorkerServiceClient;
use cordvault_store::ChunkStore;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_stream::wrappers::ReceiverStream;

/// What the Welcome set up: the store and the token key.
pub struct Session {
    pub store: Arc<dyn ChunkStore>,
    pub token_key: UploadTokenKey,
}

/// An upload this worker serves.
pub struct Assignment {
    pub codec: ChunkCodec,
    pub size: u64,
    pub chunk_size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the manager refused this worker: {0}")]
    Refused(String),
}

pub struct Link {
    manager_address: String,
    service_password: String,
    own_address: String,
    capacity: u32,
    discord_channels: Option<Vec<u64>>,
    session: watch::Sender<Option<Arc<Session>>>,
    assignments: Mutex<HashMap<String, Arc<Assignment>>>,
    outgoing: Mutex<Option<mpsc::Sender<pb::ConnectRequest>>>,
    pending: Mutex<HashMap<u64, oneshot::Sender<Incoming>>>,
    next_request: AtomicU64,
}

/// How long a call to the manager may take before its outcome counts as unknown.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

impl Link {
    pub fn new(
        manager_address: String,
        service_password: String,
        own_address: String,
        capacity: u32,
        discord_channels: Option<Vec<u64>>,
    ) -> Self {
        Link {
            manager_address,
            service_password,
            own_address,
            capacity,
            discord_channels,
            session: watch::channel(None).0,
            assignments: Mutex::default(),
            outgoing: Mutex::default(),
            pending: Mutex::default(),
            next_request: AtomicU64::new(1),
        }
    }

    pub fn session(&self) -> Result<Arc<Session>> {
        self.session
            .borrow()
            .clone()
            .ok_or_else(|| Error::unavailable("this worker is not connected to the manager; try again"))
    }

    pub fn assignment(&self, upload_id: &str) -> Option<Arc<Assignment>> {
        self.assignments.lock().expect("assignments lock").get(upload_id).cloned()
    }

    /// The assignment, waiting briefly: a client may reach this worker
    /// a moment before the manager's Assign does.
    pub async fn wait_for_assignment(&self, upload_id: &str) -> Option<Arc<Assignment>> {
        for _ in 0..100 {
            if let Some(assignment) = self.assignment(upload_id) {
                return Some(assignment);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    pub fn assigned_uploads(&self) -> usize {
        self.assignments.lock().expect("assignments lock").len()
    }

    /// Keeps the link up until the manager refuses this worker.
    pub async fn run(self: Arc<Self>) -> Result<(), LinkError> {
        let mut failures = 0u32;
        loop {
            match self.connect_once(&mut failures).await {
                Err(LinkEnd::Refused(reason)) => {
                    tracing::error!(%reason, "the manager refused this worker");
                    return Err(LinkError::Refused(reason));
                }
                Err(LinkEnd::Lost(reason)) => {
                    tracing::warn!(%reason, manager = %self.manager_address, "lost the manager; reconnecting");
                }
            }
            self.disconnected();
            failures = failures.saturating_add(1);
            tokio::time::sleep(reconnect_backoff(failures)).await;
        }
    }

    /// Forgets everything the last connection brought: keys, pending calls.
    fn disconnected(&self) {
        self.session.send_replace(None);
        self.assignments.lock().expect("assignments lock").clear();
        *self.outgoing.lock().expect("outgoing lock") = None;
        self.pending.lock().expect("pending lock").clear();
    }

    async fn connect_once(&self, failures: &mut u32) -> Result<std::convert::Infallible, LinkEnd> {
        let lost = |err: &dyn std::fmt::Display| LinkEnd::Lost(err.to_string());
        let channel = tonic::transport::Endpoint::from_shared(self.manager_address.clone())
            .map_err(|err| LinkEnd::Refused(format!("bad MANAGER_ADDRESS: {err}")))?
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(|err| lost(&err))?;
        let mut client = WorkerServiceClient::new(channel);
        let (sender, receiver) = mpsc::channel(64);
        let hello = pb::Hello {
            kind: pb::WorkerKind::Upload as i32,
            service_password: self.service_password.clone(),
            address: self.own_address.clone(),
            capacity: self.capacity,
        };
        sender.send(connect_request(Outgoing::Hello(hello))).await.map_err(|err| lost(&err))?;
        let mut inbound = match client.connect(ReceiverStream::new(receiver)).await {
            Ok(response) => response.into_inner(),
            Err(status) => return Err(classify(status)),
        };
        let welcome = match inbound.message().await {
            Ok(Some(pb::ConnectResponse { message: Some(Incoming::Welcome(welcome)) })) => welcome,
            Ok(_) => return Err(LinkEnd::Lost("the manager did not answer Hello with Welcome".into())),
            Err(status) => return Err(classify(status)),
        };
        let spec = match &self.discord_channels {
            Some(channels) => cordvault_store::with_discord_channels(&welcome.chunk_store, channels),
            None => Ok(welcome.chunk_store.clone()),
        };
        let store = spec
            .and_then(|spec| cordvault_store::open(&spec, u64::MAX))
            .map_err(|err| LinkEnd::Refused(format!("cannot open the chunk store: {err}")))?;
        let session = Session { store, token_key: UploadTokenKey::new(&welcome.upload_token_key) };
        *self.outgoing.lock().expect("outgoing lock") = Some(sender.clone());
        self.session.send_replace(Some(Arc::new(session)));
        *failures = 0;
        tracing::info!(worker_id = %welcome.worker_id, "connected to the manager");

        let heartbeat =
            tokio::spawn(send_heartbeats(sender, Duration::from_secs(welcome.heartbeat_interval_secs.max(1) as u64)));
        let result = loop {
            let message = match inbound.message().await {
                Ok(Some(message)) => message,
                Ok(None) => break LinkEnd::Lost("the manager closed the stream".into()),
                Err(status) => break classify(status),
            };
            match message.message {
                Some(Incoming::Assign(assign)) => self.assign(assign),
                Some(Incoming::Release(release)) => {
                    self.assignments.lock().expect("assignments lock").remove(&release.upload_id);
                }
                Some(answer @ (Incoming::ChunkRecorded(_) | Incoming::ChunksDurable(_))) => self.answer(answer),
                Some(Incoming::Welcome(_) | Incoming::ThumbnailJob(_)) | None => {}
            }
        };
        heartbeat.abort();
        Err(result)
    }

    fn assign(&self, assign: pb::Assign) {
        let codec = if assign.data_key.is_empty() {
            ChunkCodec::Plain
        } else {
            match SecretKey::from_bytes(&assign.data_key) {
                Ok(key) => ChunkCodec::Sealed(key),
                Err(err) => {
                    tracing::error!(upload_id = %assign.upload_id, error = %err, "assignment with a bad key");
                    return;
                }
            }
        };
        tracing::info!(upload_id = %assign.upload_id, size = assign.size, "upload assigned");
        let assignment = Assignment { codec, size: assign.size, chunk_size: assign.chunk_size };
        self.assignments.lock().expect("assignments lock").insert(assign.upload_id, Arc::new(assignment));
    }

    fn answer(&self, answer: Incoming) {
        let request_id = match &answer {
            Incoming::ChunkRecorded(recorded) => recorded.request_id,
            Incoming::ChunksDurable(durable) => durable.request_id,
            _ => return,
        };
        if let Some(waiter) = self.pending.lock().expect("pending lock").remove(&request_id) {
            let _ = waiter.send(answer);
        }
    }

    /// Sends a request and waits for its answer. An error of code
    /// UNAVAILABLE means the outcome is unknown.
    async fn call(&self, make: impl FnOnce(u64) -> Outgoing) -> Result<Incoming> {
        let unknown = || Error::unavailable("the manager did not answer; try again");
        let request_id = self.next_request.fetch_add(1, Ordering::Relaxed);
        let (waiter, answer) = oneshot::channel();
        self.pending.lock().expect("pending lock").insert(request_id, waiter);
        let sender = self.outgoing.lock().expect("outgoing lock").clone().ok_or_else(unknown)?;
        sender.send(connect_request(make(request_id))).await.map_err(|_| unknown())?;
        let answer = tokio::time::timeout(CALL_TIMEOUT, answer).await;
        self.pending.lock().expect("pending lock").remove(&request_id);
        answer.map_err(|_| unknown())?.map_err(|_| unknown())
    }

    /// Has the manager record a stored chunk.
    pub async fn record_chunk(
        &self,
        upload_id: &str,
        chunk_index: u64,
        locator: &str,
        sealed_size: u64,
        seal_id: &str,
    ) -> Result<()> {
        let answer = self
            .call(|request_id| {
                Outgoing::ChunkStored(pb::ChunkStored {
                    request_id,
                    upload_id: upload_id.to_owned(),
                    chunk_index,
                    locator: locator.to_owned(),
                    sealed_size,
                    seal_id: seal_id.to_owned(),
                })
            })
            .await?;
        match answer {
            Incoming::ChunkRecorded(recorded) => from_code_number(recorded.code, recorded.message),
            _ => Err(Error::internal("the manager answered with the wrong message")),
        }
    }

    pub async fn query(&self, upload_id: &str) -> Result<pb::QueryUploadResponse> {
        let answer = self
            .call(|request_id| Outgoing::QueryChunks(pb::QueryChunks { request_id, upload_id: upload_id.to_owned() }))
            .await?;
        match answer {
            Incoming::ChunksDurable(durable) => {
                from_code_number(durable.code, durable.message)?;
                durable.upload.ok_or_else(|| Error::internal("the manager's answer lacks the upload"))
            }
            _ => Err(Error::internal("the manager answered with the wrong message")),
        }
    }
}
