//! Quotas: how many bytes, entries and open upload sessions each user may
//! have. Every user has the server's defaults unless an administrator set
//! their own limits; a limit of 0 means unlimited.

use std::sync::Arc;

use cordvault_core::path::quote;
use cordvault_core::{Error, Result};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::access::{Caller, ensure_admin};
use crate::db::quotas::{QuotaOverrides, Usage};
use crate::db::{Db, now_ms};

/// One user's limits; 0 is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimits {
    pub max_bytes: u64,
    pub max_entries: u64,
    pub max_upload_sessions: u64,
}

impl QuotaLimits {
    pub const UNLIMITED: QuotaLimits = QuotaLimits { max_bytes: 0, max_entries: 0, max_upload_sessions: 0 };

    /// The server's defaults: generous for people, a wall for scripts that
    /// announce exabytes or open sessions without end.
    pub const DEFAULT: QuotaLimits =
        QuotaLimits { max_bytes: 1 << 40, max_entries: 1_000_000, max_upload_sessions: 100 };
}

/// What a request is about to add to its caller's usage.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    pub bytes: u64,
    pub entries: u64,
    pub upload_sessions: u64,
}

/// A user's limits and what they use of them.
#[derive(Debug, Clone, Copy)]
pub struct QuotaReport {
    pub limits: QuotaLimits,
    pub usage: Usage,
}

/// Held while a request creates what [`Quotas::reserve`] allowed, so that
/// two requests of one user cannot both pass the same check.
pub struct QuotaGuard {
    _lock: OwnedMutexGuard<()>,
}

/// Locks are striped by user id: bounded memory, and users rarely share one.
const LOCK_STRIPES: usize = 64;

#[derive(Clone)]
pub struct Quotas {
    db: Db,
    defaults: QuotaLimits,
    locks: Arc<Vec<Arc<Mutex<()>>>>,
}

fn effective(set: Option<i64>, default: u64) -> u64 {
    match set {
        Some(value) => value.max(0) as u64,
        None => default,
    }
}

/// A limit as the database stores it; past i64::MAX it is as good as unlimited.
fn stored(limit: Option<u64>) -> Option<i64> {
    limit.map(|limit| i64::try_from(limit).unwrap_or(0))
}

/// Bytes in the largest unit that keeps a whole number in front.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} bytes") } else { format!("{value:.1} {}", UNITS[unit]) }
}

impl Quotas {
    pub fn new(db: Db, defaults: QuotaLimits) -> Self {
        let locks = (0..LOCK_STRIPES).map(|_| Arc::new(Mutex::new(()))).collect();
        Quotas { db, defaults, locks: Arc::new(locks) }
    }

    pub async fn limits(&self, user_id: i64) -> Result<QuotaLimits> {
        let set = self.db.quota_overrides(user_id).await?;
        Ok(QuotaLimits {
            max_bytes: effective(set.max_bytes, self.defaults.max_bytes),
            max_entries: effective(set.max_entries, self.defaults.max_entries),
            max_upload_sessions: effective(set.max_upload_sessions, self.defaults.max_upload_sessions),
        })
    }

    pub async fn report(&self, user_id: i64) -> Result<QuotaReport> {
        let limits = self.limits(user_id).await?;
        let usage = self.db.usage(user_id, now_ms()).await?;
        Ok(QuotaReport { limits, usage })
    }

    /// Checks that `needs` fits in the quota of `caller`; the guard keeps
    /// other requests of the same user waiting until it is dropped.
    pub async fn reserve(&self, caller: &Caller, needs: Needs) -> Result<QuotaGuard> {
        let stripe = caller.user_id.rem_euclid(LOCK_STRIPES as i64) as usize;
        let guard = self.locks[stripe].clone().lock_owned().await;
        let limits = self.limits(caller.user_id).await?;
        let limited = |limit: u64, need: u64| limit != 0 && need != 0;
        if !limited(limits.max_bytes, needs.bytes)
            && !limited(limits.max_entries, needs.entries)
            && !limited(limits.max_upload_sessions, needs.upload_sessions)
        {
            return Ok(QuotaGuard { _lock: guard });
        }
        let usage = self.db.usage(caller.user_id, now_ms()).await?;
        let exceeds =
            |limit: u64, used: i64, need: u64| limit != 0 && (used.max(0) as u64).saturating_add(need) > limit;
        let who = quote(&caller.username);
        if exceeds(limits.max_upload_sessions, usage.upload_sessions, needs.upload_sessions) {
            return Err(Error::resource_exhausted(format!(
                "quota: {who} has {} upload sessions open, the most allowed; finish or abort one first",
                usage.upload_sessions
            )));
        }
        if exceeds(limits.max_bytes, usage.bytes, needs.bytes) {
            return Err(Error::resource_exhausted(format!(
                "quota: {who} stores {} of {} (trash and unfinished uploads included); this needs {} more. \
                 Empty the trash, or ask an administrator to raise the quota",
                human_bytes(usage.bytes.max(0) as u64),
                human_bytes(limits.max_bytes),
                human_bytes(needs.bytes)
            )));
        }
        if exceeds(limits.max_entries, usage.entries, needs.entries) {
            return Err(Error::resource_exhausted(format!(
                "quota: {who} has {} files and folders (trash included), the most allowed is {}",
                usage.entries, limits.max_entries
            )));
        }
        Ok(QuotaGuard { _lock: guard })
    }

    /// Sets the limits of `user_id`; None returns a limit to the default.
    pub async fn set(&self, caller: &Caller, user_id: i64, limits: QuotaSetting) -> Result<QuotaReport> {
        ensure_admin(caller)?;
        let overrides = QuotaOverrides {
            max_bytes: stored(limits.max_bytes),
            max_entries: stored(limits.max_entries),
            max_upload_sessions: stored(limits.max_upload_sessions),
        };
        self.db.set_quota_overrides(user_id, overrides).await?;
        tracing::info!(admin = %caller.username, user_id, ?limits, "quota set");
        self.report(user_id).await
    }
}

/// What an administrator sets: None is the server's default, 0 unlimited.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuotaSetting {
    pub max_bytes: Option<u64>,
    pub max_entries: Option<u64>,
    pub max_upload_sessions: Option<u64>,
}
