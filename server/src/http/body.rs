//! Response bodies that read from the chunk store only as fast as the
//! client drains them, and give up on a client that stops reading.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use cordvault_core::Error;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::services::reads::OpenFile;

/// The producing end of a paced body. One piece waits between producer and
/// client, so the producer makes the next piece only once the client took
/// the one before; a client that takes nothing for `stall` is dropped.
#[derive(Clone)]
pub struct PieceSender {
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    stall: Duration,
}

impl PieceSender {
    /// Hands a piece to the client; an error means the client is gone or stalled.
    pub async fn send(&self, piece: Bytes) -> Result<(), Error> {
        match tokio::time::timeout(self.stall, self.sender.send(Ok(piece))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Error::unavailable("the client went away")),
            Err(_) => {
                tracing::info!(stall_secs = self.stall.as_secs(), "download client stalled; dropped");
                Err(Error::unavailable("the client stopped reading"))
            }
        }
    }

    /// Ends the body with an error, so the client sees a broken download
    /// rather than a short one.
    pub async fn fail(&self, err: Error) {
        if self.sender.is_closed() {
            return;
        }
        tracing::warn!(error = %err, "download failed mid-stream");
        let _ = tokio::time::timeout(self.stall, self.sender.send(Err(std::io::Error::other(err.message)))).await;
    }
}

pub fn paced_channel(stall: Duration) -> (PieceSender, Body) {
    let (sender, receiver) = mpsc::channel(1);
    (PieceSender { sender, stall }, Body::from_stream(ReceiverStream::new(receiver)))
}

/// A paced body fed by a stream of pieces.
pub fn paced_body<S>(pieces: S, stall: Duration) -> Body
where
    S: Stream<Item = Result<Bytes, Error>> + Send + 'static,
{
    let (sender, body) = paced_channel(stall);
    tokio::spawn(async move {
        let mut pieces = std::pin::pin!(pieces);
        while let Some(piece) = pieces.next().await {
            let sent = match piece {
                Ok(piece) => sender.send(piece).await,
                Err(err) => Err(err),
            };
            if let Err(err) = sent {
                sender.fail(err).await;
                return;
            }
        }
    });
    body
}

/// `body`, broken off with an error once `stop` resolves: the client sees a
/// failed download, never one that merely looks short.
pub fn cut_off_when<F>(body: Body, stop: F) -> Body
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let state = (body.into_data_stream(), Box::pin(stop), false);
    Body::from_stream(futures::stream::unfold(state, |(mut data, mut stop, stopped)| async move {
        if stopped {
            return None;
        }
        tokio::select! {
            biased;
            () = &mut stop => {
                tracing::info!("download cut off: the caller's access was revoked");
                Some((Err(std::io::Error::other("access was revoked")), (data, stop, true)))
            }
            next = data.next() => next.map(|item| (item.map_err(std::io::Error::other), (data, stop, false))),
        }
    }))
}

/// The plaintext of `range` of a file, piece by piece. A read of the
/// whole file fails instead of ending if the bytes miss their SHA-256.
pub fn file_pieces(file: Arc<OpenFile>, range: Range<u64>) -> impl Stream<Item = Result<Bytes, Error>> + Send {
    let check = file.whole_file_check(&range);
    futures::stream::try_unfold((range.start, check), move |(position, mut check)| {
        let file = file.clone();
        let end = range.end;
        async move {
            if position >= end {
                return Ok(None);
            }
            let piece = file.read_piece(position..end).await?;
            if piece.is_empty() {
                return Err(Error::data_loss("the file ended before its recorded size"));
            }
            let next = position + piece.len() as u64;
            if let Some(check) = check.as_mut() {
                check.feed(&piece);
            }
            if next >= end
                && let Some(check) = check.take()
            {
                check.finish()?;
            }
            Ok(Some((piece, (next, check))))
        }
    })
}
