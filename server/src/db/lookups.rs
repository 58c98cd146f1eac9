//! Discord users and guilds looked up through the bot, kept for a while so
//! that a client showing many avatars does not cost as many API calls.

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::schema::discord_lookups;
use super::{Db, DbError, run};

impl Db {
    /// The payload stored for (`kind`, `id`) at or after `fresh_since` (Unix ms).
    pub async fn cached_lookup(&self, kind: &str, id: &str, fresh_since: i64) -> Result<Option<String>, DbError> {
        run!(self, |conn| Ok(discord_lookups::table
            .find((kind, id))
            .filter(discord_lookups::fetched_at.ge(fresh_since))
            .select(discord_lookups::payload)
            .first(conn)
            .await
            .optional()?))
    }

    pub async fn store_lookup(&self, kind: &str, id: &str, payload: &str, fetched_at: i64) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::insert_into(discord_lookups::table)
                .values((
                    discord_lookups::kind.eq(kind),
                    discord_lookups::lookup_id.eq(id),
                    discord_lookups::payload.eq(payload),
                    discord_lookups::fetched_at.eq(fetched_at),
                ))
                .on_conflict((discord_lookups::kind, discord_lookups::lookup_id))
                .do_update()
                .set((
                    discord_lookups::payload.eq(excluded(discord_lookups::payload)),
                    discord_lookups::fetched_at.eq(excluded(discord_lookups::fetched_at)),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }
}
