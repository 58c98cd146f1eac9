//! Account administration: listing, creating and deleting users, granting
//! administrator rights, resetting passwords. Every call needs an administrator.

use std::sync::Arc;

use cordvault_core::fields::{validate_password, validate_username};
use cordvault_core::path::quote;
use cordvault_core::{Error, Result};

use super::access::{Caller, ensure_admin};
use super::accounts::hash_password;
use super::packages::Packages;
use super::quotas::{QuotaReport, QuotaSetting, Quotas};
use super::revocation::Revocations;
use super::uploads::Uploads;
use crate::db::Db;
use crate::db::users::{FilesFate, UserRow};

/// What happens to the files of a user being deleted; the API makes the
/// administrator choose explicitly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesChoice {
    Delete,
    TransferTo(String),
}

#[derive(Clone)]
pub struct Admin {
    db: Db,
    uploads: Arc<Uploads>,
    revocations: Revocations,
    quotas: Quotas,
    packages: Packages,
}

impl Admin {
    pub fn new(db: Db, uploads: Arc<Uploads>, revocations: Revocations, quotas: Quotas, packages: Packages) -> Self {
        Admin { db, uploads, revocations, quotas, packages }
    }

    pub async fn quota(&self, caller: &Caller, username: &str) -> Result<QuotaReport> {
        ensure_admin(caller)?;
        let user = self.user(username).await?;
        self.quotas.report(user.id).await
    }

    pub async fn set_package_premium(&self, caller: &Caller, package_id: &str, premium: bool) -> Result<()> {
        ensure_admin(caller)?;
        self.packages.set_premium(package_id, premium).await
    }

    pub async fn set_quota(&self, caller: &Caller, username: &str, setting: QuotaSetting) -> Result<QuotaReport> {
        ensure_admin(caller)?;
        let user = self.user(username).await?;
        self.quotas.set(caller, user.id, setting).await
    }

    async fn user(&self, username: &str) -> Result<UserRow> {
        self.db
            .user_by_name(username)
            .await?
            .ok_or_else(|| Error::not_found(format!("no user is called {}", quote(username))))
    }

    pub async fn list_users(&self, caller: &Caller) -> Result<Vec<UserRow>> {
        ensure_admin(caller)?;
        Ok(self.db.list_users().await?)
    }

    pub async fn create_user(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<UserRow> {
        ensure_admin(caller)?;
        validate_username(username)?;
        validate_password(password)?;
        let hash = hash_password(password.to_owned()).await?;
        let user = match self.db.create_user(username, &hash, is_admin).await {
            Err(err) if err.is_unique_violation() => {
                return Err(Error::already_exists(format!("username {} is taken", quote(username))));
            }
            result => result?,
        };
        tracing::info!(admin = %caller.username, user_id = user.id, username = %user.username, is_admin = user.is_admin, "user created");
        Ok(user)
    }

    /// Deletes an account and deletes or transfers everything it owns; its
    /// tokens stop working at once and its open streams close.
    pub async fn delete_user(&self, caller: &Caller, username: &str, files: Option<FilesChoice>) -> Result<u64> {
        ensure_admin(caller)?;
        let files = files.ok_or_else(|| {
            Error::invalid_argument(
                "choose what happens to the user's files: delete them or transfer them to another user",
            )
        })?;
        let user = self.user(username).await?;
        if user.id == caller.user_id {
            return Err(Error::failed_precondition("you cannot delete your own account; ask another administrator"));
        }
        let fate = match &files {
            FilesChoice::Delete => FilesFate::Delete,
            FilesChoice::TransferTo(recipient) => FilesFate::TransferTo(self.recipient(&user, recipient).await?.id),
        };
        let deleted = self.db.delete_user(user.id, fate).await?;
        for upload_id in &deleted.uploads {
            self.uploads.forget(upload_id);
        }
        // Every token version the user ever had is now older than this.
        self.revocations.revoke_before(user.id, i64::MAX);
        tracing::info!(
            admin = %caller.username,
            user_id = user.id,
            username = %user.username,
            files = ?files,
            entries = deleted.entries,
            uploads = deleted.uploads.len(),
            "user deleted"
        );
        Ok(deleted.entries)
    }

    async fn recipient(&self, deleted: &UserRow, recipient: &str) -> Result<UserRow> {
        if recipient.is_empty() {
            return Err(Error::invalid_argument("name the user who receives the files"));
        }
        if recipient == deleted.username {
            return Err(Error::invalid_argument("the files cannot go to the user being deleted"));
        }
        self.user(recipient).await
    }

    /// Grants or removes administrator rights. Removing them also ends the
    /// user's tokens and open streams, which were authorised as an administrator.
    pub async fn set_admin(&self, caller: &Caller, username: &str, is_admin: bool) -> Result<UserRow> {
        ensure_admin(caller)?;
        let before = self.user(username).await?;
        let user = self.db.set_admin(before.id, is_admin).await?;
        if user.is_admin == before.is_admin {
            return Ok(user);
        }
        if !user.is_admin {
            self.revocations.revoke_before(user.id, user.token_version);
        }
        tracing::info!(admin = %caller.username, user_id = user.id, username = %user.username, is_admin, "administrator rights changed");
        Ok(user)
    }

    /// Sets a new password and ends every token and open stream of the user.
    pub async fn reset_password(&self, caller: &Caller, username: &str, new_password: &str) -> Result<()> {
        ensure_admin(caller)?;
        validate_password(new_password)?;
        let user = self.user(username).await?;
        let hash = hash_password(new_password.to_owned()).await?;
        let version = self.db.set_password(user.id, &hash).await?;
        self.revocations.revoke_before(user.id, version);
        tracing::info!(admin = %caller.username, user_id = user.id, username = %user.username, "password reset; older tokens revoked");
        Ok(())
    }
}
