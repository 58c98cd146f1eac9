//! WorkerLinkService (`cordvault.worker.v1`): the workers' Connect stream
//! and their unary calls, translated to and from the worker-link service.

use std::pin::Pin;
use std::sync::Arc;

use cordvault_core::token::request_bearer;
use cordvault_proto::worker::v1 as pb;
use cordvault_proto::worker::v1::connect_request::Message as FromWorkerMessage;
use cordvault_proto::worker::v1::connect_response::Message as ToWorkerMessage;
use cordvault_proto::worker::v1::worker_link_service_server::WorkerLinkService;
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::status::to_status;
use crate::listener::PeerAddr;
use crate::services::packages::{PackageAnswer, ToAnalysisWorker};
use crate::services::thumbnails::{ThumbnailJob, ThumbnailOutcome};
use crate::services::worker_link::{FromWorker, Hello, ToConnected, Welcome, WorkerChunk, WorkerLinks};
use crate::services::workers::{ToWorker, WorkerKind};

pub struct WorkerLinkApi {
    pub links: Arc<WorkerLinks>,
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn response(message: ToWorkerMessage) -> pb::ConnectResponse {
    pb::ConnectResponse { message: Some(message) }
}

fn hello(hello: pb::Hello) -> Result<Hello, Status> {
    use cordvault_proto::v1::WorkerKind as Kind;
    let kind = match Kind::try_from(hello.kind) {
        Ok(Kind::Upload) => WorkerKind::Upload,
        Ok(Kind::Thumbnail) => WorkerKind::Thumbnail,
        Ok(Kind::Analysis) => WorkerKind::Analysis,
        _ => {
            return Err(Status::invalid_argument(
                "Hello.kind must be WORKER_KIND_UPLOAD, WORKER_KIND_THUMBNAIL or WORKER_KIND_ANALYSIS",
            ));
        }
    };
    Ok(Hello { kind, service_password: hello.service_password, address: hello.address, capacity: hello.capacity })
}

fn welcome(welcome: Welcome) -> pb::Welcome {
    pb::Welcome {
        worker_id: welcome.worker_id,
        chunk_size: welcome.chunk_size,
        chunk_store: welcome.chunk_store.to_wire(),
        upload_token_key: welcome.upload_token_key.into(),
        heartbeat_interval_secs: welcome.heartbeat_interval.as_secs().max(1) as u32,
        worker_token: welcome.worker_token,
    }
}

fn to_worker(message: ToConnected) -> ToWorkerMessage {
    match message {
        ToConnected::Registry(ToWorker::Assign { upload_id, size, chunk_size, data_key }) => {
            ToWorkerMessage::Assign(pb::Assign { upload_id, size, chunk_size, data_key: data_key.into() })
        }
        ToConnected::Registry(ToWorker::Release { upload_id }) => ToWorkerMessage::Release(pb::Release { upload_id }),
        ToConnected::Thumbnail(job) => ToWorkerMessage::ThumbnailJob(job_message(job)),
        ToConnected::Analysis(ToAnalysisWorker::Job(job)) => ToWorkerMessage::PackageJob(pb::PackageJob {
            package_id: job.package_id,
            key: job.key.expose().to_owned(),
            link: job.link,
            max_package_bytes: job.max_package_bytes,
            stored: job.stored,
        }),
        ToConnected::Analysis(ToAnalysisWorker::Cancel { package_id }) => {
            ToWorkerMessage::PackageCancel(pb::PackageCancel { package_id })
        }
    }
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

fn from_worker(message: FromWorkerMessage) -> Option<FromWorker> {
    match message {
        FromWorkerMessage::Heartbeat(beat) => Some(FromWorker::Heartbeat { active_jobs: beat.active_jobs }),
        FromWorkerMessage::ThumbnailResult(result) => Some(FromWorker::Thumbnail(outcome(result))),
        FromWorkerMessage::PackageProgress(progress) => {
            Some(FromWorker::Package(PackageAnswer::Progress { package_id: progress.package_id, step: progress.step }))
        }
        FromWorkerMessage::PackageResultPiece(piece) => {
            Some(FromWorker::Package(PackageAnswer::Piece { package_id: piece.package_id, data: piece.data }))
        }
        FromWorkerMessage::PackageResult(result) => Some(FromWorker::Package(PackageAnswer::Done {
            package_id: result.package_id,
            iv: result.iv,
            size: result.size,
            error_code: result.error_code,
        })),
        // A second Hello says nothing new.
        FromWorkerMessage::Hello(_) => None,
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

#[tonic::async_trait]
impl WorkerLinkService for WorkerLinkApi {
    type ConnectStream = ResponseStream<pb::ConnectResponse>;

    async fn connect(
        &self,
        request: Request<Streaming<pb::ConnectRequest>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
        let peer = request.extensions().get::<PeerAddr>().map(|PeerAddr(peer)| *peer);
        let mut inbound = request.into_inner();
        let first = match inbound.message().await? {
            Some(pb::ConnectRequest { message: Some(FromWorkerMessage::Hello(first)) }) => first,
            _ => return Err(Status::invalid_argument("a worker's first message must be Hello")),
        };
        let session = self.links.connect(peer, hello(first)?).map_err(to_status)?;
        let inbox = session.inbox;
        tokio::spawn(async move {
            while let Ok(Some(message)) = inbound.message().await {
                if let Some(message) = message.message.and_then(from_worker) {
                    inbox.receive(message).await;
                }
            }
            // Dropping the inbox unregisters the worker.
        });
        let killed = session.killed;
        let welcome =
            futures::stream::once(async move { Ok(response(ToWorkerMessage::Welcome(welcome(session.welcome)))) });
        let messages = ReceiverStream::new(session.outgoing).map(|message| Ok(response(to_worker(message))));
        // The stream also ends when the registry drops the worker.
        let stream = welcome.chain(messages).take_until(async move {
            let _ = killed.await;
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn record_chunk(
        &self,
        request: Request<pb::RecordChunkRequest>,
    ) -> Result<Response<pb::RecordChunkResponse>, Status> {
        let token = request_bearer(&request, "worker token").map_err(to_status)?;
        let body = request.into_inner();
        let chunk = WorkerChunk {
            upload_id: &body.upload_id,
            chunk_index: body.chunk_index,
            locator: &body.locator,
            sealed_size: body.sealed_size,
            seal_id: &body.seal_id,
        };
        self.links.record_chunk(&token, chunk).await.map_err(to_status)?;
        Ok(Response::new(pb::RecordChunkResponse {}))
    }

    async fn gateway_login(
        &self,
        request: Request<pb::GatewayLoginRequest>,
    ) -> Result<Response<pb::GatewayLoginResponse>, Status> {
        let peer = request.extensions().get::<PeerAddr>().map(|PeerAddr(peer)| peer.ip());
        let body = request.into_inner();
        let (user, issued) = self
            .links
            .gateway_login(peer, &body.service_password, &body.username, &body.public_key)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GatewayLoginResponse {
            token: issued.token,
            expires_at_ms: issued.expires_at_ms,
            user: Some(super::convert::user(&user)),
        }))
    }

    async fn query_chunks(
        &self,
        request: Request<pb::QueryChunksRequest>,
    ) -> Result<Response<pb::QueryChunksResponse>, Status> {
        let token = request_bearer(&request, "worker token").map_err(to_status)?;
        let (state, durable) =
            self.links.query_chunks(&token, &request.get_ref().upload_id).await.map_err(to_status)?;
        Ok(Response::new(pb::QueryChunksResponse { upload: Some(super::convert::query_response(&state, durable)) }))
    }
}
