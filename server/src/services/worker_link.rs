//! A worker's link to the manager: admission by the service password, the
//! messages each kind of worker gets, and the calls workers make with the
//! token Welcome gave them. The gRPC adapter only translates messages.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use cordvault_core::{Error, ErrorCode, Result};
use cordvault_store::StoreSpec;
use tokio::sync::{mpsc, oneshot};

use super::accounts::{Accounts, IssuedToken};
use super::packages::{AnalysisSlots, PackageAnswer, Packages, ToAnalysisWorker};
use super::throttle::{Throttle, ThrottleKey};
use super::thumbnails::{ThumbnailJob, ThumbnailOutcome, Thumbnails, WorkerSlots};
use super::uploads::{UploadState, Uploads};
use super::workers::{ToWorker, WorkerKind, WorkerRegistry};
use crate::db::users::UserRow;

/// A worker's first message.
pub struct Hello {
    pub kind: WorkerKind,
    pub service_password: String,
    pub address: String,
    pub capacity: u32,
}

/// What an admitted worker is told.
pub struct Welcome {
    pub worker_id: String,
    pub chunk_size: u64,
    pub chunk_store: StoreSpec,
    pub upload_token_key: Vec<u8>,
    pub heartbeat_interval: Duration,
    pub worker_token: String,
}

/// What the manager sends a connected worker after Welcome.
pub enum ToConnected {
    Registry(ToWorker),
    Thumbnail(ThumbnailJob),
    Analysis(ToAnalysisWorker),
}

/// What a connected worker sends on its stream.
pub enum FromWorker {
    Heartbeat { active_jobs: u32 },
    Thumbnail(ThumbnailOutcome),
    Package(PackageAnswer),
}

/// A chunk a worker stored and asks the manager to record.
pub struct WorkerChunk<'a> {
    pub upload_id: &'a str,
    pub chunk_index: u64,
    pub locator: &'a str,
    pub sealed_size: u64,
    pub seal_id: &'a str,
}

pub struct WorkerLinks {
    pub registry: Arc<WorkerRegistry>,
    pub accounts: Arc<Accounts>,
    pub uploads: Arc<Uploads>,
    pub thumbnails: Thumbnails,
    pub packages: Packages,
    pub chunk_size: u64,
    pub chunk_store: StoreSpec,
    pub throttle: Throttle,
}

/// An admitted worker's connection, until it is dropped.
pub struct WorkerSession {
    pub welcome: Welcome,
    /// Messages for the worker; closed when the registry drops it.
    pub outgoing: mpsc::Receiver<ToConnected>,
    /// Fires when the registry drops the worker (missed heartbeats).
    pub killed: oneshot::Receiver<()>,
    pub inbox: WorkerInbox,
}

/// Where a worker's messages go. Dropping it unregisters the worker.
pub struct WorkerInbox {
    worker_id: String,
    registry: Arc<WorkerRegistry>,
    outcomes: Option<mpsc::Sender<ThumbnailOutcome>>,
    package_answers: Option<mpsc::Sender<PackageAnswer>>,
}

impl WorkerInbox {
    pub async fn receive(&self, message: FromWorker) {
        match message {
            FromWorker::Heartbeat { active_jobs } => self.registry.seen(&self.worker_id, Some(active_jobs)),
            FromWorker::Thumbnail(outcome) => {
                self.registry.seen(&self.worker_id, None);
                if let Some(outcomes) = &self.outcomes {
                    let _ = outcomes.send(outcome).await;
                }
            }
            FromWorker::Package(answer) => {
                self.registry.seen(&self.worker_id, None);
                if let Some(answers) = &self.package_answers {
                    let _ = answers.send(answer).await;
                }
            }
        }
    }
}

impl Drop for WorkerInbox {
    fn drop(&mut self) {
        self.registry.unregister(&self.worker_id);
    }
}

impl WorkerLinks {
    /// Admits a worker that knows the service password; guesses from one
    /// address are throttled like login attempts.
    pub fn connect(&self, peer: Option<SocketAddr>, hello: Hello) -> Result<WorkerSession> {
        let throttle_keys: Vec<ThrottleKey> = peer.map(|peer| ThrottleKey::Worker(peer.ip())).into_iter().collect();
        self.throttle.check(&throttle_keys)?;
        let registration =
            match self.registry.register(hello.kind, &hello.service_password, &hello.address, hello.capacity) {
                Ok(registration) => registration,
                Err(err) => {
                    tracing::warn!(?peer, address = %hello.address, reason = %err.message, "worker refused");
                    if err.code == ErrorCode::PermissionDenied {
                        self.throttle.failed(&throttle_keys);
                    }
                    return Err(err);
                }
            };
        let worker_id = registration.worker_id;
        let welcome = Welcome {
            worker_id: worker_id.clone(),
            chunk_size: self.chunk_size,
            chunk_store: self.chunk_store.clone(),
            upload_token_key: registration.token_secret,
            heartbeat_interval: self.registry.heartbeat_interval,
            worker_token: registration.worker_token,
        };
        let (sender, outgoing) = mpsc::channel(64);
        forward(registration.messages, sender.clone(), ToConnected::Registry);

        // A thumbnail worker's jobs come from the queue; its answers go back to it.
        let outcomes = (hello.kind == WorkerKind::Thumbnail).then(|| {
            let (jobs, queued) = mpsc::channel::<ThumbnailJob>(1);
            let (outcomes, answers) = mpsc::channel::<ThumbnailOutcome>(16);
            let slots = WorkerSlots { worker_id: worker_id.clone(), capacity: hello.capacity, jobs, outcomes: answers };
            let thumbnails = self.thumbnails.clone();
            tokio::spawn(async move { thumbnails.serve(slots).await });
            forward(queued, sender.clone(), ToConnected::Thumbnail);
            outcomes
        });
        // So are an analysis worker's; its answers come in pieces.
        let package_answers = (hello.kind == WorkerKind::Analysis).then(|| {
            let (jobs, queued) = mpsc::channel::<ToAnalysisWorker>(1);
            let (answers, received) = mpsc::channel::<PackageAnswer>(16);
            let slots =
                AnalysisSlots { worker_id: worker_id.clone(), capacity: hello.capacity, jobs, answers: received };
            let packages = self.packages.clone();
            tokio::spawn(async move { packages.serve(slots).await });
            forward(queued, sender, ToConnected::Analysis);
            answers
        });
        let inbox = WorkerInbox { worker_id, registry: self.registry.clone(), outcomes, package_answers };
        Ok(WorkerSession { welcome, outgoing, killed: registration.killed, inbox })
    }

    /// Logs a user in for a gateway (SFTP) that saw them prove to hold
    /// `public_key`. Wrong service passwords from one address are
    /// throttled as workers' are.
    pub async fn gateway_login(
        &self,
        peer: Option<IpAddr>,
        service_password: &str,
        username: &str,
        public_key: &str,
    ) -> Result<(UserRow, IssuedToken)> {
        let throttle_keys: Vec<ThrottleKey> = peer.map(ThrottleKey::Worker).into_iter().collect();
        self.throttle.check(&throttle_keys)?;
        if !self.registry.service_password_matches(service_password) {
            tracing::warn!(?peer, "gateway login with a wrong service password");
            self.throttle.failed(&throttle_keys);
            return Err(Error::unauthenticated("wrong service password"));
        }
        self.accounts.login_with_ssh_key(username, public_key).await
    }

    /// Records a chunk that a worker stored for an upload routed to it. A
    /// worker (or whoever holds its token) cannot touch another worker's uploads.
    pub async fn record_chunk(&self, worker_token: &str, chunk: WorkerChunk<'_>) -> Result<()> {
        self.registry.authorize(worker_token, chunk.upload_id)?;
        let WorkerChunk { upload_id, chunk_index, locator, sealed_size, seal_id } = chunk;
        self.uploads.record_worker_chunk(upload_id, chunk_index, locator, sealed_size, seal_id).await
    }

    /// The durable chunks of an upload routed to the calling worker.
    pub async fn query_chunks(&self, worker_token: &str, upload_id: &str) -> Result<(UploadState, Vec<u64>)> {
        self.registry.authorize(worker_token, upload_id)?;
        self.uploads.query_for_worker(upload_id).await
    }
}

/// Passes a channel's messages on, wrapped, until either side closes.
fn forward<T: Send + 'static>(mut from: mpsc::Receiver<T>, to: mpsc::Sender<ToConnected>, wrap: fn(T) -> ToConnected) {
    tokio::spawn(async move {
        while let Some(message) = from.recv().await {
            if to.send(wrap(message)).await.is_err() {
                return;
            }
        }
    });
}
