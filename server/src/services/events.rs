//! Change events for Watch. With SQLite they stay in this process; with
//! PostgreSQL every event goes through NOTIFY, so watchers connected to any
//! manager replica sharing the database see it.

use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::access::{Caller, Grants, may_see_change};
use crate::db::{Backend, Db};

const CHANNEL: &str = "cordvault_events";
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7900;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    Added,
    Modified,
    Moved,
    Deleted,
    AccessChanged,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub kind: ChangeKind,
    pub path: String,
    pub previous_path: String,
    pub entry_id: i64,
    pub is_folder: bool,
    pub at_ms: i64,
    /// Who may see it, decided when it happened: everyone when public,
    /// else these users (owner and shares) and administrators.
    pub public: bool,
    pub readers: Vec<i64>,
}

impl ChangeEvent {
    pub fn visible_to(&self, caller: &Caller) -> bool {
        may_see_change(caller, self.public, &self.readers)
    }

    /// Whether it happened at or below `folder` (an absolute path).
    pub fn is_below(&self, folder: &str) -> bool {
        let below = |path: &str| {
            folder == "/" || path == folder || path.strip_prefix(folder).is_some_and(|rest| rest.starts_with('/'))
        };
        below(&self.path) || (!self.previous_path.is_empty() && below(&self.previous_path))
    }
}

/// The connection that LISTENs and NOTIFYs; None while it is being replaced.
type SharedClient = Arc<RwLock<Option<Arc<tokio_postgres::Client>>>>;

/// Publishes change events and hands them to watchers.
#[derive(Clone)]
pub struct Events {
    db: Db,
    local: broadcast::Sender<ChangeEvent>,
    postgres: Option<SharedClient>,
}

impl Events {
    /// Starts listening when `database_url` is PostgreSQL.
    pub async fn start(db: Db, database_url: &str) -> anyhow::Result<Events> {
        let (local, _) = broadcast::channel(4096);
        // PostgreSQL tells every manager of a change (LISTEN/NOTIFY); with
        // SQLite there is only this one.
        let postgres = if db.backend() == Backend::Postgres {
            let (client, connection) = listen(database_url, &local).await?;
            let shared: SharedClient = Arc::new(RwLock::new(Some(client)));
            tokio::spawn(keep_listening(database_url.to_owned(), local.clone(), Arc::downgrade(&shared), connection));
            Some(shared)
        } else {
            None
        };
        Ok(Events { db, local, postgres })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.local.subscribe()
    }

    /// Records what happened to `entry_id`; never fails the change itself.
    pub async fn publish(&self, kind: ChangeKind, entry_id: i64, is_folder: bool, path: String, previous: String) {
        let event = self.prepare(kind, entry_id, is_folder, path, previous).await;
        self.send(event).await;
    }

    /// An event with its audience taken now, to send after a change that
    /// cuts the entry off from the folders that decide its audience.
    pub async fn prepare(
        &self,
        kind: ChangeKind,
        entry_id: i64,
        is_folder: bool,
        path: String,
        previous: String,
    ) -> ChangeEvent {
        let (public, readers) = match self.db.audience(entry_id).await {
            Ok((chain, readers)) => (Grants::of_chain(&chain).public, readers),
            Err(err) => {
                tracing::warn!(error = %err, entry_id, "cannot tell who may see a change; only administrators will");
                (false, Vec::new())
            }
        };
        ChangeEvent {
            kind,
            path,
            previous_path: previous,
            entry_id,
            is_folder,
            at_ms: crate::db::now_ms(),
            public,
            readers,
        }
    }

    pub async fn send(&self, event: ChangeEvent) {
        let client = self.postgres.as_ref().and_then(|shared| shared.read().expect("events lock").clone());
        let Some(client) = client else {
            // SQLite, or the listener is reconnecting: this replica's watchers still hear it.
            let _ = self.local.send(event);
            return;
        };
        let payload = match serde_json::to_string(&event) {
            Ok(payload) if payload.len() < MAX_PAYLOAD => payload,
            _ => {
                tracing::warn!(path = %event.path, "change event too large for NOTIFY; delivered to this replica only");
                let _ = self.local.send(event);
                return;
            }
        };
        // Our own listener delivers it back to this replica's watchers.
        if let Err(err) = client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload]).await {
            tracing::warn!(error = %err, "NOTIFY failed; change event delivered to this replica only");
            let _ = self.local.send(event);
        }
    }
}

/// Connects, LISTENs, and forwards notifications to `local`; the returned
/// task ends when the connection is lost.
async fn listen(
    url: &str,
    local: &broadcast::Sender<ChangeEvent>,
) -> anyhow::Result<(Arc<tokio_postgres::Client>, JoinHandle<()>)> {
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let forward = local.clone();
    let forwarding = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(note)) => {
                    match serde_json::from_str::<ChangeEvent>(note.payload()) {
                        Ok(event) => {
                            let _ = forward.send(event);
                        }
                        Err(err) => tracing::warn!(error = %err, "unreadable change event"),
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "change event connection lost");
                    return;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    Ok((Arc::new(client), forwarding))
}

/// Replaces a lost listener connection, once a second until it succeeds;
/// meanwhile events reach only this replica's watchers. Stops when the
/// manager dropped its [`Events`].
async fn keep_listening(
    url: String,
    local: broadcast::Sender<ChangeEvent>,
    shared: Weak<RwLock<Option<Arc<tokio_postgres::Client>>>>,
    mut connection: JoinHandle<()>,
) {
    loop {
        tokio::select! {
            _ = &mut connection => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {
                if shared.strong_count() == 0 {
                    connection.abort();
                    return;
                }
                continue;
            }
        }
        let Some(live) = shared.upgrade() else { return };
        *live.write().expect("events lock") = None;
        drop(live);
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(live) = shared.upgrade() else { return };
            match listen(&url, &local).await {
                Ok((client, next)) => {
                    *live.write().expect("events lock") = Some(client);
                    connection = next;
                    tracing::info!("change event listener reconnected");
                    break;
                }
                Err(err) => tracing::warn!(error = %err, "change event listener cannot reconnect yet"),
            }
        }
    }
}
