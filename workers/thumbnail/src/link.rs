//! The thumbnail worker on the one worker runtime: jobs come in on the
//! Connect stream, results go back on it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use cordvault_proto::v1::WorkerKind;
use cordvault_proto::worker::v1 as pb;
use cordvault_proto::worker::v1::connect_request::Message as Outgoing;
use cordvault_proto::worker::v1::connect_response::Message as Incoming;
use cordvault_store::ChunkStore;
use cordvault_worker_runtime::{JobHandler, ManagerLink, RunningWorker, WorkerIdentity};

use crate::WorkerConfig;
use crate::job::make_thumbnail;

/// Keeps the worker connected until the manager refuses it.
pub fn spawn(config: Arc<WorkerConfig>) -> RunningWorker {
    let identity = WorkerIdentity {
        manager_address: config.manager_address.clone(),
        service_password: config.service_password.clone(),
        kind: WorkerKind::Thumbnail,
        address: config.name.clone(),
        capacity: config.capacity,
    };
    let handler = Thumbnailer { config, connection: Mutex::default(), active: Arc::default() };
    RunningWorker::spawn(identity, Arc::new(handler))
}

struct Thumbnailer {
    config: Arc<WorkerConfig>,
    /// The store the manager named and the stream back, while connected.
    connection: Mutex<Option<(Arc<dyn ChunkStore>, ManagerLink)>>,
    /// Jobs being worked on, for the heartbeat.
    active: Arc<AtomicU32>,
}

impl JobHandler for Thumbnailer {
    fn connected(&self, welcome: &pb::Welcome, outbound: ManagerLink) -> Result<(), String> {
        let store = cordvault_store::StoreSpec::parse(&welcome.chunk_store)
            .and_then(|spec| spec.open(u64::MAX))
            .map_err(|err| format!("cannot open the chunk store: {err}"))?;
        *self.connection.lock().unwrap_or_else(PoisonError::into_inner) = Some((store, outbound));
        Ok(())
    }

    fn handle(&self, message: Incoming) {
        let Incoming::ThumbnailJob(job) = message else {
            return;
        };
        let Some((store, outbound)) = self.connection.lock().unwrap_or_else(PoisonError::into_inner).clone() else {
            return;
        };
        let (config, active) = (self.config.clone(), self.active.clone());
        active.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            answer(store, job, config, outbound).await;
            active.fetch_sub(1, Ordering::Relaxed);
        });
    }

    fn disconnected(&self) {
        *self.connection.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn active_jobs(&self) -> u32 {
        self.active.load(Ordering::Relaxed)
    }
}

async fn answer(store: Arc<dyn ChunkStore>, job: pb::ThumbnailJob, config: Arc<WorkerConfig>, outbound: ManagerLink) {
    let result = match make_thumbnail(store, &job, &config.render).await {
        Ok(thumbnail) => {
            tracing::debug!(job_id = job.job_id, width = thumbnail.width, height = thumbnail.height, "thumbnail made");
            pb::ThumbnailResult {
                job_id: job.job_id,
                data: thumbnail.data.into(),
                mime_type: thumbnail.mime_type.to_owned(),
                width: thumbnail.width,
                height: thumbnail.height,
                skipped_reason: String::new(),
            }
        }
        Err(skip) => {
            tracing::info!(job_id = job.job_id, mime_type = %job.mime_type, reason = %skip, "no thumbnail");
            pb::ThumbnailResult { job_id: job.job_id, skipped_reason: skip.0, ..Default::default() }
        }
    };
    outbound.send(Outgoing::ThumbnailResult(result)).await;
}
