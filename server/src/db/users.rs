//! Accounts.

use std::collections::HashSet;

use cordvault_core::Error;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::entries::{EntryRow, queue_purge};
use super::schema::{bootstrap, entries, links, purge_queue, shares, upload_sessions, users};
use super::{Db, DbError, now_ms, run, transaction};
use cordvault_core::limits::DB_BATCH;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub token_version: i64,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    password_hash: &'a str,
    is_admin: bool,
    token_version: i64,
    created_at: i64,
}

/// Inserts an account with `$conn`, a connection or a transaction's.
macro_rules! insert_user {
    ($conn:expr, $username:expr, $password_hash:expr, $is_admin:expr) => {{
        let user = NewUser {
            username: $username,
            password_hash: $password_hash,
            is_admin: $is_admin,
            token_version: 0,
            created_at: now_ms(),
        };
        diesel::insert_into(users::table)
            .values(&user)
            .returning(UserRow::as_returning())
            .get_result::<UserRow>($conn)
            .await
    }};
}

impl Db {
    /// Creates a user (an administrator creates it: see
    /// [`Db::create_first_user`] for the first one).
    pub async fn create_user(&self, username: &str, password_hash: &str, is_admin: bool) -> Result<UserRow, DbError> {
        run!(self, |conn| Ok(insert_user!(conn, username, password_hash, is_admin)?))
    }

    /// Creates the first user, an administrator; None when the server has
    /// users already. "First" is decided inside the transaction, on the one
    /// `bootstrap` row, so concurrent first registrations cannot all win.
    pub async fn create_first_user(&self, username: &str, password_hash: &str) -> Result<Option<UserRow>, DbError> {
        let (username, password_hash) = (username.to_owned(), password_hash.to_owned());
        let created = transaction!(self, |conn| {
            let existing: i64 = users::table.count().get_result(conn).await?;
            if existing > 0 {
                return Ok(None);
            }
            diesel::insert_into(bootstrap::table)
                .values((bootstrap::id.eq(1), bootstrap::created_at.eq(now_ms())))
                .execute(conn)
                .await?;
            let row = insert_user!(conn, &username, &password_hash, true)?;
            Ok::<_, DbError>(Some(row))
        });
        match created {
            // Another first registration committed meanwhile.
            Err(err) if err.is_unique_violation() && self.user_count().await? > 0 => Ok(None),
            result => result,
        }
    }

    pub async fn user_count(&self) -> Result<i64, DbError> {
        run!(self, |conn| Ok(users::table.count().get_result(conn).await?))
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>, DbError> {
        run!(self, |conn| Ok(users::table
            .filter(users::username.eq(username))
            .select(UserRow::as_select())
            .first(conn)
            .await
            .optional()?))
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>, DbError> {
        run!(self, |conn| Ok(users::table.find(id).select(UserRow::as_select()).first(conn).await.optional()?))
    }

    /// Stores a new password hash and bumps the token version; returns the new version.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<i64, DbError> {
        run!(self, |conn| Ok(diesel::update(users::table.find(id))
            .set((users::password_hash.eq(password_hash), users::token_version.eq(users::token_version + 1),))
            .returning(users::token_version)
            .get_result(conn)
            .await?))
    }
}

/// What happens to the entries of a user being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilesFate {
    /// Delete them all, trashed ones included; their contents are queued for purge.
    Delete,
    /// Give them all to this user.
    TransferTo(i64),
}

/// What deleting a user did.
#[derive(Debug, Clone)]
pub struct DeletedUser {
    /// Entries deleted or transferred.
    pub entries: u64,
    /// Upload sessions dropped (their contents are queued for purge).
    pub uploads: Vec<String>,
}

/// How many administrators besides `$user_id` there are. Every administrator
/// row is locked first, until the transaction ends, so that two concurrent
/// demotions or deletions cannot each count the other one and leave none.
macro_rules! other_admins {
    ($conn:expr, $user_id:expr) => {{
        diesel::update(users::table.filter(users::is_admin.eq(true)))
            .set(users::is_admin.eq(users::is_admin))
            .execute($conn)
            .await?;
        users::table
            .filter(users::is_admin.eq(true))
            .filter(users::id.ne($user_id))
            .count()
            .get_result::<i64>($conn)
            .await
    }};
}

/// Where an entry is: its path, or, inside the trash, where it was before
/// it (or a folder above it) went there.
macro_rules! original_path {
    ($conn:expr, $id:expr) => {{
        let mut names = Vec::new();
        let mut current: i64 = $id;
        let origin = loop {
            let (parent, name, trashed_path): (Option<i64>, String, Option<String>) = entries::table
                .find(current)
                .select((entries::parent_id, entries::name, entries::trashed_path))
                .first($conn)
                .await?;
            match parent {
                Some(parent) => {
                    names.push(name);
                    current = parent;
                }
                // The root, or a trashed entry remembering its old path.
                None => break trashed_path.unwrap_or_default(),
            }
        };
        let below: String = names.iter().rev().map(|name| format!("/{name}")).collect();
        Ok::<String, DbError>(format!("{origin}{below}"))
    }};
}

/// Every entry `$user_id` owns with everything of theirs below it, each
/// subtree's top before what is inside it; and the entries of other users
/// found directly inside those subtrees (whatever is below those is theirs
/// to keep with them).
macro_rules! owned_subtrees {
    ($conn:expr, $user_id:expr) => {{
        let user_id: i64 = $user_id;
        let owned: Vec<EntryRow> =
            entries::table.filter(entries::owner_id.eq(user_id)).select(EntryRow::as_select()).load($conn).await?;
        let owned_ids: HashSet<i64> = owned.iter().map(|row| row.id).collect();
        let is_top = |row: &EntryRow| row.parent_id.is_none_or(|parent| !owned_ids.contains(&parent));
        let mut found: Vec<EntryRow> = Vec::with_capacity(owned.len());
        let mut foreign: Vec<EntryRow> = Vec::new();
        for top in owned.into_iter().filter(is_top) {
            let mut level = if top.is_folder { vec![top.id] } else { Vec::new() };
            found.push(top);
            while !level.is_empty() {
                let mut next = Vec::new();
                for batch in level.chunks(DB_BATCH) {
                    let rows: Vec<EntryRow> = entries::table
                        .filter(entries::parent_id.eq_any(batch))
                        .select(EntryRow::as_select())
                        .load($conn)
                        .await?;
                    for row in rows {
                        if row.owner_id != Some(user_id) {
                            foreign.push(row);
                            continue;
                        }
                        if row.is_folder {
                            next.push(row.id);
                        }
                        found.push(row);
                    }
                }
                level = next;
            }
        }
        Ok::<_, DbError>((found, foreign))
    }};
}

fn last_admin(username: &str) -> DbError {
    DbError::Service(Error::failed_precondition(format!(
        "{username} is the last administrator; make another user an administrator first"
    )))
}

impl Db {
    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<UserRow>, DbError> {
        run!(self, |conn| Ok(users::table.order(users::username.asc()).select(UserRow::as_select()).load(conn).await?))
    }

    /// Grants or removes administrator rights; refuses to remove the last
    /// administrator's. Removing them also bumps the token version: streams
    /// and tokens issued to an administrator must not outlive the rights.
    pub async fn set_admin(&self, id: i64, is_admin: bool) -> Result<UserRow, DbError> {
        transaction!(self, |conn| {
            let others = other_admins!(conn, id)?;
            let user: UserRow = users::table.find(id).select(UserRow::as_select()).first(conn).await?;
            if user.is_admin == is_admin {
                return Ok(user);
            }
            if !is_admin && others == 0 {
                return Err(last_admin(&user.username));
            }
            let bump = i64::from(!is_admin);
            let row = diesel::update(users::table.find(id))
                .set((users::is_admin.eq(is_admin), users::token_version.eq(users::token_version + bump)))
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await?;
            Ok::<_, DbError>(row)
        })
    }

    /// Deletes a user in one transaction: their upload sessions are dropped,
    /// their entries deleted or transferred, entries they trashed forget who
    /// did, and their shares and links go with the account (ON DELETE CASCADE).
    /// Refuses to delete the last administrator. When deleting files, the
    /// entries of other users inside the user's folders go to their owners'
    /// trash.
    pub async fn delete_user(&self, id: i64, fate: FilesFate) -> Result<DeletedUser, DbError> {
        transaction!(self, |conn| {
            let others = other_admins!(conn, id)?;
            let user: UserRow = users::table.find(id).select(UserRow::as_select()).first(conn).await?;
            if user.is_admin && others == 0 {
                return Err(last_admin(&user.username));
            }
            let sessions: Vec<(String, i64)> =
                diesel::delete(upload_sessions::table.filter(upload_sessions::owner_id.eq(id)))
                    .returning((upload_sessions::id, upload_sessions::content_id))
                    .get_results(conn)
                    .await?;
            for (_, content_id) in &sessions {
                queue_purge!(conn, *content_id)?;
            }
            let entries = match fate {
                FilesFate::TransferTo(recipient) => {
                    let moved = diesel::update(entries::table.filter(entries::owner_id.eq(id)))
                        .set(entries::owner_id.eq(recipient))
                        .execute(conn)
                        .await?;
                    // A share of the recipient on what is now theirs would only be noise.
                    let theirs = entries::table.filter(entries::owner_id.eq(recipient)).select(entries::id);
                    diesel::delete(
                        shares::table.filter(shares::user_id.eq(recipient)).filter(shares::entry_id.eq_any(theirs)),
                    )
                    .execute(conn)
                    .await?;
                    moved as u64
                }
                FilesFate::Delete => {
                    let (doomed, foreign) = owned_subtrees!(conn, id)?;
                    // Entries of others inside the user's folders go to
                    // their owners' trash, each remembering where it was.
                    let now = now_ms();
                    let mut paths = Vec::with_capacity(foreign.len());
                    for row in &foreign {
                        paths.push(original_path!(conn, row.id)?);
                    }
                    for (row, path) in foreign.iter().zip(paths) {
                        diesel::update(entries::table.find(row.id))
                            .set((
                                entries::parent_id.eq(None::<i64>),
                                entries::trashed_at.eq(Some(now)),
                                entries::trashed_by.eq(None::<i64>),
                                entries::trashed_path.eq(Some(path)),
                            ))
                            .execute(conn)
                            .await?;
                        diesel::update(links::table.filter(links::entry_id.eq(row.id)))
                            .set(links::expires_at.eq(Some(now)))
                            .execute(conn)
                            .await?;
                    }
                    // Children before parents.
                    for row in doomed.iter().rev() {
                        diesel::delete(entries::table.find(row.id)).execute(conn).await?;
                        if let Some(content_id) = row.content_id {
                            queue_purge!(conn, content_id)?;
                        }
                    }
                    doomed.len() as u64
                }
            };
            diesel::update(entries::table.filter(entries::trashed_by.eq(id)))
                .set(entries::trashed_by.eq(None::<i64>))
                .execute(conn)
                .await?;
            diesel::delete(users::table.find(id)).execute(conn).await?;
            let uploads = sessions.into_iter().map(|(upload_id, _)| upload_id).collect();
            Ok::<_, DbError>(DeletedUser { entries, uploads })
        })
    }
}
