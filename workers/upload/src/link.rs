//! The upload worker on the one worker runtime: assignments from the
//! manager, and request/response calls (chunk records, queries) over the
//! Connect stream.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordvault_core::chunk::ChunkCodec;
use cordvault_core::crypto::SecretKey;
use cordvault_core::status::from_code_number;
use cordvault_core::token::UploadTokenKey;
use cordvault_core::{Error, Result};
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::connect_request::Message as Outgoing;
use cordvault_proto::v1::connect_response::Message as Incoming;
use cordvault_store::ChunkStore;
use cordvault_worker_runtime::{JobHandler, Outbound, Refused, WorkerIdentity};
use tokio::sync::{oneshot, watch};

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

pub struct Link {
    manager_address: String,
    service_password: String,
    own_address: String,
    capacity: u32,
    discord_channels: Option<Vec<u64>>,
    session: watch::Sender<Option<Arc<Session>>>,
    assignments: Mutex<HashMap<String, Arc<Assignment>>>,
    outgoing: Mutex<Option<Outbound>>,
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

    /// Keeps the link up until the manager refuses this worker.
    pub async fn run(self: Arc<Self>) -> Result<(), Refused> {
        let identity = WorkerIdentity {
            manager_address: self.manager_address.clone(),
            service_password: self.service_password.clone(),
            kind: pb::WorkerKind::Upload,
            address: self.own_address.clone(),
            capacity: self.capacity,
        };
        cordvault_worker_runtime::run(identity, self).await
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
        let outbound = self.outgoing.lock().expect("outgoing lock").clone().ok_or_else(unknown)?;
        if !outbound.send(make(request_id)).await {
            return Err(unknown());
        }
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

impl JobHandler for Link {
    fn connected(&self, welcome: &pb::Welcome, outbound: Outbound) -> Result<(), String> {
        let spec = match &self.discord_channels {
            Some(channels) => cordvault_store::with_discord_channels(&welcome.chunk_store, channels),
            None => Ok(welcome.chunk_store.clone()),
        };
        let store = spec
            .and_then(|spec| cordvault_store::open(&spec, u64::MAX))
            .map_err(|err| format!("cannot open the chunk store: {err}"))?;
        let session = Session { store, token_key: UploadTokenKey::new(&welcome.upload_token_key) };
        *self.outgoing.lock().expect("outgoing lock") = Some(outbound);
        self.session.send_replace(Some(Arc::new(session)));
        Ok(())
    }

    fn handle(&self, message: Incoming) {
        match message {
            Incoming::Assign(assign) => self.assign(assign),
            Incoming::Release(release) => {
                self.assignments.lock().expect("assignments lock").remove(&release.upload_id);
            }
            answer @ (Incoming::ChunkRecorded(_) | Incoming::ChunksDurable(_)) => self.answer(answer),
            Incoming::Welcome(_) | Incoming::ThumbnailJob(_) => {}
        }
    }

    /// Forgets everything the last connection brought: keys, pending calls.
    fn disconnected(&self) {
        self.session.send_replace(None);
        self.assignments.lock().expect("assignments lock").clear();
        *self.outgoing.lock().expect("outgoing lock") = None;
        self.pending.lock().expect("pending lock").clear();
    }

    fn active_uploads(&self) -> u32 {
        self.assignments.lock().expect("assignments lock").len() as u32
    }
}
