//! `cordvault-server check`: compares the chunk records in the database
//! with what the chunk store holds, and with `--repair` deletes orphans.
//!
//! A chunk is written to the store before it is recorded, so an object
//! without a record may belong to an upload in flight. Repair therefore
//! refuses to run beside a live manager or open upload sessions, and even
//! then deletes only objects older than the orphan grace period.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use cordvault_store::{ChunkLocator, ChunkStore};

use crate::db::{Db, now_ms};

/// A manager renews its lease this often.
pub const LEASE_RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// A lease not renewed for this long belongs to a manager that is gone.
pub const LEASE_EXPIRY: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Recorded, but not in the store: data loss.
    pub missing: Vec<String>,
    /// In the store, but no record names them.
    pub orphaned: Vec<String>,
    /// Orphans deleted by `--repair`.
    pub repaired: usize,
    /// Orphans younger than the grace period, which repair spares.
    pub young: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(
        "a manager is running on this database ({0}, seen {1} s ago); stop every manager before `check --repair`, \
         which could otherwise delete chunks of uploads in flight"
    )]
    ManagerRunning(String, i64),
    #[error(
        "{0} upload sessions are open; let them finish, abort them or wait for them to expire before `check --repair`"
    )]
    UploadsOpen(i64),
}

/// What repair may delete: orphans older than `orphan_grace`.
#[derive(Debug, Clone, Copy)]
pub struct Repair {
    pub orphan_grace: Duration,
}

pub async fn check(db: &Db, store: &dyn ChunkStore, repair: Option<Repair>) -> anyhow::Result<CheckReport> {
    if repair.is_some() {
        ensure_nothing_in_flight(db).await?;
    }
    // Objects are listed before records are read, so a record that lands
    // meanwhile is seen.
    let objects = store.list().await?;
    let recorded: HashSet<String> = db.all_locators().await?.into_iter().collect();
    let stored: HashSet<&str> = objects.iter().map(|object| object.locator.0.as_str()).collect();
    let mut report = CheckReport {
        missing: recorded.iter().filter(|locator| !stored.contains(locator.as_str())).cloned().collect(),
        orphaned: stored
            .iter()
            .filter(|locator| !recorded.contains(**locator))
            .map(|locator| locator.to_string())
            .collect(),
        ..CheckReport::default()
    };
    report.missing.sort();
    report.orphaned.sort();
    let Some(Repair { orphan_grace }) = repair else {
        return Ok(report);
    };
    let cutoff = SystemTime::now() - orphan_grace;
    for object in objects.iter().filter(|object| !recorded.contains(&object.locator.0)) {
        if object.stored_at > cutoff {
            report.young += 1;
            continue;
        }
        store.delete(&ChunkLocator(object.locator.0.clone())).await?;
        report.repaired += 1;
    }
    Ok(report)
}

async fn ensure_nothing_in_flight(db: &Db) -> anyhow::Result<()> {
    let now = now_ms();
    let live = db.live_managers(now - LEASE_EXPIRY.as_millis() as i64).await?;
    if let Some((id, renewed_at)) = live.into_iter().next() {
        return Err(CheckError::ManagerRunning(id, (now - renewed_at) / 1000).into());
    }
    let open = db.open_upload_count().await?;
    if open > 0 {
        return Err(CheckError::UploadsOpen(open).into());
    }
    Ok(())
}
