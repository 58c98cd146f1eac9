//! Visibility, shares and ownership of entries.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{entries, shares, users};
use super::users::UserRow;
use super::{Db, DbError, now_ms, run, transaction};
use cordvault_core::limits::DB_BATCH;
use cordvault_core::visibility::Visibility;

/// Creates or changes one share, on the caller's connection.
macro_rules! upsert_share {
    ($conn:expr, $entry_id:expr, $user_id:expr, $can_write:expr) => {
        diesel::insert_into(shares::table)
            .values((
                shares::entry_id.eq($entry_id),
                shares::user_id.eq($user_id),
                shares::can_write.eq($can_write),
                shares::created_at.eq(now_ms()),
            ))
            .on_conflict((shares::entry_id, shares::user_id))
            .do_update()
            .set(shares::can_write.eq($can_write))
            .execute($conn)
            .await
    };
}

/// One user's shares, by entry id: `true` for read-write.
pub type CallerShares = std::collections::HashMap<i64, bool>;

/// One entry of an ancestor chain as one user finds it: public or not, and
/// that user's share on it (`Some(can_write)`). What the chain grants is
/// decided in `services::access`, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLink {
    pub id: i64,
    pub public: bool,
    pub share: Option<bool>,
}

impl Db {
    /// The entry and every folder above it, nearest first, each with
    /// `user_id`'s share on it (no user: no shares).
    pub async fn ancestor_chain(&self, user_id: Option<i64>, entry_id: i64) -> Result<Vec<ChainLink>, DbError> {
        let rows = self.ancestors(entry_id).await?;
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let shared: CallerShares = match user_id {
            Some(user_id) => run!(self, |conn| {
                let rows: Vec<(i64, bool)> = shares::table
                    .filter(shares::user_id.eq(user_id))
                    .filter(shares::entry_id.eq_any(&ids))
                    .select((shares::entry_id, shares::can_write))
                    .load(conn)
                    .await?;
                Ok::<_, DbError>(rows.into_iter().collect())
            })?,
            None => CallerShares::new(),
        };
        Ok(rows
            .into_iter()
            .map(|row| ChainLink { id: row.id, public: row.is_public(), share: shared.get(&row.id).copied() })
            .collect())
    }

    /// Every share of one user, by entry id.
    pub async fn shares_of_user(&self, user_id: i64) -> Result<CallerShares, DbError> {
        run!(self, |conn| {
            let rows: Vec<(i64, bool)> = shares::table
                .filter(shares::user_id.eq(user_id))
                .select((shares::entry_id, shares::can_write))
                .load(conn)
                .await?;
            Ok(rows.into_iter().collect())
        })
    }

    /// Users an entry is shared with, by name.
    pub async fn shares_of_entry(&self, entry_id: i64) -> Result<Vec<(String, bool)>, DbError> {
        run!(self, |conn| Ok(shares::table
            .inner_join(users::table)
            .filter(shares::entry_id.eq(entry_id))
            .select((users::username, shares::can_write))
            .order(users::username.asc())
            .load(conn)
            .await?))
    }

    pub async fn set_share(&self, entry_id: i64, user_id: i64, can_write: bool) -> Result<(), DbError> {
        run!(self, |conn| {
            upsert_share!(conn, entry_id, user_id, can_write)?;
            Ok(())
        })
    }

    /// Removes a share; false when there was none.
    pub async fn remove_share(&self, entry_id: i64, user_id: i64) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::delete(shares::table.find((entry_id, user_id))).execute(conn).await? > 0))
    }

    pub async fn set_visibility(&self, entry_id: i64, visibility: Visibility) -> Result<(), DbError> {
        run!(self, |conn| {
            let code = visibility.code();
            diesel::update(entries::table.find(entry_id)).set(entries::visibility.eq(code)).execute(conn).await?;
            Ok(())
        })
    }

    /// Gives `ids` to `new_owner`; optionally drops the shares of `top` and
    /// keeps a read-write share on it for `previous_owner`.
    pub async fn transfer_ownership(
        &self,
        ids: Vec<i64>,
        new_owner: i64,
        top: i64,
        drop_shares: bool,
        keep_for: Option<i64>,
    ) -> Result<(), DbError> {
        transaction!(self, |conn| {
            for batch in ids.chunks(DB_BATCH) {
                diesel::update(entries::table.filter(entries::id.eq_any(batch)))
                    .set(entries::owner_id.eq(new_owner))
                    .execute(conn)
                    .await?;
            }
            if drop_shares {
                diesel::delete(shares::table.filter(shares::entry_id.eq(top))).execute(conn).await?;
            }
            // The new owner needs no share of their own.
            diesel::delete(shares::table.find((top, new_owner))).execute(conn).await?;
            if let Some(previous) = keep_for.filter(|previous| *previous != new_owner) {
                upsert_share!(conn, top, previous, true)?;
            }
            Ok::<_, DbError>(())
        })
    }

    /// Users whose name contains `fragment` (already lower-case: names are).
    pub async fn search_users(&self, fragment: &str, limit: i64) -> Result<Vec<UserRow>, DbError> {
        let pattern = format!("%{}%", fragment.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        run!(self, |conn| Ok(users::table
            .filter(users::username.like(&pattern).escape('\\'))
            .order(users::username.asc())
            .limit(limit)
            .select(UserRow::as_select())
            .load(conn)
            .await?))
    }

    /// Who may see what happens to an entry: its ancestor chain (for
    /// whether it is public), and its owner and the users it or a folder
    /// above it is shared with.
    pub async fn audience(&self, entry_id: i64) -> Result<(Vec<ChainLink>, Vec<i64>), DbError> {
        let chain = self.ancestor_chain(None, entry_id).await?;
        let ids: Vec<i64> = chain.iter().map(|link| link.id).collect();
        let mut readers: Vec<i64> = run!(self, |conn| shares::table
            .filter(shares::entry_id.eq_any(&ids))
            .select(shares::user_id)
            .distinct()
            .load(conn)
            .await?);
        let owner = run!(self, |conn| entries::table
            .find(entry_id)
            .select(entries::owner_id)
            .first::<Option<i64>>(conn)
            .await?);
        readers.extend(owner);
        Ok((chain, readers))
    }
}
