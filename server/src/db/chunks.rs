//! Chunk records: which store object holds which chunk of a content.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{chunks, orphan_chunks, package_chunks, upload_sessions};
use super::{Db, DbError, now_ms, run, transaction};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chunks)]
pub struct ChunkRow {
    pub content_id: i64,
    pub chunk_index: i64,
    pub locator: String,
    pub sealed_size: i64,
    /// The seal's nonce prefix (hex); None for plain chunks and old records.
    pub seal_id: Option<String>,
}

impl Db {
    /// Records a durable chunk of an upload and pushes the session's expiry
    /// back. A copy it replaces is queued for deletion from the store.
    /// NOT_FOUND when the session is gone: the caller must delete the object.
    pub async fn record_chunk(&self, upload_id: &str, chunk: ChunkRow, expires_at: i64) -> Result<bool, DbError> {
        let upload_id = upload_id.to_owned();
        transaction!(self, |conn| {
            let live = diesel::update(upload_sessions::table.find(&upload_id))
                .set(upload_sessions::expires_at.eq(expires_at))
                .execute(conn)
                .await?;
            if live == 0 {
                return Err(
                    cordvault_core::Error::not_found("upload session is gone (committed, aborted or expired)").into()
                );
            }
            let previous: Option<String> = chunks::table
                .find((chunk.content_id, chunk.chunk_index))
                .select(chunks::locator)
                .first(conn)
                .await
                .optional()?;
            if let Some(previous) = &previous {
                diesel::insert_into(orphan_chunks::table)
                    .values((orphan_chunks::locator.eq(previous), orphan_chunks::queued_at.eq(now_ms())))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
                diesel::delete(chunks::table.find((chunk.content_id, chunk.chunk_index))).execute(conn).await?;
            }
            diesel::insert_into(chunks::table).values(&chunk).execute(conn).await?;
            Ok::<_, DbError>(previous.is_some())
        })
    }

    /// Indexes of the recorded chunks of a content, ascending.
    pub async fn durable_chunks(&self, content_id: i64) -> Result<Vec<i64>, DbError> {
        run!(self, |conn| Ok(chunks::table
            .filter(chunks::content_id.eq(content_id))
            .select(chunks::chunk_index)
            .order(chunks::chunk_index.asc())
            .load(conn)
            .await?))
    }

    pub async fn chunks_of(&self, content_id: i64) -> Result<Vec<ChunkRow>, DbError> {
        run!(self, |conn| Ok(chunks::table
            .filter(chunks::content_id.eq(content_id))
            .select(ChunkRow::as_select())
            .order(chunks::chunk_index.asc())
            .load(conn)
            .await?))
    }

    pub async fn orphan_batch(&self) -> Result<Vec<String>, DbError> {
        run!(self, |conn| Ok(orphan_chunks::table.select(orphan_chunks::locator).limit(100).load(conn).await?))
    }

    pub async fn forget_orphan(&self, locator: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::delete(orphan_chunks::table.find(locator)).execute(conn).await?;
            Ok(())
        })
    }

    /// Every locator the database knows, for consistency checks.
    pub async fn all_locators(&self) -> Result<Vec<String>, DbError> {
        run!(self, |conn| {
            let mut locators: Vec<String> = chunks::table.select(chunks::locator).load(conn).await?;
            // Uploaded package zips waiting for analysis.
            locators.extend(package_chunks::table.select(package_chunks::locator).load::<String>(conn).await?);
            Ok(locators)
        })
    }
}
