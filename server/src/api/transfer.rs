//! TransferService over [`Uploads`] and [`Reads`].

use std::pin::Pin;
use std::sync::Arc;

use cordvault_core::range::resolve;
use cordvault_proto::upload_stream::acknowledge_chunks;
use cordvault_proto::v1 as pb;
use cordvault_proto::v1::transfer_service_server::TransferService;
use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::convert;
use super::status::{ApiResult, caller, to_status};
use crate::services::access::Caller;
use crate::services::reads::{OpenFile, Reads};
use crate::services::revocation::{Revocations, revoked};
use crate::services::uploads::{UploadRequest, UploadState, Uploads};

pub struct TransferApi {
    pub uploads: Arc<Uploads>,
    pub reads: Arc<Reads>,
    pub revocations: Revocations,
}

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn revoked_status() -> Status {
    Status::unauthenticated("the token was revoked by a password change; log in again")
}

impl TransferApi {
    /// Resolves once the caller's token is revoked.
    fn revoked(&self, caller: &Caller) -> impl Future<Output = ()> + Send + 'static {
        revoked(self.revocations.watch(caller.user_id, caller.token_version), caller.token_version)
    }
}

fn upload_response(state: &UploadState) -> pb::StartUploadResponse {
    pb::StartUploadResponse {
        upload_id: state.upload.id.clone(),
        chunk_size: state.content.chunk_size as u64,
        chunk_count: state.chunk_count,
        upload_endpoint: state.route.as_ref().map(|route| route.endpoint.clone()).unwrap_or_default(),
        resumed: state.resumed,
        expires_at_ms: state.upload.expires_at,
        upload_token: state.route.as_ref().map(|route| route.token.clone()).unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl TransferService for TransferApi {
    async fn start_upload(
        &self,
        request: Request<pb::StartUploadRequest>,
    ) -> Result<Response<pb::StartUploadResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        let policy = convert::conflict_policy(body.conflict_policy)?;
        let request = UploadRequest {
            path: &body.path,
            size: body.size,
            sha256: &body.sha256,
            policy,
            mime_type: &body.mime_type,
            resume_upload_id: &body.resume_upload_id,
        };
        let state = self.uploads.start(&caller, request).await.api()?;
        Ok(Response::new(upload_response(&state)))
    }

    type UploadStream = ResponseStream<pb::UploadResponse>;

    async fn upload(
        &self,
        request: Request<Streaming<pb::UploadRequest>>,
    ) -> Result<Response<Self::UploadStream>, Status> {
        let caller = caller(&request)?;
        let revoked = self.revoked(&caller);
        let stop = async move {
            revoked.await;
            revoked_status()
        };
        let uploads = self.uploads.clone();
        let acks = acknowledge_chunks(request.into_inner(), stop, move |frame| {
            let (uploads, caller) = (uploads.clone(), caller.clone());
            async move {
                uploads.put_chunk(&caller, &frame.upload_id, frame.chunk_index, frame.data).await.map_err(to_status)
            }
        });
        Ok(Response::new(Box::pin(acks)))
    }

    async fn put_chunk(&self, request: Request<pb::PutChunkRequest>) -> Result<Response<pb::PutChunkResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.into_inner();
        self.uploads.put_chunk(&caller, &body.upload_id, body.chunk_index, body.data).await.api()?;
        Ok(Response::new(pb::PutChunkResponse { chunk_index: body.chunk_index }))
    }

    async fn query_upload(
        &self,
        request: Request<pb::QueryUploadRequest>,
    ) -> Result<Response<pb::QueryUploadResponse>, Status> {
        let caller = caller(&request)?;
        let (state, durable_chunks) = self.uploads.query(&caller, &request.get_ref().upload_id).await.api()?;
        Ok(Response::new(convert::query_response(&state, durable_chunks)))
    }

    async fn commit_upload(
        &self,
        request: Request<pb::CommitUploadRequest>,
    ) -> Result<Response<pb::CommitUploadResponse>, Status> {
        let caller = caller(&request)?;
        let body = request.get_ref();
        let info = self.uploads.commit(&caller, &body.upload_id, &body.sha256).await.api()?;
        Ok(Response::new(pb::CommitUploadResponse { entry: Some(convert::entry(&info)) }))
    }

    async fn abort_upload(
        &self,
        request: Request<pb::AbortUploadRequest>,
    ) -> Result<Response<pb::AbortUploadResponse>, Status> {
        let caller = caller(&request)?;
        self.uploads.abort(&caller, &request.get_ref().upload_id).await.api()?;
        Ok(Response::new(pb::AbortUploadResponse {}))
    }

    type ReadStream = ResponseStream<pb::ReadResponse>;

    async fn read(&self, request: Request<Streaming<pb::ReadRequest>>) -> Result<Response<Self::ReadStream>, Status> {
        let caller = caller(&request)?;
        let mut inbound = request.into_inner();
        let first = inbound
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("the first ReadRequest must name the file"))?;
        if first.path.is_empty() {
            return Err(Status::invalid_argument("the first ReadRequest must name the file (path)"));
        }
        let file = self.reads.open(&caller, &first.path).await.api()?;
        let (sender, receiver) = mpsc::channel(2);
        tokio::spawn(serve_reads(file, first, inbound, sender, self.revoked(&caller)));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

/// Answers each range request of a Read stream in order, one piece at a
/// time: the next piece is read only once the client took the previous one.
async fn serve_reads(
    file: OpenFile,
    first: pb::ReadRequest,
    mut inbound: Streaming<pb::ReadRequest>,
    sender: mpsc::Sender<Result<pb::ReadResponse, Status>>,
    revoked: impl Future<Output = ()> + Send + 'static,
) {
    tokio::pin!(revoked);
    let mut entry = Some(convert::entry(&file.info));
    let mut pending = Some(first);
    loop {
        let request = match pending.take() {
            Some(request) => request,
            None => tokio::select! {
                _ = &mut revoked => {
                    let _ = sender.send(Err(revoked_status())).await;
                    return;
                }
                message = inbound.message() => match message {
                    Ok(Some(request)) => request,
                    Ok(None) | Err(_) => return,
                },
            },
        };
        let Some(range) = resolve(request.offset, request.length, file.size()) else {
            let status = Status::out_of_range(format!(
                "offset {} is past the end of the file ({} bytes)",
                request.offset,
                file.size()
            ));
            let _ = sender.send(Err(status)).await;
            return;
        };
        let mut check = file.whole_file_check(&range);
        let mut offset = range.start;
        loop {
            let piece = tokio::select! {
                _ = &mut revoked => Err(revoked_status()),
                piece = file.read_piece(offset..range.end) => piece.map_err(to_status),
            };
            let data = match piece {
                Ok(data) if data.is_empty() && offset < range.end => {
                    Err(Status::data_loss("the chunk store returned no data"))
                }
                other => other,
            };
            let data = match data {
                Ok(data) => data,
                Err(status) => {
                    let _ = sender.send(Err(status)).await;
                    return;
                }
            };
            let len = data.len() as u64;
            let range_end = offset + len >= range.end;
            if let Some(check) = check.as_mut() {
                check.feed(&data);
            }
            // The last piece goes out only once the whole file proved its hash.
            if range_end && let Some(Err(err)) = check.take().map(|check| check.finish()) {
                let _ = sender.send(Err(to_status(err))).await;
                return;
            }
            let response = pb::ReadResponse { entry: entry.take(), offset, data, range_end };
            let sent = tokio::select! {
                _ = &mut revoked => Err(()),
                sent = sender.send(Ok(response)) => sent.map_err(|_| ()),
            };
            if sent.is_err() {
                let _ = sender.try_send(Err(revoked_status()));
                return;
            }
            offset += len;
            if range_end {
                break;
            }
        }
    }
}
