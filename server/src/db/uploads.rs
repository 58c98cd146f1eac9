//! Upload sessions and the contents they fill.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use cordvault_core::ids::UploadId;
use cordvault_core::visibility::Visibility;

use super::entries::{EntryRow, NewEntry, queue_purge};
use super::schema::{chunks, contents, entries, purge_queue, upload_sessions};
use super::{Db, DbError, now_ms, run, transaction};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = upload_sessions)]
pub struct UploadRow {
    pub id: String,
    pub owner_id: i64,
    pub parent_id: i64,
    pub name: String,
    pub content_id: i64,
    pub conflict_policy: i32,
    pub mime_type: String,
    pub expires_at: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contents)]
pub struct ContentRow {
    pub id: i64,
    pub size: i64,
    pub chunk_size: i64,
    pub sha256: String,
    pub wrapped_key: Vec<u8>,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = contents)]
pub struct NewContent {
    pub size: i64,
    pub chunk_size: i64,
    pub sha256: String,
    pub wrapped_key: Vec<u8>,
    pub created_at: i64,
}

/// Where a committed upload goes.
pub enum CommitTarget {
    New {
        name: String,
    },
    /// Replace the content of this file.
    Overwrite(EntryRow),
}

impl Db {
    /// Creates a content and the session that fills it.
    pub async fn create_upload(
        &self,
        content: NewContent,
        mut session: UploadRow,
    ) -> Result<(UploadRow, ContentRow), DbError> {
        transaction!(self, |conn| {
            let content: ContentRow = diesel::insert_into(contents::table)
                .values(&content)
                .returning(ContentRow::as_returning())
                .get_result(conn)
                .await?;
            session.content_id = content.id;
            diesel::insert_into(upload_sessions::table).values(&session).execute(conn).await?;
            Ok::<_, DbError>((session, content))
        })
    }

    /// The caller's live session for the same target and content, if any.
    pub async fn resumable_upload(
        &self,
        owner_id: i64,
        parent_id: i64,
        name: &str,
        size: i64,
        sha256: &str,
        now_ms: i64,
    ) -> Result<Option<(UploadRow, ContentRow)>, DbError> {
        run!(self, |conn| Ok(upload_sessions::table
            .inner_join(contents::table)
            .filter(upload_sessions::owner_id.eq(owner_id))
            .filter(upload_sessions::parent_id.eq(parent_id))
            .filter(upload_sessions::name.eq(name))
            .filter(upload_sessions::expires_at.gt(now_ms))
            .filter(contents::size.eq(size))
            .filter(contents::sha256.eq(sha256))
            .select((UploadRow::as_select(), ContentRow::as_select()))
            .first(conn)
            .await
            .optional()?))
    }

    pub async fn upload(&self, id: &UploadId) -> Result<Option<(UploadRow, ContentRow)>, DbError> {
        run!(self, |conn| Ok(upload_sessions::table
            .inner_join(contents::table)
            .filter(upload_sessions::id.eq(id.as_str()))
            .select((UploadRow::as_select(), ContentRow::as_select()))
            .first(conn)
            .await
            .optional()?))
    }

    pub async fn content(&self, id: i64) -> Result<Option<ContentRow>, DbError> {
        run!(self, |conn| Ok(contents::table.find(id).select(ContentRow::as_select()).first(conn).await.optional()?))
    }

    /// Makes an upload a file, atomically: refused while any chunk is
    /// missing; the session goes in the same transaction, and the content
    /// gets its verified `sha256`. Returns the entry id.
    pub async fn commit_upload(
        &self,
        upload: &UploadRow,
        content: &ContentRow,
        sha256: &str,
        chunk_count: i64,
        target: CommitTarget,
    ) -> Result<i64, DbError> {
        let (upload, content, sha256) = (upload.clone(), content.clone(), sha256.to_owned());
        transaction!(self, |conn| {
            // Locks the session row so a concurrent expiry or abort waits.
            let live = diesel::update(upload_sessions::table.find(&upload.id))
                .set(upload_sessions::expires_at.eq(upload_sessions::expires_at))
                .execute(conn)
                .await?;
            if live == 0 {
                return Err(
                    cordvault_core::Error::not_found("upload session is gone (committed, aborted or expired)").into()
                );
            }
            let stored: i64 = chunks::table.filter(chunks::content_id.eq(content.id)).count().get_result(conn).await?;
            if stored != chunk_count {
                return Err(cordvault_core::Error::failed_precondition(format!(
                    "{} of {chunk_count} chunks are missing",
                    chunk_count - stored
                ))
                .into());
            }
            // A session may start without the hash; the checked one is known now.
            if content.sha256 != sha256 {
                diesel::update(contents::table.find(content.id))
                    .set(contents::sha256.eq(&sha256))
                    .execute(conn)
                    .await?;
            }
            let now = now_ms();
            let entry_id = match target {
                CommitTarget::Overwrite(existing) => {
                    diesel::update(entries::table.find(existing.id))
                        .set((
                            entries::content_id.eq(content.id),
                            entries::size.eq(content.size),
                            entries::mime_type.eq(&upload.mime_type),
                            entries::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await?;
                    if let Some(old) = existing.content_id {
                        queue_purge!(conn, old)?;
                    }
                    existing.id
                }
                CommitTarget::New { name } => {
                    let entry = NewEntry {
                        parent_id: upload.parent_id,
                        name: &name,
                        is_folder: false,
                        owner_id: upload.owner_id,
                        size: content.size,
                        mime_type: &upload.mime_type,
                        content_id: Some(content.id),
                        created_at: now,
                        updated_at: now,
                        visibility: Visibility::Private.code(),
                    };
                    diesel::insert_into(entries::table).values(&entry).returning(entries::id).get_result(conn).await?
                }
            };
            diesel::delete(upload_sessions::table.find(&upload.id)).execute(conn).await?;
            Ok::<_, DbError>(entry_id)
        })
    }

    /// Drops a session and queues its content for purge; false when it was gone.
    pub async fn drop_upload(&self, id: &str) -> Result<bool, DbError> {
        let id = id.to_owned();
        transaction!(self, |conn| {
            let content_id: Option<i64> = diesel::delete(upload_sessions::table.find(&id))
                .returning(upload_sessions::content_id)
                .get_result(conn)
                .await
                .optional()?;
            let Some(content_id) = content_id else {
                return Ok(false);
            };
            queue_purge!(conn, content_id)?;
            Ok::<_, DbError>(true)
        })
    }

    /// Ids of sessions idle past their expiry.
    pub async fn expired_uploads(&self, now: i64) -> Result<Vec<String>, DbError> {
        run!(self, |conn| Ok(upload_sessions::table
            .filter(upload_sessions::expires_at.lt(now))
            .select(upload_sessions::id)
            .limit(100)
            .load(conn)
            .await?))
    }

    /// Contents waiting to be purged.
    pub async fn purge_batch(&self) -> Result<Vec<i64>, DbError> {
        run!(self, |conn| Ok(purge_queue::table
            .select(purge_queue::content_id)
            .order(purge_queue::queued_at.asc())
            .limit(20)
            .load(conn)
            .await?))
    }

    /// Forgets a purged content; its chunks must already be gone from the store.
    pub async fn forget_content(&self, content_id: i64) -> Result<(), DbError> {
        transaction!(self, |conn| {
            diesel::delete(chunks::table.filter(chunks::content_id.eq(content_id))).execute(conn).await?;
            diesel::delete(contents::table.find(content_id)).execute(conn).await?;
            diesel::delete(purge_queue::table.find(content_id)).execute(conn).await?;
            Ok::<_, DbError>(())
        })
    }
}
