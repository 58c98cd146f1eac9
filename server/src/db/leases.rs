//! Leases of the managers running on this database, so that offline tools
//! (`check --repair`) can tell whether one is.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{manager_leases, upload_sessions};
use super::{Db, DbError, now_ms, run};

impl Db {
    /// Records that manager `id` is alive now.
    pub async fn renew_manager_lease(&self, id: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            let now = now_ms();
            diesel::insert_into(manager_leases::table)
                .values((manager_leases::id.eq(id), manager_leases::renewed_at.eq(now)))
                .on_conflict(manager_leases::id)
                .do_update()
                .set(manager_leases::renewed_at.eq(now))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    pub async fn drop_manager_lease(&self, id: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::delete(manager_leases::table.find(id)).execute(conn).await?;
            Ok(())
        })
    }

    /// Managers whose lease was renewed after `since` (milliseconds).
    pub async fn live_managers(&self, since: i64) -> Result<Vec<(String, i64)>, DbError> {
        run!(self, |conn| Ok(manager_leases::table
            .filter(manager_leases::renewed_at.gt(since))
            .select((manager_leases::id, manager_leases::renewed_at))
            .load(conn)
            .await?))
    }

    /// How many upload sessions are open.
    pub async fn open_upload_count(&self) -> Result<i64, DbError> {
        run!(self, |conn| Ok(upload_sessions::table.count().get_result(conn).await?))
    }
}
