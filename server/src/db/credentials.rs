//! What else logs a user in besides their password: SSH public keys (for the
//! SFTP gateway) and app passwords (for WebDAV clients and the like).

use cordvault_core::Error;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{app_passwords, ssh_keys, users};
use super::users::UserRow;
use super::{Db, DbError, run, transaction};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ssh_keys)]
pub struct SshKeyRow {
    pub id: i64,
    pub user_id: i64,
    pub fingerprint: String,
    pub algorithm: String,
    /// One OpenSSH line without the comment.
    pub public_key: String,
    pub comment: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ssh_keys)]
pub struct NewSshKey {
    pub user_id: i64,
    pub fingerprint: String,
    pub algorithm: String,
    pub public_key: String,
    pub comment: String,
    pub created_at_ms: i64,
}

/// An app password as it is listed: the digest of its secret stays in the table.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = app_passwords)]
pub struct AppPasswordRow {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = app_passwords)]
pub struct NewAppPassword {
    pub user_id: i64,
    pub label: String,
    /// Lower-case hex SHA-256 of the secret.
    pub secret_sha256: String,
    pub created_at_ms: i64,
}

/// Locks the user's row until the transaction ends, so that concurrent
/// additions for one user are counted one after the other; fails when the
/// account is gone.
macro_rules! lock_user {
    ($conn:expr, $user_id:expr) => {{
        let locked = diesel::update(users::table.find($user_id))
            .set(users::token_version.eq(users::token_version))
            .execute($conn)
            .await?;
        if locked == 0 {
            return Err(DbError::Service(Error::unauthenticated("the account no longer exists")));
        }
    }};
}

fn too_many(what: &str, max: i64) -> DbError {
    DbError::Service(Error::resource_exhausted(format!("an account may have at most {max} {what}; remove one first")))
}

impl Db {
    /// Registers an SSH key, unless its user has `max` keys already. A key
    /// registered before (to anyone) is a unique violation.
    pub async fn insert_ssh_key(&self, key: NewSshKey, max: i64) -> Result<SshKeyRow, DbError> {
        transaction!(self, |conn| {
            lock_user!(conn, key.user_id);
            let count: i64 = ssh_keys::table.filter(ssh_keys::user_id.eq(key.user_id)).count().get_result(conn).await?;
            if count >= max {
                return Err(too_many("SSH keys", max));
            }
            let row = diesel::insert_into(ssh_keys::table)
                .values(&key)
                .returning(SshKeyRow::as_returning())
                .get_result(conn)
                .await?;
            Ok::<_, DbError>(row)
        })
    }

    /// Whose key a fingerprint is, if anyone's.
    pub async fn ssh_key_owner(&self, fingerprint: &str) -> Result<Option<i64>, DbError> {
        run!(self, |conn| Ok(ssh_keys::table
            .filter(ssh_keys::fingerprint.eq(fingerprint))
            .select(ssh_keys::user_id)
            .first(conn)
            .await
            .optional()?))
    }

    /// A user's keys, oldest first.
    pub async fn ssh_keys_of(&self, user_id: i64) -> Result<Vec<SshKeyRow>, DbError> {
        run!(self, |conn| Ok(ssh_keys::table
            .filter(ssh_keys::user_id.eq(user_id))
            .order((ssh_keys::created_at_ms.asc(), ssh_keys::id.asc()))
            .select(SshKeyRow::as_select())
            .load(conn)
            .await?))
    }

    /// Removes one of a user's keys; false when they have no key `id`.
    pub async fn delete_ssh_key(&self, user_id: i64, id: i64) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::delete(
            ssh_keys::table.filter(ssh_keys::id.eq(id)).filter(ssh_keys::user_id.eq(user_id))
        )
        .execute(conn)
        .await?
            > 0))
    }

    /// The user named `username` with the key of this fingerprint, if that
    /// key is registered to that user: one query whether the user exists or not.
    pub async fn user_with_ssh_key(
        &self,
        username: &str,
        fingerprint: &str,
    ) -> Result<Option<(UserRow, SshKeyRow)>, DbError> {
        run!(self, |conn| Ok(users::table
            .inner_join(ssh_keys::table)
            .filter(users::username.eq(username))
            .filter(ssh_keys::fingerprint.eq(fingerprint))
            .select((UserRow::as_select(), SshKeyRow::as_select()))
            .first(conn)
            .await
            .optional()?))
    }

    /// Stores an app password's digest, unless its user has `max` already.
    pub async fn insert_app_password(&self, password: NewAppPassword, max: i64) -> Result<AppPasswordRow, DbError> {
        transaction!(self, |conn| {
            lock_user!(conn, password.user_id);
            let count: i64 = app_passwords::table
                .filter(app_passwords::user_id.eq(password.user_id))
                .count()
                .get_result(conn)
                .await?;
            if count >= max {
                return Err(too_many("app passwords", max));
            }
            let row = diesel::insert_into(app_passwords::table)
                .values(&password)
                .returning(AppPasswordRow::as_returning())
                .get_result(conn)
                .await?;
            Ok::<_, DbError>(row)
        })
    }

    /// A user's app passwords, oldest first.
    pub async fn app_passwords_of(&self, user_id: i64) -> Result<Vec<AppPasswordRow>, DbError> {
        run!(self, |conn| Ok(app_passwords::table
            .filter(app_passwords::user_id.eq(user_id))
            .order((app_passwords::created_at_ms.asc(), app_passwords::id.asc()))
            .select(AppPasswordRow::as_select())
            .load(conn)
            .await?))
    }

    /// Each app password of a user, by id, with the digest of its secret.
    pub async fn app_password_digests(&self, user_id: i64) -> Result<Vec<(i64, String)>, DbError> {
        run!(self, |conn| Ok(app_passwords::table
            .filter(app_passwords::user_id.eq(user_id))
            .select((app_passwords::id, app_passwords::secret_sha256))
            .load(conn)
            .await?))
    }

    /// Notes that an app password logged its user in at `at_ms`, unless a
    /// use after `noted_since` is noted already: clients that log in with
    /// every request do not write a row each time.
    pub async fn app_password_used(&self, id: i64, at_ms: i64, noted_since: i64) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::update(
                app_passwords::table.find(id).filter(
                    app_passwords::last_used_at_ms.is_null().or(app_passwords::last_used_at_ms.lt(noted_since)),
                ),
            )
            .set(app_passwords::last_used_at_ms.eq(Some(at_ms)))
            .execute(conn)
            .await?;
            Ok(())
        })
    }

    /// Revokes one of a user's app passwords; false when they have no app password `id`.
    pub async fn delete_app_password(&self, user_id: i64, id: i64) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::delete(
            app_passwords::table.filter(app_passwords::id.eq(id)).filter(app_passwords::user_id.eq(user_id))
        )
        .execute(conn)
        .await?
            > 0))
    }
}
