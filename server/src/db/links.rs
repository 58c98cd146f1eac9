//! Share links: rows of `links`, and where the entry a link points at is now.

use cordvault_core::ids::LinkId;
use cordvault_core::path::TreePath;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::entries::ROOT_ID;
use super::schema::{entries, links, users};
use super::{Db, DbError, run};

/// Deepest parent chain followed; deeper means a broken tree, not a real path.
const MAX_DEPTH: usize = 4096;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = links)]
pub struct LinkRow {
    pub id: String,
    pub entry_id: i64,
    /// For a file: the content the link was made for.
    pub content_id: Option<i64>,
    pub created_by: i64,
    pub password_hash: Option<String>,
    pub expires_at: Option<i64>,
    pub max_downloads: Option<i64>,
    pub downloads: i64,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = links)]
pub struct NewLinkRow<'a> {
    pub id: &'a str,
    pub entry_id: i64,
    pub content_id: Option<i64>,
    pub created_by: i64,
    pub password_hash: Option<&'a str>,
    pub expires_at: Option<i64>,
    pub max_downloads: Option<i64>,
    pub created_at: i64,
}

impl Db {
    pub async fn insert_link(&self, link: NewLinkRow<'_>) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::insert_into(links::table).values(&link).execute(conn).await?;
            Ok(())
        })
    }

    pub async fn link(&self, id: &LinkId) -> Result<Option<LinkRow>, DbError> {
        run!(self, |conn| Ok(links::table
            .find(id.as_str())
            .select(LinkRow::as_select())
            .first(conn)
            .await
            .optional()?))
    }

    /// Links with their creator's name, newest first; with `created_by`, only that user's.
    pub async fn links_with_creators(&self, created_by: Option<i64>) -> Result<Vec<(LinkRow, String)>, DbError> {
        run!(self, |conn| {
            let mut query = links::table
                .inner_join(users::table.on(users::id.eq(links::created_by)))
                .select((LinkRow::as_select(), users::username))
                .into_boxed();
            if let Some(user_id) = created_by {
                query = query.filter(links::created_by.eq(user_id));
            }
            Ok(query.order((links::created_at.desc(), links::id.asc())).load(conn).await?)
        })
    }

    /// Deletes a link; false when there was none.
    pub async fn delete_link(&self, id: &LinkId) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::delete(links::table.find(id.as_str())).execute(conn).await? > 0))
    }

    /// Counts one download, atomically: false when the limit was already used up.
    pub async fn count_download(&self, id: &str) -> Result<bool, DbError> {
        run!(self, |conn| {
            let below_limit = links::max_downloads.is_null().or(links::downloads.nullable().lt(links::max_downloads));
            let counted = diesel::update(links::table.find(id).filter(below_limit))
                .set(links::downloads.eq(links::downloads + 1))
                .execute(conn)
                .await?;
            Ok(counted > 0)
        })
    }

    /// The current path of an entry, or None when it is gone or detached from
    /// the tree (in the trash, or inside something that is).
    pub async fn entry_path(&self, entry_id: i64) -> Result<Option<TreePath>, DbError> {
        let names: Option<Vec<String>> = run!(self, |conn| {
            let mut names = Vec::new();
            let mut current = entry_id;
            let reached_root = loop {
                if current == ROOT_ID {
                    break true;
                }
                if names.len() >= MAX_DEPTH {
                    tracing::error!(entry_id, "parent chain too deep; is the tree looping?");
                    break false;
                }
                let found: Option<(Option<i64>, String)> = entries::table
                    .find(current)
                    .select((entries::parent_id, entries::name))
                    .first(conn)
                    .await
                    .optional()?;
                // A missing row or a NULL parent below the root: detached.
                let Some((Some(parent), name)) = found else {
                    break false;
                };
                names.push(name);
                current = parent;
            };
            Ok::<_, DbError>(reached_root.then_some(names))
        })?;
        let Some(names) = names else {
            return Ok(None);
        };
        let mut path = TreePath::root();
        for name in names.iter().rev() {
            path = path.join(name)?;
        }
        Ok(Some(path))
    }
}
