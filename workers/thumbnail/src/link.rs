//! The worker's Connect stream to the manager: Hello, Welcome, then jobs in
//! and results out. It reconnects with backoff whenever the stream breaks.

use std::sync::Arc;
use std::time::Duration;

use cordvault_client::worker_link::{LinkEnd, classify, connect_request, send_heartbeats};
use cordvault_core::retry::reconnect_backoff;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::connect_request::Message as Outgoing;
use cordvault_proto::v1::connect_response::Message as Incoming;
use cordvault_proto::v1::worker_service_client::WorkerServiceClient;
use cordvault_store::ChunkStore;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::WorkerConfig;
use crate::job::make_thumbnail;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the manager refused this worker: {0}")]
    Refused(String),
}

/// Keeps the link up until the manager refuses this worker.
pub async fn run(config: Arc<WorkerConfig>) -> Result<(), LinkError> {
    let mut failures = 0u32;
    loop {
        match connect_once(&config, &mut failures).await {
            LinkEnd::Refused(reason) => {
                tracing::error!(%reason, "the manager refused this worker");
                return Err(LinkError::Refused(reason));
            }
            LinkEnd::Lost(reason) => {
                tracing::warn!(%reason, manager = %config.manager_address, "lost the manager; reconnecting");
            }
        }
        failures = failures.saturating_add(1);
        tokio::time::sleep(reconnect_backoff(failures)).await;
    }
}

async fn connect_once(config: &WorkerConfig, failures: &mut u32) -> LinkEnd {
    let channel = match tonic::transport::Endpoint::from_shared(config.manager_address.clone()) {
        Ok(endpoint) => endpoint.connect().await,
        Err(err) => return LinkEnd::Refused(format!("bad MANAGER_ADDRESS: {err}")),
    };
    let channel = match channel {
        Ok(channel) => channel,
        Err(err) => return LinkEnd::Lost(err.to_string()),
    };
    let (sender, receiver) = mpsc::channel(64);
    let hello = pb::Hello {
        kind: pb::WorkerKind::Thumbnail as i32,
        service_password: config.service_password.clone(),
        address: config.name.clone(),
        capacity: config.capacity,
    };
    let _ = sender.send(connect_request(Outgoing::Hello(hello))).await;
    let mut inbound = match WorkerServiceClient::new(channel).connect(ReceiverStream::new(receiver)).await {
        Ok(response) => response.into_inner(),
        Err(status) => return classify(status),
    };
    let welcome = match inbound.message().await {
        Ok(Some(pb::ConnectResponse { message: Some(Incoming::Welcome(welcome)) })) => welcome,
        Ok(_) => return LinkEnd::Lost("the manager did not answer Hello with Welcome".into()),
        Err(status) => return classify(status),
    };
    let store = match cordvault_store::open(&welcome.chunk_store, u64::MAX) {
        Ok(store) => store,
        Err(err) => return LinkEnd::Refused(format!("cannot open the chunk store: {err}")),
    };
    *failures = 0;
    tracing::info!(worker_id = %welcome.worker_id, "thumbnail worker connected to the manager");
    let interval = Duration::from_secs(u64::from(welcome.heartbeat_interval_secs.max(1)));
    let heartbeat = tokio::spawn(send_heartbeats(sender.clone(), interval));
    let ended = loop {
        match inbound.message().await {
            Ok(Some(pb::ConnectResponse { message: Some(Incoming::ThumbnailJob(job)) })) => {
                tokio::spawn(answer(store.clone(), job, config.clone(), sender.clone()));
            }
            Ok(Some(_)) => {}
            Ok(None) => break LinkEnd::Lost("the manager closed the stream".into()),
            Err(status) => break classify(status),
        }
    };
    heartbeat.abort();
    ended
}

async fn answer(
    store: Arc<dyn ChunkStore>,
    job: pb::ThumbnailJob,
    config: WorkerConfig,
    sender: mpsc::Sender<pb::ConnectRequest>,
) {
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
    let _ = sender.send(connect_request(Outgoing::ThumbnailResult(result))).await;
}
