//! The analysis worker on the one worker runtime: package jobs come in on
//! the Connect stream, progress and results go back on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use cordvault_proto::v1::WorkerKind;
use cordvault_proto::worker::v1::connect_response::Message as Incoming;
use cordvault_store::ChunkStore;
use cordvault_worker_runtime::{JobHandler, ManagerLink, RunningWorker, WorkerIdentity};
use tokio::task::AbortHandle;

use crate::WorkerConfig;

/// Keeps the worker connected until the manager refuses it.
pub fn spawn(config: Arc<WorkerConfig>) -> RunningWorker {
    let identity = WorkerIdentity {
        manager_address: config.manager_address.clone(),
        service_password: config.service_password.clone(),
        kind: WorkerKind::Analysis,
        address: config.name.clone(),
        capacity: config.capacity,
    };
    let handler = Analyst { config, link: Mutex::default(), running: Arc::default() };
    RunningWorker::spawn(identity, Arc::new(handler))
}

struct Analyst {
    config: Arc<WorkerConfig>,
    /// The store the manager named (uploaded and stored zips are read from
    /// it) and the stream back, while connected.
    link: Mutex<Option<(Arc<dyn ChunkStore>, ManagerLink)>>,
    /// Jobs being worked on, by package id, to cancel them.
    running: Arc<Mutex<HashMap<String, AbortHandle>>>,
}

impl JobHandler for Analyst {
    fn connected(&self, welcome: &cordvault_proto::worker::v1::Welcome, link: ManagerLink) -> Result<(), String> {
        std::fs::create_dir_all(&self.config.work_dir)
            .map_err(|err| format!("cannot create the work folder {}: {err}", self.config.work_dir.display()))?;
        let store = cordvault_store::StoreSpec::parse(&welcome.chunk_store)
            .and_then(|spec| spec.open(u64::MAX))
            .map_err(|err| format!("cannot open the chunk store: {err}"))?;
        *self.link.lock().unwrap_or_else(PoisonError::into_inner) = Some((store, link));
        Ok(())
    }

    fn handle(&self, message: Incoming) {
        match message {
            Incoming::PackageJob(job) => {
                let Some((store, link)) = self.link.lock().unwrap_or_else(PoisonError::into_inner).clone() else {
                    return;
                };
                let package_id = job.package_id.clone();
                let (running, id) = (self.running.clone(), package_id.clone());
                let (work_dir, limits) = (self.config.work_dir.clone(), self.config.limits.clone());
                let task = tokio::spawn(async move {
                    crate::job::run(job, work_dir, limits, store, link).await;
                    running.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
                });
                self.running.lock().unwrap_or_else(PoisonError::into_inner).insert(package_id, task.abort_handle());
            }
            Incoming::PackageCancel(cancel) => {
                let task = self.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&cancel.package_id);
                if let Some(task) = task {
                    tracing::info!(package_id = %cancel.package_id, "package job cancelled");
                    task.abort();
                }
            }
            _ => {}
        }
    }

    fn disconnected(&self) {
        *self.link.lock().unwrap_or_else(PoisonError::into_inner) = None;
        // The manager gives the jobs to a worker again once they reconnect.
        for (_, task) in self.running.lock().unwrap_or_else(PoisonError::into_inner).drain() {
            task.abort();
        }
    }

    fn active_jobs(&self) -> u32 {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).len() as u32
    }
}
