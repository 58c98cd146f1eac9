//! The folder tree.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{contents, entries, links, purge_queue, users};
use super::{Db, DbError, now_ms, run, transaction};
use cordvault_core::limits::DB_BATCH;
use cordvault_core::visibility::Visibility;

/// The root folder, created by the first migration.
pub const ROOT_ID: i64 = 1;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = entries)]
pub struct EntryRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub is_folder: bool,
    pub owner_id: Option<i64>,
    pub size: i64,
    pub mime_type: String,
    pub content_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub visibility: i32,
    pub trashed_at: Option<i64>,
    pub trashed_by: Option<i64>,
    pub trashed_path: Option<String>,
}

/// One entry of a chain up the tree.
#[derive(Debug, Clone, QueryableByName)]
pub struct AncestorRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub visibility: i32,
}

impl EntryRow {
    pub fn is_public(&self) -> bool {
        self.visibility == Visibility::Public.code()
    }
}

impl AncestorRow {
    pub fn is_public(&self) -> bool {
        self.visibility == Visibility::Public.code()
    }
}

/// An entry with what a listing shows beside it.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub row: EntryRow,
    pub owner: Option<String>,
    pub sha256: Option<String>,
    pub has_thumbnail: bool,
}

#[derive(Insertable)]
#[diesel(table_name = entries)]
pub struct NewEntry<'a> {
    pub parent_id: i64,
    pub name: &'a str,
    pub is_folder: bool,
    pub owner_id: i64,
    pub size: i64,
    pub mime_type: &'a str,
    pub content_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// [`Visibility::code`]; the column's default predates the codes.
    pub visibility: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Name,
    Size,
    Updated,
}

/// Entries joined with their owner's name and content hash.
macro_rules! entry_views {
    () => {
        entries::table.left_join(users::table).left_join(contents::table).select((
            EntryRow::as_select(),
            users::username.nullable(),
            contents::sha256.nullable(),
            contents::has_thumbnail.nullable(),
        ))
    };
}

type ViewTuple = (EntryRow, Option<String>, Option<String>, Option<bool>);

fn view((row, owner, sha256, has_thumbnail): ViewTuple) -> EntryView {
    EntryView { row, owner, sha256, has_thumbnail: has_thumbnail.unwrap_or(false) }
}

/// Queues a content for purge inside the caller's transaction.
macro_rules! queue_purge {
    ($conn:expr, $content_id:expr) => {
        diesel::insert_into(purge_queue::table)
            .values((purge_queue::content_id.eq($content_id), purge_queue::queued_at.eq(now_ms())))
            .on_conflict_do_nothing()
            .execute($conn)
            .await
    };
}

pub(crate) use queue_purge;

impl Db {
    pub async fn entry(&self, id: i64) -> Result<Option<EntryView>, DbError> {
        run!(self, |conn| Ok(entry_views!()
            .filter(entries::id.eq(id))
            .first::<ViewTuple>(conn)
            .await
            .optional()?
            .map(view)))
    }

    pub async fn child(&self, parent_id: i64, name: &str) -> Result<Option<EntryView>, DbError> {
        run!(self, |conn| Ok(entry_views!()
            .filter(entries::parent_id.eq(parent_id))
            .filter(entries::name.eq(name))
            .first::<ViewTuple>(conn)
            .await
            .optional()?
            .map(view)))
    }

    /// Follows `names` from the root; None as soon as one is missing,
    /// with how many names were found.
    pub async fn walk(&self, names: &[String]) -> Result<Result<EntryView, usize>, DbError> {
        run!(self, |conn| {
            let mut current: EntryView =
                entry_views!().filter(entries::id.eq(ROOT_ID)).first::<ViewTuple>(conn).await.map(view)?;
            for (depth, name) in names.iter().enumerate() {
                let next = entry_views!()
                    .filter(entries::parent_id.eq(current.row.id))
                    .filter(entries::name.eq(name))
                    .first::<ViewTuple>(conn)
                    .await
                    .optional()?;
                match next {
                    Some(next) => current = view(next),
                    None => return Ok(Err(depth)),
                }
            }
            Ok(Ok(current))
        })
    }

    pub async fn list_children(
        &self,
        parent_id: i64,
        sort_by: SortBy,
        descending: bool,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<EntryView>, DbError> {
        run!(self, |conn| {
            let query =
                entry_views!().filter(entries::parent_id.eq(parent_id)).order(entries::is_folder.desc()).into_boxed();
            let query = match (sort_by, descending) {
                (SortBy::Name, false) => query.then_order_by(entries::name.asc()),
                (SortBy::Name, true) => query.then_order_by(entries::name.desc()),
                (SortBy::Size, false) => query.then_order_by(entries::size.asc()),
                (SortBy::Size, true) => query.then_order_by(entries::size.desc()),
                (SortBy::Updated, false) => query.then_order_by(entries::updated_at.asc()),
                (SortBy::Updated, true) => query.then_order_by(entries::updated_at.desc()),
            };
            let rows = query
                .then_order_by(entries::name.asc())
                .then_order_by(entries::id.asc())
                .offset(offset)
                .limit(limit)
                .load::<ViewTuple>(conn)
                .await?;
            Ok(rows.into_iter().map(view).collect())
        })
    }

    pub async fn insert_entry(&self, entry: NewEntry<'_>) -> Result<i64, DbError> {
        run!(self, |conn| Ok(diesel::insert_into(entries::table)
            .values(&entry)
            .returning(entries::id)
            .get_result(conn)
            .await?))
    }

    /// Up to `limit` children of `parent_id` whose names sort after `after`,
    /// by name: a page of a walk that never holds a whole subtree.
    pub async fn children_after(&self, parent_id: i64, after: &str, limit: i64) -> Result<Vec<EntryRow>, DbError> {
        run!(self, |conn| Ok(entries::table
            .filter(entries::parent_id.eq(parent_id))
            .filter(entries::name.gt(after))
            .order(entries::name.asc())
            .limit(limit)
            .select(EntryRow::as_select())
            .load(conn)
            .await?))
    }

    /// Every entry below `id` (not `id` itself), level by level.
    pub async fn descendants(&self, id: i64) -> Result<Vec<EntryRow>, DbError> {
        run!(self, |conn| {
            let mut found = Vec::new();
            let mut level = vec![id];
            while !level.is_empty() {
                let mut next = Vec::new();
                for batch in level.chunks(DB_BATCH) {
                    let rows: Vec<EntryRow> = entries::table
                        .filter(entries::parent_id.eq_any(batch))
                        .select(EntryRow::as_select())
                        .load(conn)
                        .await?;
                    next.extend(rows.iter().filter(|row| row.is_folder).map(|row| row.id));
                    found.extend(rows);
                }
                level = next;
            }
            Ok(found)
        })
    }

    /// Ids of the folders from the root down to `id`, `id` included (for
    /// a trashed entry, from the top of its trash item down).
    pub async fn ancestry(&self, id: i64) -> Result<Vec<i64>, DbError> {
        let mut chain: Vec<i64> = self.ancestors(id).await?.into_iter().map(|row| row.id).collect();
        chain.reverse();
        Ok(chain)
    }

    /// The entry and every folder above it, nearest first, in one query
    /// rather than one per level.
    pub async fn ancestors(&self, id: i64) -> Result<Vec<AncestorRow>, DbError> {
        // Only an integer goes into the text, so formatting it in is safe; it
        // spares the two backends' different placeholder syntaxes.
        let sql = format!(
            "WITH RECURSIVE up(id, parent_id, visibility, depth) AS ( \
               SELECT id, parent_id, visibility, 0 FROM entries WHERE id = {id} \
               UNION ALL \
               SELECT e.id, e.parent_id, e.visibility, up.depth + 1 FROM entries e JOIN up ON e.id = up.parent_id) \
             SELECT id, visibility FROM up ORDER BY depth"
        );
        let rows: Vec<AncestorRow> = run!(self, |conn| diesel::sql_query(&sql).load(conn).await?);
        if rows.is_empty() {
            return Err(DbError::Query(diesel::result::Error::NotFound));
        }
        Ok(rows)
    }

    /// Moves and/or renames an entry; when `replaced` is given, that file is
    /// deleted first in the same transaction and its content queued for purge.
    pub async fn place_entry(
        &self,
        id: i64,
        parent_id: i64,
        name: &str,
        replaced: Option<&EntryRow>,
    ) -> Result<(), DbError> {
        let name = name.to_owned();
        let replaced = replaced.map(|row| (row.id, row.content_id));
        transaction!(self, |conn| {
            if let Some((replaced_id, content_id)) = replaced {
                diesel::delete(entries::table.find(replaced_id)).execute(conn).await?;
                if let Some(content_id) = content_id {
                    queue_purge!(conn, content_id)?;
                }
            }
            diesel::update(entries::table.find(id))
                .set((entries::parent_id.eq(parent_id), entries::name.eq(&name), entries::updated_at.eq(now_ms())))
                .execute(conn)
                .await?;
            Ok::<_, DbError>(())
        })
    }

    /// Deletes entries (children before parents) and queues their contents for purge.
    pub async fn delete_entries(&self, rows: Vec<EntryRow>) -> Result<(), DbError> {
        transaction!(self, |conn| {
            for row in rows.iter().rev() {
                diesel::delete(entries::table.find(row.id)).execute(conn).await?;
                if let Some(content_id) = row.content_id {
                    queue_purge!(conn, content_id)?;
                }
            }
            Ok::<_, DbError>(())
        })
    }

    /// Detaches entries from the tree into the trash, each `(id, path)` of
    /// `items` becoming one trash item; what is inside them (`inside`) stays
    /// attached to them. Links to any of them expire now, so that a restore
    /// does not bring them back.
    pub async fn trash_entries(&self, items: Vec<(i64, String)>, by: i64, inside: Vec<i64>) -> Result<(), DbError> {
        transaction!(self, |conn| {
            let now = now_ms();
            let mut ids = inside;
            for (id, path) in &items {
                diesel::update(entries::table.find(*id))
                    .set((
                        entries::parent_id.eq(None::<i64>),
                        entries::trashed_at.eq(Some(now)),
                        entries::trashed_by.eq(Some(by)),
                        entries::trashed_path.eq(Some(path)),
                    ))
                    .execute(conn)
                    .await?;
                ids.push(*id);
            }
            for batch in ids.chunks(DB_BATCH) {
                diesel::update(links::table.filter(links::entry_id.eq_any(batch)))
                    .set(links::expires_at.eq(Some(now)))
                    .execute(conn)
                    .await?;
            }
            Ok::<_, DbError>(())
        })
    }

    /// Trashed entries; with `user`, only those the user owns or deleted.
    pub async fn trash_items(&self, user: Option<i64>) -> Result<Vec<EntryView>, DbError> {
        run!(self, |conn| {
            let mut query = entry_views!().filter(entries::trashed_at.is_not_null()).into_boxed();
            if let Some(user) = user {
                query = query.filter(entries::owner_id.eq(user).or(entries::trashed_by.eq(user)));
            }
            let rows = query.order(entries::trashed_at.desc()).load::<ViewTuple>(conn).await?;
            Ok(rows.into_iter().map(view).collect())
        })
    }

    /// Ids of the trashed entries `user` owns.
    pub async fn trash_owned_by(&self, user: i64) -> Result<Vec<i64>, DbError> {
        run!(self, |conn| Ok(entries::table
            .filter(entries::trashed_at.is_not_null())
            .filter(entries::owner_id.eq(user))
            .select(entries::id)
            .load(conn)
            .await?))
    }

    /// Trashed entries deleted before `before` (milliseconds).
    pub async fn trashed_before(&self, before: i64) -> Result<Vec<EntryRow>, DbError> {
        run!(self, |conn| Ok(entries::table
            .filter(entries::trashed_at.lt(before))
            .select(EntryRow::as_select())
            .load(conn)
            .await?))
    }

    /// Puts a trashed entry back into the tree.
    pub async fn restore_entry(&self, id: i64, parent_id: i64, name: &str) -> Result<(), DbError> {
        let name = name.to_owned();
        run!(self, |conn| {
            diesel::update(entries::table.find(id))
                .set((
                    entries::parent_id.eq(Some(parent_id)),
                    entries::name.eq(&name),
                    entries::trashed_at.eq(None::<i64>),
                    entries::trashed_by.eq(None::<i64>),
                    entries::trashed_path.eq(None::<String>),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Creates `count` empty folders "f0", "f1", … in one statement: for
    /// tests and benchmarks of very large folders.
    pub async fn insert_empty_folders(&self, parent_id: i64, owner_id: i64, count: u32) -> Result<(), DbError> {
        // Only integers go into the text, so formatting them in is safe; it
        // spares the two backends' different placeholder syntaxes.
        let sql = format!(
            "INSERT INTO entries (parent_id, name, is_folder, owner_id, created_at, updated_at, visibility) \
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {count}) \
             SELECT {parent_id}, 'f' || i, TRUE, {owner_id}, {now}, {now}, {private} FROM n",
            now = now_ms(),
            private = Visibility::Private.code()
        );
        run!(self, |conn| {
            diesel::sql_query(&sql).execute(conn).await?;
            Ok(())
        })
    }
}
