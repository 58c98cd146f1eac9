//! WorkerService: the workers' Connect stream, and the live worker list.

use std::pin::Pin;
use std::sync::Arc;

use cordvault_core::ErrorCode;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::connect_request::Message as FromWorker;
use cordvault_proto::v1::connect_response::Message as ToWorkerMessage;
use cordvault_proto::v1::worker_service_server::WorkerService;
use futures::Stream;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::status::{caller, to_status};
use crate::listener::PeerAddr;
use crate::services::access::ensure_admin;
use crate::services::throttle::{Throttle, ThrottleKey};
use crate::services::thumbnails::{ThumbnailJob, ThumbnailOutcome, Thumbnails, WorkerSlots};
use crate::services::uploads::Uploads;
use crate::services::workers::{ToWorker, WorkerEvent, WorkerInfo, WorkerKind, WorkerRegistry};

pub struct WorkerApi {
    pub registry: Arc<WorkerRegistry>,
    pub uploads: Arc<Uploads>,
    pub thumbnails: Thumbnails,
    pub chunk_size: u64,
    /// The chunk store as workers open it, e.g. "local:/srv/data/chunks".
    pub chunk_store: String,
    pub throttle: Throttle,
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn info(worker: &WorkerInfo) -> pb::WorkerInfo {
    pb::WorkerInfo {
        worker_id: worker.id.clone(),
        kind: match worker.kind {
            WorkerKind::Upload => pb::WorkerKind::Upload,
            WorkerKind::Thumbnail => pb::WorkerKind::Thumbnail,
        } as i32,
        address: worker.address.clone(),
        capacity: worker.capacity,
        active_uploads: worker.active_uploads,
    }
}

fn response(message: ToWorkerMessage) -> pb::ConnectResponse {
    pb::ConnectResponse { message: Some(message) }
}

fn job_message(job: ThumbnailJob) -> pb::ThumbnailJob {
    pb::ThumbnailJob {
        job_id: job.content_id as u64,
        mime_type: job.mime_type,
        size: job.size,
        chunk_size: job.chunk_size,
        data_key: job.data_key.into(),
        chunk_locators: job.chunk_locators,
        max_width: job.max_width,
    }
}

fn outcome(result: pb::ThumbnailResult) -> ThumbnailOutcome {
    let content_id = result.job_id as i64;
    if result.data.is_empty() {
        let reason = if result.skipped_reason.is_empty() { "no reason given".into() } else { result.skipped_reason };
        return ThumbnailOutcome::Skipped { content_id, reason };
    }
    ThumbnailOutcome::Made {
        content_id,
        mime_type: result.mime_type,
        width: result.width,
        height: result.height,
        data: result.data.into(),
    }
}

fn status_fields(result: Result<(), cordvault_core::Error>) -> (i32, String) {
    match result {
        Ok(()) => (0, String::new()),
        Err(err) => {
            let status = to_status(err);
            (status.code() as i32, status.message().to_owned())
        }
    }
}

#[tonic::async_trait]
impl WorkerService for WorkerApi {
    type ConnectStream = ResponseStream<pb::ConnectResponse>;

    async fn connect(
        &self,
        request: Request<Streaming<pb::ConnectRequest>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
        let peer = request.extensions().get::<PeerAddr>().map(|PeerAddr(peer)| *peer);
        let throttle_keys: Vec<ThrottleKey> = peer.map(|peer| ThrottleKey::Worker(peer.ip())).into_iter().collect();
        self.throttle.check(&throttle_keys).map_err(to_status)?;
        let mut inbound = request.into_inner();
        let hello = match inbound.message().await? {
            Some(pb::ConnectRequest { message: Some(FromWorker::Hello(hello)) }) => hello,
            _ => return Err(Status::invalid_argument("a worker's first message must be Hello")),
        };
        let kind = match pb::WorkerKind::try_from(hello.kind) {
            Ok(pb::WorkerKind::Upload) => WorkerKind::Upload,
            Ok(pb::WorkerKind::Thumbnail) => WorkerKind::Thumbnail,
            _ => {
                return Err(Status::invalid_argument("Hello.kind must be WORKER_KIND_UPLOAD or WORKER_KIND_THUMBNAIL"));
            }
        };
        let registration = match self.registry.register(kind, &hello.service_password, &hello.address, hello.capacity) {
            Ok(registration) => registration,
            Err(err) => {
                tracing::warn!(?peer, address = %hello.address, reason = %err.message, "worker refused");
                if err.code == ErrorCode::PermissionDenied {
                    self.throttle.failed(&throttle_keys);
                }
                return Err(to_status(err));
            }
        };
        let worker_id = registration.worker_id.clone();
        let (replies, outbound) = mpsc::channel::<Result<pb::ConnectResponse, Status>>(64);
        let welcome = pb::Welcome {
            worker_id: worker_id.clone(),
            chunk_size: self.chunk_size,
            chunk_store: self.chunk_store.clone(),
            upload_token_key: registration.token_secret.clone().into(),
            heartbeat_interval_secs: self.registry.heartbeat_interval.as_secs().max(1) as u32,
        };
        let _ = replies.send(Ok(response(ToWorkerMessage::Welcome(welcome)))).await;

        // Assignments and releases from the registry go out on the same stream.
        let forward = replies.clone();
        let mut messages = registration.messages;
        tokio::spawn(async move {
            while let Some(message) = messages.recv().await {
                let message = match message {
                    ToWorker::Assign { upload_id, size, chunk_size, data_key } => {
                        ToWorkerMessage::Assign(pb::Assign { upload_id, size, chunk_size, data_key: data_key.into() })
                    }
                    ToWorker::Release { upload_id } => ToWorkerMessage::Release(pb::Release { upload_id }),
                };
                if forward.send(Ok(response(message))).await.is_err() {
                    return;
                }
            }
        });

        // A thumbnail worker's jobs come from the queue; its answers go back to it.
        let outcomes = (kind == WorkerKind::Thumbnail).then(|| {
            let (jobs, mut queued) = mpsc::channel::<ThumbnailJob>(1);
            let (outcomes, answers) = mpsc::channel::<ThumbnailOutcome>(16);
            let slots = WorkerSlots { worker_id: worker_id.clone(), capacity: hello.capacity, jobs, outcomes: answers };
            let thumbnails = self.thumbnails.clone();
            tokio::spawn(async move { thumbnails.serve(slots).await });
            let forward = replies.clone();
            tokio::spawn(async move {
                while let Some(job) = queued.recv().await {
                    if forward.send(Ok(response(ToWorkerMessage::ThumbnailJob(job_message(job))))).await.is_err() {
                        return;
                    }
                }
            });
            outcomes
        });

        let (registry, uploads) = (self.registry.clone(), self.uploads.clone());
        tokio::spawn(async move {
            while let Ok(Some(message)) = inbound.message().await {
                registry.heartbeat(&worker_id);
                match message.message {
                    Some(FromWorker::ThumbnailResult(result)) => {
                        if let Some(outcomes) = &outcomes {
                            let _ = outcomes.send(outcome(result)).await;
                        }
                    }
                    Some(FromWorker::ChunkStored(stored)) => {
                        let (uploads, replies) = (uploads.clone(), replies.clone());
                        tokio::spawn(async move {
                            let result = uploads
                                .record_worker_chunk(
                                    &stored.upload_id,
                                    stored.chunk_index,
                                    &stored.locator,
                                    stored.sealed_size,
                                    &stored.seal_id,
                                )
                                .await;
                            let (code, message) = status_fields(result);
                            let recorded = pb::ChunkRecorded { request_id: stored.request_id, code, message };
                            let _ = replies.send(Ok(response(ToWorkerMessage::ChunkRecorded(recorded)))).await;
                        });
                    }
                    Some(FromWorker::QueryChunks(query)) => {
                        let (uploads, replies) = (uploads.clone(), replies.clone());
                        tokio::spawn(async move {
                            let result = uploads.query_for_worker(&query.upload_id).await;
                            let (upload, result) = match result {
                                Ok((state, durable)) => (Some(super::convert::query_response(&state, durable)), Ok(())),
                                Err(err) => (None, Err(err)),
                            };
                            let (code, message) = status_fields(result);
                            let durable = pb::ChunksDurable { request_id: query.request_id, code, message, upload };
                            let _ = replies.send(Ok(response(ToWorkerMessage::ChunksDurable(durable)))).await;
                        });
                    }
                    Some(FromWorker::Heartbeat(_)) | Some(FromWorker::Hello(_)) | None => {}
                }
            }
            registry.unregister(&worker_id);
        });

        // The stream also ends when the registry drops the worker.
        let killed = registration.killed;
        let stream = ReceiverStream::new(outbound).take_until(async move {
            let _ = killed.await;
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_workers(
        &self,
        request: Request<pb::ListWorkersRequest>,
    ) -> Result<Response<pb::ListWorkersResponse>, Status> {
        // Worker addresses and capacity are the operator's business.
        ensure_admin(&caller(&request)?).map_err(to_status)?;
        let workers = self.registry.list().iter().map(info).collect();
        Ok(Response::new(pb::ListWorkersResponse { workers }))
    }

    type WatchWorkersStream = ResponseStream<pb::WatchWorkersResponse>;

    async fn watch_workers(
        &self,
        request: Request<pb::WatchWorkersRequest>,
    ) -> Result<Response<Self::WatchWorkersStream>, Status> {
        ensure_admin(&caller(&request)?).map_err(to_status)?;
        let (present, mut events) = self.registry.watch();
        let (sender, receiver) = mpsc::channel(64);
        tokio::spawn(async move {
            use pb::watch_workers_response::Change;
            let event = |change: Change, worker: &WorkerInfo| {
                Ok(pb::WatchWorkersResponse { change: change as i32, worker: Some(info(worker)) })
            };
            for worker in &present {
                if sender.send(event(Change::Present, worker)).await.is_err() {
                    return;
                }
            }
            loop {
                let message = match events.recv().await {
                    Ok(WorkerEvent::Joined(worker)) => event(Change::Joined, &worker),
                    Ok(WorkerEvent::Left(worker)) => event(Change::Left, &worker),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                if sender.send(message).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}
