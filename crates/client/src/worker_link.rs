//! The worker side of `WorkerService.Connect`, shared by every kind of
//! worker: how a broken stream is told apart from a refusal, and the
//! heartbeats that keep the manager from dropping a quiet worker.

use std::time::Duration;

use cordvault_proto::v1 as pb;
use cordvault_proto::v1::connect_request::Message as Outgoing;
use tokio::sync::mpsc;

/// Why a Connect stream ended.
#[derive(Debug)]
pub enum LinkEnd {
    /// The manager will not take this worker (wrong password, bad Hello):
    /// reconnecting cannot help.
    Refused(String),
    /// The stream broke; reconnect after a backoff.
    Lost(String),
}

pub fn classify(status: tonic::Status) -> LinkEnd {
    match status.code() {
        tonic::Code::PermissionDenied | tonic::Code::Unauthenticated | tonic::Code::InvalidArgument => {
            LinkEnd::Refused(status.message().to_owned())
        }
        _ => LinkEnd::Lost(format!("{:?}: {}", status.code(), status.message())),
    }
}

pub fn connect_request(message: Outgoing) -> pb::ConnectRequest {
    pb::ConnectRequest { message: Some(message) }
}

/// Sends a heartbeat every `interval` until the stream is gone.
pub async fn send_heartbeats(sender: mpsc::Sender<pb::ConnectRequest>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let beat = connect_request(Outgoing::Heartbeat(pb::Heartbeat { active_uploads: 0 }));
        if sender.send(beat).await.is_err() {
            return;
        }
    }
}
