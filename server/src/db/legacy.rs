//! One-off fixes of data that older versions wrote, each applied once at
//! start-up and recorded by name in `data_migrations`.

use cordvault_core::path::{nfc, numbered_name};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{data_migrations, entries};
use super::{Db, DbError, now_ms, run};

const NFC_NAMES: &str = "2026-12-03-nfc-names";

/// Entries read per query while looking for names to fix.
const PAGE: i64 = 1000;

/// How many "name (n)" alternatives to try for a name whose NFC form is taken.
const MAX_NUMBERED_NAMES: u32 = 10_000;

impl Db {
    /// Applies the data fixes this database has not had yet.
    pub async fn apply_data_migrations(&self) -> Result<(), DbError> {
        if !self.data_migration_applied(NFC_NAMES).await? {
            let renamed = self.normalize_legacy_names().await?;
            self.record_data_migration(NFC_NAMES).await?;
            tracing::info!(renamed, "names of older entries normalised to NFC");
        }
        Ok(())
    }

    /// Renames every entry whose name is not in Unicode NFC to its NFC form,
    /// numbered ("name (1).txt") where that is taken in its folder. Paths are
    /// looked up in NFC, so such an entry could not be reached by its path,
    /// and it could stand beside its NFC twin. Returns how many it renamed.
    pub async fn normalize_legacy_names(&self) -> Result<u64, DbError> {
        let mut after = 0i64;
        let mut renamed = 0;
        loop {
            let page: Vec<(i64, String)> = run!(self, |conn| entries::table
                .filter(entries::id.gt(after))
                .order(entries::id.asc())
                .limit(PAGE)
                .select((entries::id, entries::name))
                .load(conn)
                .await)?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            for (id, name) in page {
                let normal = nfc(&name);
                if normal != name {
                    self.rename_to_free_name(id, &normal).await?;
                    renamed += 1;
                }
            }
        }
        Ok(renamed)
    }

    async fn rename_to_free_name(&self, id: i64, name: &str) -> Result<(), DbError> {
        let candidates =
            std::iter::once(name.to_owned()).chain((1..=MAX_NUMBERED_NAMES).map(|n| numbered_name(name, n)));
        for candidate in candidates {
            let renamed: Result<usize, DbError> = run!(self, |conn| {
                diesel::update(entries::table.find(id)).set(entries::name.eq(&candidate)).execute(conn).await
            })
            .map_err(DbError::from);
            match renamed {
                Err(err) if err.is_unique_violation() => continue,
                result => {
                    result?;
                    return Ok(());
                }
            }
        }
        tracing::warn!(id, name, "no free name to normalise this entry to; left as it is");
        Ok(())
    }

    async fn data_migration_applied(&self, name: &str) -> Result<bool, DbError> {
        run!(self, |conn| Ok(data_migrations::table
            .find(name)
            .select(data_migrations::name)
            .first::<String>(conn)
            .await
            .optional()?
            .is_some()))
    }

    async fn record_data_migration(&self, name: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::insert_into(data_migrations::table)
                .values((data_migrations::name.eq(name), data_migrations::applied_at.eq(now_ms())))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            Ok(())
        })
    }
}
