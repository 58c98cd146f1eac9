//! WebDAV write locks on paths of the tree, for gateways that serve it over
//! WebDAV as each signed-in user: their username is the lock's principal.
//! Locks live in the database so that every manager replica agrees on them;
//! which lock is in whose way follows dav-server's MemLs ([`lock_rules`]).
//! Expired locks count nowhere and are deleted lazily.

use cordvault_core::crypto::random_bytes;
use cordvault_core::path::{TreePath, quote};
use cordvault_core::{Error, Result};

use super::access::{AccessLevel, Caller, access_level, ensure_can_create_in};
use super::lock_rules::{self, Presented};
use super::tree::Tree;
use crate::db::entries::EntryView;
use crate::db::locks::{LockView, Neighbours, NewLock};

/// Live locks one user may hold.
pub const MAX_LOCKS_PER_USER: i64 = 1000;
/// Longest timeout; an infinite one gets this.
pub const MAX_TIMEOUT_SECONDS: i64 = 24 * 3600;
/// Longest owner element, in bytes.
pub const MAX_OWNER_XML_BYTES: usize = 4096;
/// Tokens one check may present.
pub const MAX_PRESENTED_TOKENS: usize = 1000;
const TOKEN_PREFIX: &str = "opaquelocktoken:";

/// A fresh lock token: "opaquelocktoken:" and a random (version 4) UUID.
pub fn new_token() -> String {
    let mut bytes = random_bytes::<16>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{TOKEN_PREFIX}{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Whether `token` could be one [`new_token`] made; others are looked up nowhere.
fn looks_like_token(token: &str) -> bool {
    token
        .strip_prefix(TOKEN_PREFIX)
        .is_some_and(|uuid| uuid.len() == 36 && uuid.bytes().all(|byte| byte.is_ascii_hexdigit() || byte == b'-'))
}

/// The timeout a lock gets for `seconds` asked (0: infinite): at most a day.
pub fn capped_timeout(seconds: i64) -> Result<i64> {
    match seconds {
        ..0 => Err(Error::invalid_argument(format!("timeout_seconds {seconds} is negative; 0 means infinite"))),
        0 => Ok(MAX_TIMEOUT_SECONDS),
        seconds => Ok(seconds.min(MAX_TIMEOUT_SECONDS)),
    }
}

fn validate_owner_xml(owner_xml: &str) -> Result<()> {
    if owner_xml.len() > MAX_OWNER_XML_BYTES {
        return Err(Error::invalid_argument(format!(
            "owner_xml is {} bytes, more than {} KiB",
            owner_xml.len(),
            MAX_OWNER_XML_BYTES / 1024
        )));
    }
    if owner_xml.contains('\0') {
        return Err(Error::invalid_argument("owner_xml may not contain NUL characters"));
    }
    Ok(())
}

fn no_such_lock(token: &str, path: &TreePath) -> Error {
    Error::not_found(format!("there is no lock {} at {path} or above it", quote(token)))
}

/// What a new lock asks for.
#[derive(Debug, Clone)]
pub struct LockRequest<'a> {
    pub path: &'a str,
    pub owner_xml: &'a str,
    /// 0: infinite.
    pub timeout_seconds: i64,
    pub shared: bool,
    pub deep: bool,
}

/// What came of a lock request.
#[derive(Debug, Clone)]
pub enum Created {
    Lock(LockView),
    /// The lock in the way; nothing was created.
    Conflict(LockView),
}

#[derive(Clone)]
pub struct Locks {
    tree: Tree,
    max_per_user: i64,
}

impl Locks {
    pub fn new(tree: Tree) -> Self {
        Locks { tree, max_per_user: MAX_LOCKS_PER_USER }
    }

    /// The same with another limit of live locks per user.
    pub fn with_max_per_user(mut self, max: i64) -> Self {
        self.max_per_user = max;
        self
    }

    fn now(&self) -> i64 {
        self.tree.clock().now_ms()
    }

    /// The entry at `path`, or else the nearest one above it, with its path.
    async fn nearest(&self, path: &TreePath) -> Result<(EntryView, TreePath)> {
        let found = match self.tree.db().walk(path.names()).await? {
            Ok(view) => return Ok((view, path.clone())),
            Err(found) => found,
        };
        let mut nearest = TreePath::root();
        for name in &path.names()[..found] {
            nearest = nearest.join(name)?;
        }
        Ok((self.tree.resolve(&nearest).await?, nearest))
    }

    /// Locking `path`, or deleting the locks there: write access to the
    /// entry there, or, when there is none, to the nearest folder above.
    async fn ensure_may_lock(&self, caller: &Caller, path: &TreePath) -> Result<()> {
        if path.is_root() {
            return Err(Error::permission_denied("the root folder cannot be locked"));
        }
        let (entry, at) = self.nearest(path).await?;
        let grants = self.tree.grants(caller, &entry.row).await?;
        if at != *path {
            return ensure_can_create_in(caller, &entry.row, grants, entry.owner.as_deref(), &at.to_string());
        }
        if access_level(caller, &entry.row, grants) >= AccessLevel::Write {
            return Ok(());
        }
        Err(Error::permission_denied(format!(
            "{path} belongs to another user, who has not shared it with you for writing"
        )))
    }

    /// Whether the caller may read what is at `path`, or the nearest entry above it.
    async fn may_read(&self, caller: &Caller, path: &TreePath) -> Result<bool> {
        let (entry, _) = self.nearest(path).await?;
        let grants = self.tree.grants(caller, &entry.row).await?;
        Ok(access_level(caller, &entry.row, grants) >= AccessLevel::Read)
    }

    async fn ensure_may_read(&self, caller: &Caller, path: &TreePath) -> Result<()> {
        if self.may_read(caller, path).await? {
            return Ok(());
        }
        Err(Error::permission_denied(format!("{path} is not shared with you")))
    }

    /// A lock as the caller, who asked about `asked`, may see it: its
    /// owner element shows to its owner, when the lock covers `asked`, and
    /// to whoever may read its path; to anyone else it is empty.
    async fn shown(&self, caller: &Caller, asked: &TreePath, mut lock: LockView) -> Result<LockView> {
        if lock.row.owner_id == caller.user_id || lock_rules::covers(&lock, &asked.to_string()) {
            return Ok(lock);
        }
        if !self.may_read(caller, &TreePath::parse(&lock.row.path)?).await? {
            lock.row.owner_xml.clear();
        }
        Ok(lock)
    }

    /// Locks `request.path` for the caller, unless a lock is in the way.
    pub async fn create(&self, caller: &Caller, request: LockRequest<'_>) -> Result<Created> {
        let path = TreePath::parse(request.path)?;
        validate_owner_xml(request.owner_xml)?;
        let timeout = capped_timeout(request.timeout_seconds)?;
        self.ensure_may_lock(caller, &path).await?;
        let now = self.now();
        let (shared, deep, at) = (request.shared, request.deep, path.to_string());
        let lock = NewLock {
            token: new_token(),
            path: at.clone(),
            owner_id: caller.user_id,
            owner_xml: request.owner_xml.to_owned(),
            shared,
            deep,
            timeout_seconds: timeout,
            expires_at_ms: now.saturating_add(timeout * 1000),
            created_at_ms: now,
        };
        let ancestry = lock_rules::ancestry(&at);
        let conflict = move |found: Neighbours<'_>| {
            let above = lock_rules::root_first(found.at_and_above.to_vec());
            let below = lock_rules::depth_first(found.at_and_below.to_vec());
            lock_rules::lock_conflict(&at, shared, deep, &above, &below).cloned()
        };
        match self.tree.db().create_lock(lock, ancestry, now, self.max_per_user, conflict).await? {
            Ok(lock) => {
                tracing::info!(%path, token = %lock.row.token, shared, deep, timeout, user = %caller.username, "locked");
                Ok(Created::Lock(lock))
            }
            Err(conflict) => Ok(Created::Conflict(self.shown(caller, &path, conflict).await?)),
        }
    }

    /// The caller's live lock `token` at `path` or above it.
    async fn own_lock(&self, caller: &Caller, path: &TreePath, token: &str) -> Result<LockView> {
        let found = match looks_like_token(token) {
            true => self.tree.db().live_lock(token, self.now()).await?,
            false => None,
        };
        let Some(lock) = found.filter(|lock| lock_rules::lock_is_found_from(lock, &path.to_string())) else {
            return Err(no_such_lock(token, path));
        };
        if lock.row.owner_id != caller.user_id && !caller.is_admin {
            return Err(Error::permission_denied(format!(
                "lock {} belongs to {}; only they or an administrator may release or refresh it",
                quote(token),
                quote(&lock.owner)
            )));
        }
        Ok(lock)
    }

    /// Releases the lock `token` held at `path` or above it.
    pub async fn release(&self, caller: &Caller, path: &str, token: &str) -> Result<()> {
        let path = TreePath::parse(path)?;
        let lock = self.own_lock(caller, &path, token).await?;
        if !self.tree.db().delete_lock(lock.row.id).await? {
            return Err(no_such_lock(token, &path));
        }
        tracing::info!(path = %lock.row.path, %token, user = %caller.username, "unlocked");
        Ok(())
    }

    /// Restarts the timeout of the lock `token` held at `path` or above it.
    pub async fn refresh(&self, caller: &Caller, path: &str, token: &str, timeout_seconds: i64) -> Result<LockView> {
        let path = TreePath::parse(path)?;
        let timeout = capped_timeout(timeout_seconds)?;
        let lock = self.own_lock(caller, &path, token).await?;
        let now = self.now();
        let expires_at_ms = now.saturating_add(timeout * 1000);
        let refreshed = self.tree.db().refresh_lock(lock.row.id, timeout, expires_at_ms, now).await?;
        refreshed.ok_or_else(|| no_such_lock(token, &path))
    }

    /// The lock in the way of the caller changing `path` (and, when `deep`,
    /// what is below it) with `tokens`, if any.
    pub async fn check(
        &self,
        caller: &Caller,
        path: &str,
        deep: bool,
        ignore_principal: bool,
        tokens: &[String],
    ) -> Result<Option<LockView>> {
        let path = TreePath::parse(path)?;
        if tokens.len() > MAX_PRESENTED_TOKENS {
            return Err(Error::invalid_argument(format!(
                "at most {MAX_PRESENTED_TOKENS} tokens may be presented; these are {}",
                tokens.len()
            )));
        }
        self.ensure_may_read(caller, &path).await?;
        let (at, now) = (path.to_string(), self.now());
        let above = lock_rules::root_first(self.tree.db().locks_on(&lock_rules::ancestry(&at), now).await?);
        let below = match deep {
            true => lock_rules::depth_first(self.tree.db().locks_at_or_below(&at, now).await?),
            false => Vec::new(),
        };
        let presented = Presented { principal: Some(&caller.username), ignore_principal, tokens };
        match lock_rules::check_conflict(&at, deep, &presented, &above, &below) {
            Some(conflict) => Ok(Some(self.shown(caller, &path, conflict.clone()).await?)),
            None => Ok(None),
        }
    }

    /// The locks at `path` and at every folder above it, from the root down.
    pub async fn list(&self, caller: &Caller, path: &str) -> Result<Vec<LockView>> {
        let path = TreePath::parse(path)?;
        self.ensure_may_read(caller, &path).await?;
        let found = self.tree.db().locks_on(&lock_rules::ancestry(&path.to_string()), self.now()).await?;
        let mut shown = Vec::with_capacity(found.len());
        for lock in lock_rules::root_first(found) {
            shown.push(self.shown(caller, &path, lock).await?);
        }
        Ok(shown)
    }

    /// Deletes every lock at `path` and below it; returns how many.
    pub async fn delete(&self, caller: &Caller, path: &str) -> Result<u64> {
        let path = TreePath::parse(path)?;
        self.ensure_may_lock(caller, &path).await?;
        let deleted = self.tree.db().delete_locks_at_or_below(&path.to_string(), self.now()).await?;
        if deleted > 0 {
            tracing::info!(%path, deleted, user = %caller.username, "locks deleted");
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_opaquelocktoken_uuids() {
        let (first, second) = (new_token(), new_token());
        assert_ne!(first, second);
        for token in [&first, &second] {
            assert!(looks_like_token(token), "{token}");
            let uuid = token.strip_prefix("opaquelocktoken:").unwrap();
            let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12], "{token}");
            assert_eq!(&uuid[14..15], "4", "version 4: {token}");
            assert!("89ab".contains(&uuid[19..20]), "RFC 4122 variant: {token}");
        }
        assert!(!looks_like_token("urn:uuid:0d3c2a6e-6b1e-4c53-9a0e-3b0c4a1d2e3f"));
        assert!(!looks_like_token("opaquelocktoken:\0"));
    }

    #[test]
    fn timeouts_are_capped_at_a_day() {
        assert_eq!(capped_timeout(0).unwrap(), MAX_TIMEOUT_SECONDS);
        assert_eq!(capped_timeout(1).unwrap(), 1);
        assert_eq!(capped_timeout(MAX_TIMEOUT_SECONDS + 1).unwrap(), MAX_TIMEOUT_SECONDS);
        assert_eq!(capped_timeout(-1).unwrap_err().code, cordvault_core::ErrorCode::InvalidArgument);
    }
}
