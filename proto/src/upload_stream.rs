//! The Upload stream's contract, served the same way by the manager and by
//! upload workers: each frame is stored by the caller's `put`, acknowledged
//! in order, and the stream ends at the first failed chunk, when the client
//! finishes or goes away (stored chunks stay), or when `stop` fires.

use std::future::Future;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

use crate::v1::{UploadRequest, UploadResponse};

/// Serves one Upload stream; the answer is the stream of acknowledgements.
pub fn acknowledge_chunks<Put, Stored>(
    mut inbound: Streaming<UploadRequest>,
    stop: impl Future<Output = Status> + Send + 'static,
    mut put: Put,
) -> ReceiverStream<Result<UploadResponse, Status>>
where
    Put: FnMut(UploadRequest) -> Stored + Send + 'static,
    Stored: Future<Output = Result<(), Status>> + Send,
{
    // A few acknowledgements in flight keep the client's window open
    // without buffering many chunks' worth of replies.
    let (sender, receiver) = mpsc::channel(4);
    tokio::spawn(async move {
        tokio::pin!(stop);
        loop {
            let frame = tokio::select! {
                status = &mut stop => {
                    let _ = sender.send(Err(status)).await;
                    return;
                }
                frame = inbound.message() => frame,
            };
            let Ok(Some(frame)) = frame else {
                return;
            };
            let chunk_index = frame.chunk_index;
            let reply = put(frame).await.map(|()| UploadResponse { chunk_index });
            let failed = reply.is_err();
            if sender.send(reply).await.is_err() || failed {
                return;
            }
        }
    });
    ReceiverStream::new(receiver)
}
