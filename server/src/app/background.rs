//! The manager's periodic work: the clean-up sweep, dropping workers that
//! missed their heartbeats, and renewing this manager's lease.

use tokio::task::JoinHandle;

use super::ServerConfig;
use super::services::Services;

pub(super) fn spawn(services: &Services, config: &ServerConfig, lease_id: String) -> JoinHandle<()> {
    let (janitor, workers, db) = (services.janitor.clone(), services.workers.clone(), services.db.clone());
    let (interval, heartbeat) = (config.janitor_interval, config.heartbeat_interval);
    tokio::spawn(async move {
        let mut sweeps = tokio::time::interval(interval);
        let mut heartbeats = tokio::time::interval(heartbeat);
        let mut leases = tokio::time::interval(crate::check::LEASE_RENEW_INTERVAL);
        loop {
            tokio::select! {
                _ = sweeps.tick() => {
                    if let Err(err) = janitor.sweep().await {
                        tracing::warn!(error = %err, "clean-up sweep failed; will retry");
                    }
                }
                _ = heartbeats.tick() => workers.drop_silent(),
                _ = leases.tick() => {
                    if let Err(err) = db.renew_manager_lease(&lease_id).await {
                        tracing::warn!(error = %err, "renewing the manager lease failed; will retry");
                    }
                }
            }
        }
    })
}
