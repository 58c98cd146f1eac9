//! Connected workers: who they are, what each serves, and which one takes
//! the next upload (the least loaded). The registry lives in memory; upload
//! state lives in the database, so a restart loses nothing but the
//! connections, which workers re-establish.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cordvault_core::crypto::{constant_time_eq, random_hex};
use cordvault_core::token::UploadTokenKey;
use cordvault_core::{Error, Result};
use tokio::sync::{broadcast, mpsc, oneshot};

/// What a worker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    /// Takes chunks from clients on its own port.
    Upload,
    /// Makes thumbnails of queued pictures and videos.
    Thumbnail,
    /// Analyses Discord data packages.
    Analysis,
}

/// A connected worker as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    pub id: String,
    pub kind: WorkerKind,
    pub address: String,
    pub capacity: u32,
    pub active_uploads: u32,
}

#[derive(Debug, Clone)]
pub enum WorkerEvent {
    Joined(WorkerInfo),
    Left(WorkerInfo),
}

/// Messages the manager sends a worker.
#[derive(Debug, Clone)]
pub enum ToWorker {
    Assign { upload_id: String, size: u64, chunk_size: u64, data_key: Vec<u8> },
    Release { upload_id: String },
}

/// Where a client sends an upload's chunks.
#[derive(Debug, Clone)]
pub struct UploadRoute {
    pub endpoint: String,
    pub token: String,
}

struct Connected {
    kind: WorkerKind,
    address: String,
    capacity: u32,
    uploads: HashSet<String>,
    /// Jobs in progress, as the worker's last heartbeat said.
    reported_jobs: u32,
    /// SHA-256 of the secret half of the worker's token.
    token_digest: Vec<u8>,
    last_seen: Instant,
    sender: mpsc::Sender<ToWorker>,
    /// Dropping it ends the worker's stream.
    _kill: oneshot::Sender<()>,
}

impl Connected {
    fn info(&self, id: &str) -> WorkerInfo {
        WorkerInfo {
            id: id.to_owned(),
            kind: self.kind,
            address: self.address.clone(),
            capacity: self.capacity,
            // The manager knows which uploads it routed to a worker the
            // moment it routes them; other work only the worker knows.
            active_uploads: match self.kind {
                WorkerKind::Upload => self.uploads.len() as u32,
                WorkerKind::Thumbnail | WorkerKind::Analysis => self.reported_jobs,
            },
        }
    }

    fn load(&self) -> f64 {
        self.uploads.len() as f64 / f64::from(self.capacity.max(1))
    }
}

pub struct WorkerRegistry {
    workers: Mutex<HashMap<String, Connected>>,
    events: broadcast::Sender<WorkerEvent>,
    service_password: String,
    token_key: UploadTokenKey,
    token_secret: Vec<u8>,
    pub heartbeat_interval: Duration,
}

/// What a newly registered worker needs.
pub struct Registration {
    pub worker_id: String,
    /// The worker's credential for its unary calls: `<worker_id>.<secret>`,
    /// valid while it stays registered.
    pub worker_token: String,
    pub messages: mpsc::Receiver<ToWorker>,
    pub killed: oneshot::Receiver<()>,
    pub token_secret: Vec<u8>,
}

impl WorkerRegistry {
    pub fn new(service_password: String, heartbeat_interval: Duration) -> Self {
        let (token_key, token_secret) = UploadTokenKey::derive(&service_password);
        WorkerRegistry {
            workers: Mutex::default(),
            events: broadcast::channel(256).0,
            service_password,
            token_key,
            token_secret,
            heartbeat_interval,
        }
    }

    pub fn token_key(&self) -> &UploadTokenKey {
        &self.token_key
    }

    /// Whether `candidate` is the service password. Digests compared in
    /// constant time: the timing tells neither how much of it was right nor
    /// its length.
    pub fn service_password_matches(&self, candidate: &str) -> bool {
        constant_time_eq(&sha256(candidate), &sha256(&self.service_password))
    }

    /// Admits a worker that knows the service password.
    pub fn register(
        &self,
        kind: WorkerKind,
        service_password: &str,
        address: &str,
        capacity: u32,
    ) -> Result<Registration> {
        if !self.service_password_matches(service_password) {
            return Err(Error::permission_denied("wrong service password"));
        }
        if address.is_empty() {
            return Err(Error::invalid_argument("a worker must say its own address"));
        }
        let worker_id = random_hex::<8>();
        let secret = random_hex::<32>();
        let (sender, messages) = mpsc::channel(256);
        let (kill, killed) = oneshot::channel();
        let worker = Connected {
            kind,
            address: address.to_owned(),
            capacity: capacity.max(1),
            uploads: HashSet::new(),
            reported_jobs: 0,
            token_digest: sha256(&secret),
            last_seen: Instant::now(),
            sender,
            _kill: kill,
        };
        let info = worker.info(&worker_id);
        self.workers.lock().expect("workers lock").insert(worker_id.clone(), worker);
        let _ = self.events.send(WorkerEvent::Joined(info));
        tracing::info!(%worker_id, ?kind, %address, capacity, "worker joined");
        let worker_token = format!("{worker_id}.{secret}");
        Ok(Registration { worker_id, worker_token, messages, killed, token_secret: self.token_secret.clone() })
    }

    /// The worker a token belongs to, while that worker is registered.
    /// The worker a token belongs to, if the manager routed `upload_id` to
    /// it; the call counts as a sign of life. One look under the lock, so a
    /// worker dropped in between cannot pass the token check and fail the next.
    pub fn authorize(&self, worker_token: &str, upload_id: &str) -> Result<String> {
        let refused = || Error::unauthenticated("not a token of a connected worker; reconnect");
        let (worker_id, secret) = worker_token.split_once('.').ok_or_else(refused)?;
        let mut workers = self.workers.lock().expect("workers lock");
        let worker = workers.get_mut(worker_id).ok_or_else(refused)?;
        // Comparing digests keeps the timing independent of the secret.
        if !constant_time_eq(&sha256(secret), &worker.token_digest) {
            return Err(refused());
        }
        if !worker.uploads.contains(upload_id) {
            return Err(Error::failed_precondition(format!(
                "upload {upload_id} is not assigned to this worker; the client must start it again"
            )));
        }
        worker.last_seen = Instant::now();
        Ok(worker_id.to_owned())
    }

    pub fn unregister(&self, worker_id: &str) {
        let removed = self.workers.lock().expect("workers lock").remove(worker_id);
        if let Some(worker) = removed {
            let info = worker.info(worker_id);
            tracing::info!(%worker_id, address = %info.address, uploads = info.active_uploads, "worker left");
            let _ = self.events.send(WorkerEvent::Left(info));
        }
    }

    /// Any message from the worker is a sign of life; a heartbeat also
    /// carries the number of jobs it has in hand.
    pub fn seen(&self, worker_id: &str, active_jobs: Option<u32>) {
        if let Some(worker) = self.workers.lock().expect("workers lock").get_mut(worker_id) {
            worker.last_seen = Instant::now();
            if let Some(active_jobs) = active_jobs {
                worker.reported_jobs = active_jobs;
            }
        }
    }

    /// Drops workers silent for three heartbeat intervals; their uploads go
    /// to others when clients come back for them.
    pub fn drop_silent(&self) {
        let limit = self.heartbeat_interval * 3;
        let silent: Vec<String> = self
            .workers
            .lock()
            .expect("workers lock")
            .iter()
            .filter(|(_, worker)| worker.last_seen.elapsed() > limit)
            .map(|(id, _)| id.clone())
            .collect();
        for worker_id in silent {
            tracing::warn!(%worker_id, "worker missed its heartbeats; dropping it");
            self.unregister(&worker_id);
        }
    }

    /// Routes an upload to a worker: the one already serving it, else the
    /// least loaded. None when no worker is connected.
    pub fn route(
        &self,
        upload_id: &str,
        size: u64,
        chunk_size: u64,
        data_key: &[u8],
        expires_at_ms: i64,
    ) -> Option<UploadRoute> {
        let mut workers = self.workers.lock().expect("workers lock");
        if let Some(worker) = workers.values().find(|worker| worker.uploads.contains(upload_id)) {
            return Some(UploadRoute {
                endpoint: worker.address.clone(),
                token: self.token_key.sign(upload_id, expires_at_ms),
            });
        }
        let mut candidates: Vec<(&String, &mut Connected)> =
            workers.iter_mut().filter(|(_, worker)| worker.kind == WorkerKind::Upload).collect();
        candidates.sort_by(|a, b| a.1.load().total_cmp(&b.1.load()).then_with(|| a.0.cmp(b.0)));
        for (worker_id, worker) in candidates {
            let assign =
                ToWorker::Assign { upload_id: upload_id.to_owned(), size, chunk_size, data_key: data_key.to_vec() };
            if worker.sender.try_send(assign).is_err() {
                continue;
            }
            worker.uploads.insert(upload_id.to_owned());
            tracing::info!(%upload_id, %worker_id, "upload assigned");
            return Some(UploadRoute {
                endpoint: worker.address.clone(),
                token: self.token_key.sign(upload_id, expires_at_ms),
            });
        }
        None
    }

    /// The upload is over: its worker forgets the key.
    pub fn release(&self, upload_id: &str) {
        let mut workers = self.workers.lock().expect("workers lock");
        for worker in workers.values_mut() {
            if worker.uploads.remove(upload_id) {
                let _ = worker.sender.try_send(ToWorker::Release { upload_id: upload_id.to_owned() });
            }
        }
    }

    pub fn list(&self) -> Vec<WorkerInfo> {
        let workers = self.workers.lock().expect("workers lock");
        let mut list: Vec<WorkerInfo> = workers.iter().map(|(id, worker)| worker.info(id)).collect();
        list.sort_by(|a, b| a.address.cmp(&b.address));
        list
    }

    /// The workers now, and every change from this moment on.
    pub fn watch(&self) -> (Vec<WorkerInfo>, broadcast::Receiver<WorkerEvent>) {
        let workers = self.workers.lock().expect("workers lock");
        let receiver = self.events.subscribe();
        let list = workers.iter().map(|(id, worker)| worker.info(id)).collect();
        (list, receiver)
    }
}

fn sha256(text: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref().to_vec()
}
