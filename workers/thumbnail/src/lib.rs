//! The thumbnail worker: connects to the manager's WorkerService, takes
//! thumbnail jobs, reads the chunks each needs straight from the chunk store
//! and answers with a small JPEG or WebP. The manager stores and serves it.

mod job;
mod link;
mod render;
mod source;
mod video;

use std::sync::Arc;

pub use cordvault_worker_runtime::{Refused, RunningWorker};
pub use job::RenderSettings;
pub use render::{Skip, Thumbnail, ThumbnailFormat, render};
pub use video::find_ffmpeg;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The manager's gRPC URL, e.g. http://127.0.0.1:8080.
    pub manager_address: String,
    pub service_password: String,
    /// How the worker shows in ListWorkers, e.g. its host name.
    pub name: String,
    /// Jobs run at once.
    pub capacity: u32,
    pub render: RenderSettings,
}

impl WorkerConfig {
    /// Defaults: 2 jobs at once, JPEG, ffmpeg from PATH when there is one.
    pub fn new(manager_address: impl Into<String>, service_password: impl Into<String>) -> Self {
        WorkerConfig {
            manager_address: manager_address.into(),
            service_password: service_password.into(),
            name: format!("thumbnail-worker:{}", std::process::id()),
            capacity: 2,
            render: RenderSettings { format: ThumbnailFormat::Jpeg, ffmpeg: find_ffmpeg() },
        }
    }
}

pub fn start(config: WorkerConfig) -> RunningWorker {
    tracing::info!(manager = %config.manager_address, format = ?config.render.format, ffmpeg = ?config.render.ffmpeg, "thumbnail worker starting");
    link::spawn(Arc::new(config))
}
