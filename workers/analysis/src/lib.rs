//! The analysis worker: a Discord data package (the GDPR export zip) into
//! the statistics database dumpus clients read, sealed under a key only the
//! package's owner holds. It connects to the manager's WorkerLinkService,
//! takes package jobs, downloads each zip, analyses it and sends the sealed
//! result back; the manager stores it.

pub mod analyse;
pub mod analytics;
pub mod database;
pub mod demo;
pub mod download;
pub mod error;
mod job;
pub mod layout;
mod link;
pub mod messages;
pub mod owner;
pub mod sessions;
pub mod timestamp;

use std::path::PathBuf;
use std::sync::Arc;

pub use analyse::{Limits, Report, analyse};
pub use cordvault_worker_runtime::{Refused, RunningWorker};
pub use error::{AnalysisError, Result};
pub use job::seal;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The manager's gRPC URL, e.g. http://127.0.0.1:8080.
    pub manager_address: String,
    pub service_password: String,
    /// How the worker shows in ListWorkers, e.g. its host name.
    pub name: String,
    /// Packages analysed at once.
    pub capacity: u32,
    /// Where downloads and scratch databases go, each job in a folder of
    /// its own that is removed when the job ends.
    pub work_dir: PathBuf,
    pub limits: Limits,
}

impl WorkerConfig {
    /// Defaults: one package at a time.
    pub fn new(manager_address: impl Into<String>, service_password: impl Into<String>, work_dir: PathBuf) -> Self {
        WorkerConfig {
            manager_address: manager_address.into(),
            service_password: service_password.into(),
            name: format!("analysis-worker:{}", std::process::id()),
            capacity: 1,
            work_dir,
            limits: Limits::default(),
        }
    }
}

/// Removes what jobs of an earlier run of this worker left in its work
/// folder when that run was killed.
fn remove_stale_work(work_dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(work_dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with("package-")
            && let Err(err) = std::fs::remove_dir_all(entry.path())
        {
            tracing::warn!(folder = %entry.path().display(), error = %err, "cannot remove an old job's files");
        }
    }
}

pub fn start(config: WorkerConfig) -> RunningWorker {
    remove_stale_work(&config.work_dir);
    tracing::info!(manager = %config.manager_address, work_dir = %config.work_dir.display(), "analysis worker starting");
    link::spawn(Arc::new(config))
}
