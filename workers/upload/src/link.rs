//! The upload worker on the one worker runtime: assignments from the
//! manager's stream, and its unary calls to record and query chunks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordvault_core::chunk::ChunkCodec;
use cordvault_core::token::UploadTokenKey;
use cordvault_core::{Error, Result};
use cordvault_proto::v1::WorkerKind;
use cordvault_proto::worker::v1 as pb;
use cordvault_proto::worker::v1::connect_response::Message as Incoming;
use cordvault_store::{ChunkStore, StoreSpec, UploadShape};
use cordvault_worker_runtime::{JobHandler, ManagerLink, Refused, WorkerIdentity};
use tokio::sync::watch;

/// What the Welcome set up: the store, the token key and the way back.
pub struct Session {
    pub store: Arc<dyn ChunkStore>,
    pub token_key: UploadTokenKey,
    pub manager: ManagerLink,
}

/// An upload this worker serves.
pub struct Assignment {
    pub codec: ChunkCodec,
    pub shape: UploadShape,
}

pub struct Link {
    manager_address: String,
    service_password: String,
    own_address: String,
    capacity: u32,
    discord_channels: Option<Vec<u64>>,
    session: watch::Sender<Option<Arc<Session>>>,
    assignments: Mutex<HashMap<String, Arc<Assignment>>>,
}

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
            kind: WorkerKind::Upload,
            address: self.own_address.clone(),
            capacity: self.capacity,
        };
        cordvault_worker_runtime::run(identity, self).await
    }

    fn assign(&self, assign: pb::Assign) {
        let codec = match ChunkCodec::from_data_key(&assign.data_key) {
            Ok(codec) => codec,
            Err(err) => {
                tracing::error!(upload_id = %assign.upload_id, error = %err, "assignment with a bad key");
                return;
            }
        };
        tracing::info!(upload_id = %assign.upload_id, size = assign.size, "upload assigned");
        let shape = UploadShape { size: assign.size, chunk_size: assign.chunk_size };
        let assignment = Assignment { codec, shape };
        self.assignments.lock().expect("assignments lock").insert(assign.upload_id, Arc::new(assignment));
    }
}

impl JobHandler for Link {
    fn connected(&self, welcome: &pb::Welcome, manager: ManagerLink) -> Result<(), String> {
        let spec = StoreSpec::parse(&welcome.chunk_store);
        let spec = match &self.discord_channels {
            Some(channels) => spec.map(|spec| spec.with_discord_channels(channels)),
            None => spec,
        };
        let store =
            spec.and_then(|spec| spec.open(u64::MAX)).map_err(|err| format!("cannot open the chunk store: {err}"))?;
        let session = Session { store, token_key: UploadTokenKey::new(&welcome.upload_token_key), manager };
        self.session.send_replace(Some(Arc::new(session)));
        Ok(())
    }

    fn handle(&self, message: Incoming) {
        match message {
            Incoming::Assign(assign) => self.assign(assign),
            Incoming::Release(release) => {
                self.assignments.lock().expect("assignments lock").remove(&release.upload_id);
            }
            Incoming::Welcome(_) | Incoming::ThumbnailJob(_) | Incoming::PackageJob(_) | Incoming::PackageCancel(_) => {
            }
        }
    }

    /// Forgets everything the last connection brought: keys and the link.
    fn disconnected(&self) {
        self.session.send_replace(None);
        self.assignments.lock().expect("assignments lock").clear();
    }

    fn active_jobs(&self) -> u32 {
        self.assignments.lock().expect("assignments lock").len() as u32
    }
}
