//! Tells open streams when their user's tokens stop being valid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// The newest token version per user, for streams opened in this process.
#[derive(Clone, Default)]
pub struct Revocations {
    versions: Arc<Mutex<HashMap<i64, watch::Sender<i64>>>>,
}

impl Revocations {
    /// Watches a user's token version, starting from the caller's own.
    pub fn watch(&self, user_id: i64, token_version: i64) -> watch::Receiver<i64> {
        let mut versions = self.versions.lock().expect("revocations lock");
        versions.entry(user_id).or_insert_with(|| watch::channel(token_version).0).subscribe()
    }

    /// Every stream of `user_id` opened with an older version closes.
    pub fn revoke_before(&self, user_id: i64, token_version: i64) {
        let mut versions = self.versions.lock().expect("revocations lock");
        let sender = versions.entry(user_id).or_insert_with(|| watch::channel(token_version).0);
        sender.send_replace(token_version);
    }
}

/// Resolves once the stream's token is revoked.
pub async fn revoked(mut receiver: watch::Receiver<i64>, token_version: i64) {
    // An error means the registry is gone: keep the stream open.
    if receiver.wait_for(|newest| *newest > token_version).await.is_err() {
        std::future::pending::<()>().await;
    }
}
