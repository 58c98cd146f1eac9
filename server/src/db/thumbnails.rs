//! Thumbnails and the queue of contents waiting for one.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{contents, entries, thumbnail_jobs, thumbnails};
use super::{Db, DbError, now_ms, run, transaction};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = thumbnails)]
pub struct ThumbnailRow {
    pub content_id: i64,
    pub mime_type: String,
    pub width: i32,
    pub height: i32,
    pub data: Vec<u8>,
    pub created_at: i64,
}

/// A job a worker slot has claimed.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub content_id: i64,
    pub mime_type: String,
    pub attempts: i32,
}

impl Db {
    /// Queues a content for a thumbnail; a content already queued stays as it is.
    pub async fn queue_thumbnail(&self, content_id: i64, mime_type: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::insert_into(thumbnail_jobs::table)
                .values((
                    thumbnail_jobs::content_id.eq(content_id),
                    thumbnail_jobs::mime_type.eq(mime_type),
                    thumbnail_jobs::queued_at.eq(now_ms()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Claims the oldest job nobody holds a lease on, for `lease_ms`.
    ///
    /// A claim is a conditional update (the job must still be free), so two
    /// managers on one PostgreSQL never take the same job: the loser's update
    /// matches no row and it tries the next one.
    pub async fn claim_thumbnail_job(&self, worker_id: &str, lease_ms: i64) -> Result<Option<ClaimedJob>, DbError> {
        let worker_id = worker_id.to_owned();
        for _ in 0..8 {
            let now = now_ms();
            let is_free = thumbnail_jobs::lease_until.is_null().or(thumbnail_jobs::lease_until.lt(now));
            let candidate: Option<(i64, String, i32)> = run!(self, |conn| thumbnail_jobs::table
                .filter(is_free)
                .order(thumbnail_jobs::queued_at.asc())
                .select((thumbnail_jobs::content_id, thumbnail_jobs::mime_type, thumbnail_jobs::attempts))
                .first(conn)
                .await
                .optional())?;
            let Some((content_id, mime_type, attempts)) = candidate else {
                return Ok(None);
            };
            let claimed = run!(self, |conn| diesel::update(
                thumbnail_jobs::table.filter(thumbnail_jobs::content_id.eq(content_id)).filter(is_free)
            )
            .set((
                thumbnail_jobs::claimed_by.eq(&worker_id),
                thumbnail_jobs::lease_until.eq(now + lease_ms),
                thumbnail_jobs::attempts.eq(attempts + 1),
            ))
            .execute(conn)
            .await)?;
            if claimed == 1 {
                return Ok(Some(ClaimedJob { content_id, mime_type, attempts: attempts + 1 }));
            }
        }
        Ok(None)
    }

    /// Gives back a worker's claims at once, rather than when their leases end.
    pub async fn release_thumbnail_claims(&self, worker_id: &str) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::update(thumbnail_jobs::table.filter(thumbnail_jobs::claimed_by.eq(worker_id)))
                .set((thumbnail_jobs::claimed_by.eq(None::<String>), thumbnail_jobs::lease_until.eq(None::<i64>)))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Drops a job: done, skipped, or given up on.
    pub async fn finish_thumbnail_job(&self, content_id: i64) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::delete(thumbnail_jobs::table.find(content_id)).execute(conn).await?;
            Ok(())
        })
    }

    /// Stores a thumbnail and ends its job, in one transaction. False when
    /// the content is gone meanwhile (purged after an overwrite or delete).
    pub async fn store_thumbnail(
        &self,
        content_id: i64,
        mime_type: &str,
        width: i32,
        height: i32,
        data: Vec<u8>,
    ) -> Result<bool, DbError> {
        let mime_type = mime_type.to_owned();
        transaction!(self, |conn| {
            let marked = diesel::update(contents::table.find(content_id))
                .set(contents::has_thumbnail.eq(true))
                .execute(conn)
                .await?;
            if marked == 0 {
                diesel::delete(thumbnail_jobs::table.find(content_id)).execute(conn).await?;
                return Ok::<_, DbError>(false);
            }
            diesel::insert_into(thumbnails::table)
                .values((
                    thumbnails::content_id.eq(content_id),
                    thumbnails::mime_type.eq(&mime_type),
                    thumbnails::width.eq(width),
                    thumbnails::height.eq(height),
                    thumbnails::data.eq(&data),
                    thumbnails::created_at.eq(now_ms()),
                ))
                .on_conflict(thumbnails::content_id)
                .do_update()
                .set((
                    thumbnails::mime_type.eq(&mime_type),
                    thumbnails::width.eq(width),
                    thumbnails::height.eq(height),
                    thumbnails::data.eq(&data),
                ))
                .execute(conn)
                .await?;
            diesel::delete(thumbnail_jobs::table.find(content_id)).execute(conn).await?;
            Ok(true)
        })
    }

    pub async fn thumbnail(&self, content_id: i64) -> Result<Option<ThumbnailRow>, DbError> {
        run!(self, |conn| Ok(thumbnails::table
            .find(content_id)
            .select(ThumbnailRow::as_select())
            .first(conn)
            .await
            .optional()?))
    }

    /// Entries showing a content now (one, unless it was copied someday).
    pub async fn entries_with_content(&self, content_id: i64) -> Result<Vec<i64>, DbError> {
        run!(self, |conn| Ok(entries::table
            .filter(entries::content_id.eq(content_id))
            .select(entries::id)
            .load(conn)
            .await?))
    }

    /// Jobs waiting, for tests and metrics.
    pub async fn queued_thumbnail_jobs(&self) -> Result<i64, DbError> {
        run!(self, |conn| Ok(thumbnail_jobs::table.count().get_result(conn).await?))
    }

    /// Thumbnails stored, for tests and metrics.
    pub async fn stored_thumbnails(&self) -> Result<i64, DbError> {
        run!(self, |conn| Ok(thumbnails::table.count().get_result(conn).await?))
    }
}
