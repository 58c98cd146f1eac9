//! Per-user quota settings and the usage they limit.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

use super::schema::{contents, entries, quotas, upload_sessions};
use super::{Db, DbError, run};

/// The limits an administrator set for one user; None takes the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = quotas, treat_none_as_null = true)]
pub struct QuotaOverrides {
    pub max_bytes: Option<i64>,
    pub max_entries: Option<i64>,
    pub max_upload_sessions: Option<i64>,
}

/// What a user holds: bytes of files (trash included) plus the sizes
/// announced by open upload sessions, entries (trash included), sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub bytes: i64,
    pub entries: i64,
    pub upload_sessions: i64,
}

/// SUM is NUMERIC on PostgreSQL; the cast gives both backends a BIGINT.
fn total(column: &str) -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>(&format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"))
}

impl Db {
    pub async fn quota_overrides(&self, user_id: i64) -> Result<QuotaOverrides, DbError> {
        run!(self, |conn| Ok(quotas::table
            .find(user_id)
            .select((quotas::max_bytes, quotas::max_entries, quotas::max_upload_sessions))
            .first::<QuotaOverrides>(conn)
            .await
            .optional()?
            .unwrap_or_default()))
    }

    pub async fn set_quota_overrides(&self, user_id: i64, overrides: QuotaOverrides) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::insert_into(quotas::table)
                .values((quotas::user_id.eq(user_id), overrides))
                .on_conflict(quotas::user_id)
                .do_update()
                .set(overrides)
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// The usage of `user_id`, counting sessions that expire after `now`.
    pub async fn usage(&self, user_id: i64, now: i64) -> Result<Usage, DbError> {
        run!(self, |conn| {
            let (entries, stored): (i64, i64) = entries::table
                .filter(entries::owner_id.eq(user_id))
                .select((sql::<BigInt>("COUNT(*)"), total("entries.size")))
                .first(conn)
                .await?;
            let (upload_sessions, reserved): (i64, i64) = upload_sessions::table
                .inner_join(contents::table)
                .filter(upload_sessions::owner_id.eq(user_id))
                .filter(upload_sessions::expires_at.gt(now))
                .select((sql::<BigInt>("COUNT(*)"), total("contents.size")))
                .first(conn)
                .await?;
            Ok(Usage { bytes: stored.saturating_add(reserved), entries, upload_sessions })
        })
    }
}
