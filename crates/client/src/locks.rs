//! WebDAV write locks on paths of the tree, held in the manager's database
//! (LockService): what a WebDAV gateway's lock system calls, as the
//! signed-in user, whose username is the locks' principal.

use cordvault_proto::v1 as pb;

use crate::client::required;
use crate::error::from_status;
use crate::{Client, Error, Result};

/// What a new lock asks for; the default is an exclusive lock of the path
/// alone (depth 0) with the longest timeout.
#[derive(Debug, Clone, Default)]
pub struct LockOptions {
    /// The WebDAV owner element as the client sent it; at most 4 KiB.
    pub owner_xml: String,
    /// 0 means infinite; the server caps it (at a day) and the lock says what it got.
    pub timeout_seconds: i64,
    pub shared: bool,
    /// Covers everything below the path too (Depth: infinity).
    pub deep: bool,
}

/// What came of [`Client::create_lock`].
#[derive(Debug, Clone, PartialEq)]
pub enum LockOutcome {
    /// The new lock.
    Locked(pb::Lock),
    /// A lock in the way; nothing was created.
    Conflict(pb::Lock),
}

impl LockOutcome {
    /// The new lock, or the lock in the way as the error (as a WebDAV
    /// lock system answers).
    pub fn into_result(self) -> std::result::Result<pb::Lock, pb::Lock> {
        match self {
            LockOutcome::Locked(lock) => Ok(lock),
            LockOutcome::Conflict(conflict) => Err(conflict),
        }
    }
}

impl Client {
    /// Locks `path` for the caller, unless a lock is in the way.
    pub async fn create_lock(&self, path: &str, options: &LockOptions) -> Result<LockOutcome> {
        let request = pb::CreateLockRequest {
            path: path.into(),
            owner_xml: options.owner_xml.clone(),
            timeout_seconds: options.timeout_seconds,
            shared: options.shared,
            deep: options.deep,
        };
        let response = self.locks()?.create_lock(request).await.map_err(from_status)?.into_inner();
        match (response.lock, response.conflict) {
            (Some(lock), None) => Ok(LockOutcome::Locked(lock)),
            (None, Some(conflict)) => Ok(LockOutcome::Conflict(conflict)),
            _ => Err(Error::internal("the server's answer holds not exactly one of lock and conflict")),
        }
    }

    /// Releases the lock `token` held at `path` or at a folder above it.
    pub async fn release_lock(&self, path: &str, token: &str) -> Result<()> {
        let request = pb::ReleaseLockRequest { path: path.into(), token: token.into() };
        self.locks()?.release_lock(request).await.map_err(from_status)?;
        Ok(())
    }

    /// Restarts the timeout of the lock `token` held at `path` or above it
    /// (`timeout_seconds` as in [`LockOptions`]).
    pub async fn refresh_lock(&self, path: &str, token: &str, timeout_seconds: i64) -> Result<pb::Lock> {
        let request = pb::RefreshLockRequest { path: path.into(), token: token.into(), timeout_seconds };
        let response = self.locks()?.refresh_lock(request).await.map_err(from_status)?;
        required(response.into_inner().lock, "lock")
    }

    /// The lock in the way of the caller changing `path` (with `deep`, also
    /// what is below it) when presenting `tokens`; None when there is none.
    /// With `ignore_principal` a presented token counts whoever owns its lock.
    pub async fn check_locks(
        &self,
        path: &str,
        deep: bool,
        ignore_principal: bool,
        tokens: &[String],
    ) -> Result<Option<pb::Lock>> {
        let request = pb::CheckLocksRequest { path: path.into(), deep, ignore_principal, tokens: tokens.to_vec() };
        let response = self.locks()?.check_locks(request).await.map_err(from_status)?;
        Ok(response.into_inner().conflict)
    }

    /// The locks at `path` and at every folder above it, from the root down.
    pub async fn list_locks(&self, path: &str) -> Result<Vec<pb::Lock>> {
        let request = pb::ListLocksRequest { path: path.into() };
        let response = self.locks()?.list_locks(request).await.map_err(from_status)?;
        Ok(response.into_inner().locks)
    }

    /// Deletes every lock at `path` and below it, whoever holds it (after a
    /// move or delete); returns how many went.
    pub async fn delete_locks(&self, path: &str) -> Result<u64> {
        let request = pb::DeleteLocksRequest { path: path.into() };
        let response = self.locks()?.delete_locks(request).await.map_err(from_status)?;
        Ok(response.into_inner().deleted_locks)
    }
}
