//! Accounts.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::users;
use super::{Db, DbError, now_ms, run, transaction};

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

impl Db {
    /// Creates a user. The first user of a server becomes an administrator,
    /// decided in the same transaction so that two racing first sign-ups
    /// cannot both become one.
    pub async fn create_user(&self, username: &str, password_hash: &str, is_admin: bool) -> Result<UserRow, DbError> {
        let (username, password_hash) = (username.to_owned(), password_hash.to_owned());
        transaction!(self, |conn| {
            let existing: i64 = users::table.count().get_result(conn).await?;
            let user = NewUser {
                username: &username,
                password_hash: &password_hash,
                is_admin: is_admin || existing == 0,
                token_version: 0,
                created_at: now_ms(),
            };
            let row = diesel::insert_into(users::table)
                .values(&user)
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await?;
            Ok::<_, DbError>(row)
        })
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
