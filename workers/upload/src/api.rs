//! The worker's TransferService: Upload, PutChunk and QueryUpload, each
//! authorized by the upload token the manager issued for that upload.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use cordvault_core::clock::now_ms;
use cordvault_core::status::to_status;
use cordvault_core::token::request_bearer;
use cordvault_core::{Error, ErrorCode, Result};
use cordvault_proto::upload_stream::acknowledge_chunks;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::transfer_service_server::TransferService;
use cordvault_proto::worker::v1 as pb_worker;
use cordvault_store::{StoredChunk, seal_and_put};
use futures::Stream;
use tonic::{Request, Response, Status, Streaming};

use crate::link::Link;

pub struct WorkerTransferApi {
    pub link: Arc<Link>,
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

impl WorkerTransferApi {
    /// Seals and stores one chunk, then has the manager record it.
    async fn put_chunk(&self, token: &str, upload_id: &str, index: u64, data: Bytes) -> Result<()> {
        let session = self.link.session()?;
        session.token_key.verify(token, upload_id, now_ms())?;
        let assignment = self.link.wait_for_assignment(upload_id).await.ok_or_else(|| {
            Error::unavailable(format!(
                "upload {upload_id} is not assigned to this worker; start it again on the manager"
            ))
        })?;
        let stored = seal_and_put(session.store.as_ref(), &assignment.codec, assignment.shape, index, data).await?;
        let StoredChunk { locator, sealed_size, seal_id } = stored;
        let record = pb_worker::RecordChunkRequest {
            upload_id: upload_id.to_owned(),
            chunk_index: index,
            locator: locator.0.clone(),
            sealed_size,
            seal_id: seal_id.unwrap_or_default(),
        };
        match session.manager.record_chunk(record).await {
            Ok(()) => Ok(()),
            // Unknown outcome: the manager may have recorded it. Keep the
            // object; the manager's orphan sweep removes it if not.
            Err(err) if err.code == ErrorCode::Unavailable => Err(err),
            Err(err) => {
                if let Err(cleanup) = session.store.delete(&locator).await {
                    tracing::warn!(error = %cleanup, %locator, "could not delete a refused chunk");
                }
                Err(err)
            }
        }
    }
}

#[tonic::async_trait]
impl TransferService for WorkerTransferApi {
    async fn start_upload(
        &self,
        _: Request<pb::StartUploadRequest>,
    ) -> Result<Response<pb::StartUploadResponse>, Status> {
        Err(Status::unimplemented("start uploads on the manager"))
    }

    type UploadStream = ResponseStream<pb::UploadResponse>;

    async fn upload(
        &self,
        request: Request<Streaming<pb::UploadRequest>>,
    ) -> Result<Response<Self::UploadStream>, Status> {
        let token = request_bearer(&request, "upload token").map_err(to_status)?;
        let link = self.link.clone();
        let acks = acknowledge_chunks(request.into_inner(), std::future::pending(), move |frame| {
            let (api, token) = (WorkerTransferApi { link: link.clone() }, token.clone());
            async move { api.put_chunk(&token, &frame.upload_id, frame.chunk_index, frame.data).await.map_err(to_status) }
        });
        Ok(Response::new(Box::pin(acks)))
    }

    async fn put_chunk(&self, request: Request<pb::PutChunkRequest>) -> Result<Response<pb::PutChunkResponse>, Status> {
        let token = request_bearer(&request, "upload token").map_err(to_status)?;
        let body = request.into_inner();
        self.put_chunk(&token, &body.upload_id, body.chunk_index, body.data).await.map_err(to_status)?;
        Ok(Response::new(pb::PutChunkResponse { chunk_index: body.chunk_index }))
    }

    async fn query_upload(
        &self,
        request: Request<pb::QueryUploadRequest>,
    ) -> Result<Response<pb::QueryUploadResponse>, Status> {
        let token = request_bearer(&request, "upload token").map_err(to_status)?;
        let upload_id = &request.get_ref().upload_id;
        let session = self.link.session().map_err(to_status)?;
        session.token_key.verify(&token, upload_id, now_ms()).map_err(to_status)?;
        let upload = session.manager.query_chunks(upload_id).await.map_err(to_status)?;
        Ok(Response::new(upload))
    }

    async fn commit_upload(
        &self,
        _: Request<pb::CommitUploadRequest>,
    ) -> Result<Response<pb::CommitUploadResponse>, Status> {
        Err(Status::unimplemented("commit uploads on the manager"))
    }

    async fn abort_upload(
        &self,
        _: Request<pb::AbortUploadRequest>,
    ) -> Result<Response<pb::AbortUploadResponse>, Status> {
        Err(Status::unimplemented("abort uploads on the manager"))
    }

    type ReadStream = ResponseStream<pb::ReadResponse>;

    async fn read(&self, _: Request<Streaming<pb::ReadRequest>>) -> Result<Response<Self::ReadStream>, Status> {
        Err(Status::unimplemented("read files from the manager"))
    }
}
