//! WebDAV write locks on paths of the tree. A lock is on a path, not on an
//! entry: the path need not exist, and a lock stays with its path when
//! what is there moves away. Which locks are in each other's way is decided
//! in `services::lock_rules`; this module finds them and writes them.

use cordvault_core::Error;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{locks, users};
use super::{Backend, Db, DbError, run, transaction};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = locks)]
pub struct LockRow {
    pub id: i64,
    pub token: String,
    /// A normalised absolute path: "/" or "/a/b".
    pub path: String,
    pub owner_id: i64,
    pub owner_xml: String,
    pub shared: bool,
    pub deep: bool,
    pub timeout_seconds: i64,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = locks)]
pub struct NewLock {
    pub token: String,
    pub path: String,
    pub owner_id: i64,
    pub owner_xml: String,
    pub shared: bool,
    pub deep: bool,
    pub timeout_seconds: i64,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// A lock with its owner's name, the principal WebDAV knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockView {
    pub row: LockRow,
    pub owner: String,
}

/// Serialises lock creation on PostgreSQL (`pg_advisory_xact_lock`), so
/// that the conflict check and the insert of one creation see every lock
/// another creation made. An arbitrary constant: "cvlocks" in ASCII.
const CREATION_LOCK_KEY: i64 = 0x0063_766c_6f63_6b73;

diesel::define_sql_function! {
    /// The `length` characters of `text` from the `start`-th (1-based):
    /// the same on both backends, which count characters, not bytes.
    fn substr(text: diesel::sql_types::Text, start: diesel::sql_types::Integer, length: diesel::sql_types::Integer) -> diesel::sql_types::Text;
}

/// Live locks (expiring after `$now`) with their owners' names, oldest first.
macro_rules! live_locks {
    ($now:expr) => {
        locks::table
            .inner_join(users::table)
            .filter(locks::expires_at_ms.gt($now))
            .order(locks::id.asc())
            .select((LockRow::as_select(), users::username))
    };
}

/// `$query` narrowed to locks at `$path` and below it.
macro_rules! at_or_below {
    ($query:expr, $path:expr) => {{
        let path: &str = $path;
        // Every path starts with "/", the root's; others are followed by a
        // "/" before their descendants' next name.
        let prefix = if path == "/" { path.to_owned() } else { format!("{path}/") };
        let chars = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
        $query.filter(locks::path.eq(path.to_owned()).or(substr(locks::path, 1, chars).eq(prefix)))
    }};
}

fn views(rows: Vec<(LockRow, String)>) -> Vec<LockView> {
    rows.into_iter().map(|(row, owner)| LockView { row, owner }).collect()
}

/// Locks at the path (and its folders) a creation checks against, and, for
/// a deep lock, those below the path.
pub struct Neighbours<'a> {
    /// Live locks at the path and at every folder above it, oldest first.
    pub at_and_above: &'a [LockView],
    /// Live locks at the path and below it, oldest first; empty unless the
    /// new lock is deep.
    pub at_and_below: &'a [LockView],
}

impl Db {
    /// Live locks on any of `paths`, oldest first.
    pub async fn locks_on(&self, paths: &[String], now: i64) -> Result<Vec<LockView>, DbError> {
        run!(self, |conn| Ok(views(live_locks!(now).filter(locks::path.eq_any(paths)).load(conn).await?)))
    }

    /// Live locks at `path` and below it, oldest first.
    pub async fn locks_at_or_below(&self, path: &str, now: i64) -> Result<Vec<LockView>, DbError> {
        run!(self, |conn| Ok(views(at_or_below!(live_locks!(now), path).load(conn).await?)))
    }

    /// The live lock `token`, if any.
    pub async fn live_lock(&self, token: &str, now: i64) -> Result<Option<LockView>, DbError> {
        let found: Option<(LockRow, String)> =
            run!(self, |conn| live_locks!(now).filter(locks::token.eq(token)).first(conn).await.optional()?);
        Ok(found.map(|(row, owner)| LockView { row, owner }))
    }

    /// Creates `lock` unless `conflict` finds one in its way, as one step
    /// that no other creation interleaves with: on SQLite one write
    /// transaction, on PostgreSQL a transaction holding an advisory lock
    /// that every creation takes. `ancestry` is the lock's path and every
    /// folder above it. Returns the conflicting lock instead when there is
    /// one; a user with `max_per_user` live locks already gets none.
    pub async fn create_lock<F>(
        &self,
        lock: NewLock,
        ancestry: Vec<String>,
        now: i64,
        max_per_user: i64,
        conflict: F,
    ) -> Result<Result<LockView, LockView>, DbError>
    where
        F: FnOnce(Neighbours<'_>) -> Option<LockView> + Send + 'static,
    {
        let postgres = self.backend() == Backend::Postgres;
        transaction!(self, |conn| {
            if postgres {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({CREATION_LOCK_KEY})")).execute(conn).await?;
            }
            // Expired locks go lazily, here. On SQLite this write, as the
            // transaction's first statement, also takes the write lock.
            diesel::delete(locks::table.filter(locks::expires_at_ms.le(now))).execute(conn).await?;
            let at_and_above = views(live_locks!(now).filter(locks::path.eq_any(&ancestry)).load(conn).await?);
            let at_and_below = if lock.deep {
                views(at_or_below!(live_locks!(now), &lock.path).load(conn).await?)
            } else {
                Vec::new()
            };
            if let Some(found) = conflict(Neighbours { at_and_above: &at_and_above, at_and_below: &at_and_below }) {
                return Ok(Err(found));
            }
            let held: i64 = locks::table
                .filter(locks::owner_id.eq(lock.owner_id))
                .filter(locks::expires_at_ms.gt(now))
                .count()
                .get_result(conn)
                .await?;
            if held >= max_per_user {
                return Err(DbError::Service(Error::resource_exhausted(format!(
                    "you hold {held} locks, the most one user may; release some first"
                ))));
            }
            let row = diesel::insert_into(locks::table)
                .values(&lock)
                .returning(LockRow::as_returning())
                .get_result(conn)
                .await?;
            let owner: String = users::table.find(row.owner_id).select(users::username).first(conn).await?;
            Ok::<_, DbError>(Ok(LockView { row, owner }))
        })
    }

    /// Gives the live lock `id` a new timeout; None when it is gone.
    pub async fn refresh_lock(
        &self,
        id: i64,
        timeout_seconds: i64,
        expires_at_ms: i64,
        now: i64,
    ) -> Result<Option<LockView>, DbError> {
        run!(self, |conn| {
            let updated = diesel::update(locks::table.find(id).filter(locks::expires_at_ms.gt(now)))
                .set((locks::timeout_seconds.eq(timeout_seconds), locks::expires_at_ms.eq(expires_at_ms)))
                .execute(conn)
                .await?;
            if updated == 0 {
                return Ok(None);
            }
            let found: Option<(LockRow, String)> =
                live_locks!(now).filter(locks::id.eq(id)).first(conn).await.optional()?;
            Ok(found.map(|(row, owner)| LockView { row, owner }))
        })
    }

    /// Deletes the lock `id`; false when it was gone already.
    pub async fn delete_lock(&self, id: i64) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::delete(locks::table.find(id)).execute(conn).await? > 0))
    }

    /// Deletes every lock at `path` and below it; returns how many live ones went.
    pub async fn delete_locks_at_or_below(&self, path: &str, now: i64) -> Result<u64, DbError> {
        run!(self, |conn| Ok(diesel::delete(at_or_below!(locks::table.filter(locks::expires_at_ms.gt(now)), path))
            .execute(conn)
            .await? as u64))
    }

    /// Deletes the locks that expired by `now`; returns how many.
    pub async fn delete_expired_locks(&self, now: i64) -> Result<u64, DbError> {
        run!(self, |conn| Ok(
            diesel::delete(locks::table.filter(locks::expires_at_ms.le(now))).execute(conn).await? as u64
        ))
    }
}
