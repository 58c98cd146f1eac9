//! WorkerService: the live worker list, for administrators. The workers'
//! own calls are in [`super::worker_link`].

use std::pin::Pin;
use std::sync::Arc;

use cordvault_proto::v1 as pb;
use cordvault_proto::v1::worker_service_server::WorkerService;
use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::status::{caller, to_status};
use crate::services::access::ensure_admin;
use crate::services::workers::{WorkerEvent, WorkerInfo, WorkerKind, WorkerRegistry};

pub struct WorkerApi {
    pub registry: Arc<WorkerRegistry>,
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn info(worker: &WorkerInfo) -> pb::WorkerInfo {
    pb::WorkerInfo {
        worker_id: worker.id.clone(),
        kind: match worker.kind {
            WorkerKind::Upload => pb::WorkerKind::Upload,
            WorkerKind::Thumbnail => pb::WorkerKind::Thumbnail,
            WorkerKind::Analysis => pb::WorkerKind::Analysis,
        } as i32,
        address: worker.address.clone(),
        capacity: worker.capacity,
        active_uploads: worker.active_uploads,
    }
}

#[tonic::async_trait]
impl WorkerService for WorkerApi {
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
